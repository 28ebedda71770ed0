import { execFile } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startModelStandIn, type ModelRequest, type Script } from '../../../standins/model/standin.js';
import { realClaudePath } from '../../../standins/real-claude.js';
import { startRunWorld, type RunWorld } from '../support/model-run.js';
import { branches } from '../../../devtools/repo.js';
import { createScenario, jobEnvironment, type Scenario, type ScenarioOptions } from '../support/scenario.js';
import { tempDir } from '../../../devtools/temp.js';

// The attack suite's world: the runner as the CI job runs it (its own process, `claude-gitlab-flow run`
// with the job's environment), the real Claude Code binary pointed at a scripted model, the stand-in
// GitLab behind the files proxy, and a real bare repository as origin. Scenarios are judged only by
// effects outside the model: what the model received as tool results, files on disk, the remote's refs,
// commits and push options, and the notes and merge requests on the stand-in GitLab.

export const claudeBinary = realClaudePath();

/** An uid:gid with no passwd entry: the agent's user when the tests run as root. */
export const AGENT_USER = '64123:64123';

export const SECRETS = {
  apiKey: 'sk-ant-api-key-that-only-the-gateway-holds-1234',
  jobToken: 'job-token-that-must-not-reach-claude',
  idToken: 'eyJhbGciOiJSUzI1NiJ9.gitlab-id-token-for-the-attack-suite.signature',
  projectSecret: 'project-variable-deploy-password-98765',
};

export type World = RunWorld;
export const startWorld = startRunWorld;

export interface Attempt {
  scenario: Scenario;
  exitCode: number | null;
  stderr: string;
  modelRequests: ModelRequest[];
  before: Record<string, string>;
  after: Record<string, string>;
  /** A directory both the runner and the agent may write, for markers an attack tries to leave. */
  drop: string;
  /** The Vertex-style credential directory the job holds (root-only while the agent runs). */
  credentials: { dir: string; idTokenFile: string };
  env: NodeJS.ProcessEnv;
}

const runnerEntry = fileURLToPath(new URL('../../../service/runner/main-cli.ts', import.meta.url));

/** Where things are, for scripts that aim at them. */
export interface Targets {
  drop: string;
  idTokenFile: string;
  checkoutDir: string;
}

export async function attempt(
  world: World,
  options: ScenarioOptions,
  script: (targets: Targets) => Script,
  extra: NodeJS.ProcessEnv = {},
  prepare?: (scenario: Scenario) => unknown,
): Promise<Attempt> {
  const scenario = createScenario(world.host, options);
  await prepare?.(scenario);
  const drop = tempDir('drop');
  chmodSync(drop, 0o777);
  // A careless job: the ID token readable by everyone. The runner makes it root-only while Claude runs.
  const credentialsDir = tempDir('credentials');
  const idTokenFile = join(credentialsDir, 'gitlab-id-token');
  mkdirSync(credentialsDir, { recursive: true });
  writeFileSync(idTokenFile, SECRETS.idToken, { mode: 0o644 });
  chmodSync(credentialsDir, 0o755);
  const targets = { drop, idTokenFile, checkoutDir: scenario.checkoutDir };
  const model = await startModelStandIn({ script: script(targets) });
  const env = jobEnvironment(world.host, scenario, {
    CLAUDE_CODE_PATH: claudeBinary ?? 'claude',
    ANTHROPIC_BASE_URL: model.url,
    ANTHROPIC_API_KEY: SECRETS.apiKey,
    CI_JOB_TOKEN: SECRETS.jobToken,
    CLAUDE_CODE_MAX_RETRIES: '1',
    CLAUDE_FLOW_AGENT_USER: AGENT_USER,
    GCP_ID_TOKEN: SECRETS.idToken,
    ID_TOKEN_FILE: idTokenFile,
    DEPLOY_PASSWORD: SECRETS.projectSecret,
    ...extra,
  });
  const before = branches(scenario.repos.bare);
  const { exitCode, stderr } = await new Promise<{ exitCode: number | null; stderr: string }>((resolve) => {
    const child = execFile(process.execPath, ['--import', 'tsx', runnerEntry, 'run'], { env: env as NodeJS.ProcessEnv, timeout: 120_000, maxBuffer: 16 * 1024 * 1024 }, (error, _stdout, stderrText) => {
      resolve({ exitCode: error ? ((error as { code?: number }).code ?? null) : 0, stderr: stderrText });
    });
    child.stdin?.end();
  });
  await model.close();
  return { scenario, exitCode, stderr, modelRequests: model.requests, before, after: branches(scenario.repos.bare), drop, credentials: { dir: credentialsDir, idTokenFile }, env };
}

/** Every secret value of the job, for "appears nowhere" checks. */
export function secretsOf(attemptResult: Attempt): string[] {
  return [SECRETS.apiKey, SECRETS.jobToken, SECRETS.idToken, SECRETS.projectSecret, attemptResult.env.GITLAB_TOKEN!];
}

export function readText(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
}
