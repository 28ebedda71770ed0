import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { main } from '../../../service/runner/main.js';
import { startGitLabStandIn, type GitLabStandIn } from '../../../standins/gitlab/index.js';
import { startModelStandIn, type ModelRequest, type ModelStandInOptions, type Script } from '../../../standins/model/standin.js';
import { realClaudePath } from '../../../standins/real-claude.js';
import { startFilesProxy, type FilesProxy } from '../../../standins/gitlab/files-proxy.js';
import { branches } from '../../../devtools/repo.js';
import { createScenario, jobEnvironment, type Scenario, type ScenarioHost, type ScenarioOptions } from './scenario.js';
import { tempDir } from '../../../devtools/temp.js';

// The runner end to end, in-process: main() against the stand-in GitLab (behind the files proxy), a real
// bare repository as origin, and the real Claude Code binary as the agent's process, talking to a scripted
// stand-in of the Messages API through the runner's model gateway. Judged by effects: the remote's refs,
// commits and push options, the notes and merge requests on the stand-in GitLab, and what the stand-in
// model received.

export const claudeBinary = realClaudePath();

/**
 * The agent's user: an uid:gid with no passwd entry. Not the attack suite's 64123: the runner ends every
 * process of the agent's user after a run (`kill -KILL -1` as that user), which would end the other
 * file's agents when vitest runs both files at once.
 */
export const AGENT_USER = '64124:64124';

/** The job's model credential: the gateway adds it upstream; the agent only gets a placeholder. */
export const JOB_API_KEY = 'sk-ant-job-key-for-the-run-tests-5678';

export interface RunWorld {
  gitlab: GitLabStandIn;
  proxy: FilesProxy;
  host: ScenarioHost;
  /** The agent's uid:gid for this world's runs: one per test file, since files run in parallel. */
  agentUser: string;
  close(): Promise<void>;
}

export async function startRunWorld(options: { agentUser?: string } = {}): Promise<RunWorld> {
  const gitlab = await startGitLabStandIn();
  const bareRepos = new Map<number, string>();
  const proxy = await startFilesProxy(gitlab.url, bareRepos);
  return {
    gitlab,
    proxy,
    host: { gitlab, url: proxy.url, bareRepos },
    agentUser: options.agentUser ?? AGENT_USER,
    async close() {
      await proxy.close();
      await gitlab.close();
    },
  };
}

export interface RunSetup {
  /** What the stand-in model answers; by default it just says "Done.". */
  script?: Script;
  /** Job variables on top of the defaults (undefined removes one). */
  env?: NodeJS.ProcessEnv;
  /** Changes to the scenario before the job starts (a push that moves the branch, an edited note). */
  prepare?: (scenario: Scenario) => unknown;
  /** The upstream's credential check (see `requireApiKey`). */
  authorize?: ModelStandInOptions['authorize'];
}

export interface RunOutcome {
  scenario: Scenario;
  exitCode: number;
  before: Record<string, string>;
  after: Record<string, string>;
  /** What the stand-in model received, in order. */
  model: ModelRequest[];
  /** The stand-in GitLab's requests during the run. */
  gitlabRequests: GitLabStandIn['requests'];
  env: NodeJS.ProcessEnv;
  /** The runner's log lines (its stderr), for assertion messages. */
  log: string;
}

/** Runs main() in this process with the runner's stderr captured (and kept off the test output). */
async function captureRunnerLog(run: () => Promise<number>): Promise<{ exitCode: number; log: string }> {
  const lines: string[] = [];
  const write = process.stderr.write.bind(process.stderr);
  process.stderr.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
    const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
    if (text.startsWith('[claude-gitlab-flow]')) {
      lines.push(text);
      return true;
    }
    return (write as (...args: unknown[]) => boolean)(chunk, ...rest);
  }) as typeof process.stderr.write;
  try {
    return { exitCode: await run(), log: lines.join('') };
  } finally {
    process.stderr.write = write;
  }
}

export async function runWithModel(world: RunWorld, options: ScenarioOptions, setup: RunSetup = {}): Promise<RunOutcome> {
  return runScenario(world, createScenario(world.host, options), setup);
}

/** The same, for a scenario already set up (a follow-up in an earlier scenario's thread). */
export async function runScenario(world: RunWorld, scenario: Scenario, setup: RunSetup = {}): Promise<RunOutcome> {
  await setup.prepare?.(scenario);
  const model = await startModelStandIn({ script: setup.script ?? [], ...(setup.authorize ? { authorize: setup.authorize } : {}) });
  try {
    const env = jobEnvironment(world.host, scenario, {
      CLAUDE_CODE_PATH: claudeBinary ?? 'claude',
      ANTHROPIC_BASE_URL: model.url,
      ANTHROPIC_API_KEY: JOB_API_KEY,
      CLAUDE_CODE_MAX_RETRIES: '1',
      CLAUDE_FLOW_AGENT_USER: world.agentUser,
      ...setup.env,
    });
    delete env.FAKE_CLAUDE_RECORD;
    for (const [name, value] of Object.entries(env)) if (value === undefined) delete env[name];
    const before = branches(scenario.repos.bare);
    const requestsBefore = world.gitlab.requests.length;
    const { exitCode, log } = await captureRunnerLog(() => main([], env));
    return {
      scenario,
      exitCode,
      before,
      after: branches(scenario.repos.bare),
      model: [...model.requests],
      gitlabRequests: world.gitlab.requests.slice(requestsBefore),
      env,
      log,
    };
  } finally {
    await model.close();
  }
}

/** A model call's user turn: the prompt the runner wrote to Claude Code's stdin is its last text block. */
export function promptOf(request: ModelRequest): string {
  const content = request.body.messages?.[0]?.content;
  if (typeof content === 'string') return content;
  const texts = (Array.isArray(content) ? (content as Array<{ type?: string; text?: string }>) : []).filter((block) => block.type === 'text');
  return texts.at(-1)?.text ?? '';
}

/** Claude Code's system prompt as sent, with the runner's `--append-system-prompt` at its end. */
export function systemPromptOf(request: ModelRequest): string {
  const system = request.body.system;
  if (typeof system === 'string') return system;
  return (Array.isArray(system) ? (system as Array<{ text?: string }>) : []).map((block) => block.text ?? '').join('\n');
}

/** The working directory Claude Code reports to the model (its environment message). */
export function workingDirectoryOf(request: ModelRequest): string | null {
  return /Primary working directory: ([^\s"\\]+)/.exec(JSON.stringify(request.body.messages ?? []))?.[1] ?? null;
}

/** The tools Claude Code offered the model. */
export function toolNamesOf(request: ModelRequest): string[] {
  return (Array.isArray(request.body.tools) ? (request.body.tools as Array<{ name?: string }>) : []).map((tool) => tool.name ?? '');
}

/**
 * A file appears in the agent's workspace while Claude Code runs, as an agent that got around its tool
 * rules would leave it: written by the test (root, in this process) into the directory Claude Code reports.
 */
export function changeWorkspaceBehindTheTools(request: ModelRequest, path: string, content: string): void {
  const workspace = workingDirectoryOf(request);
  if (!workspace) throw new Error('the model request names no working directory');
  writeFileSync(join(workspace, path), content);
}

/** The upstream's credential check: 401 `authentication_error` unless x-api-key is `key`, as the Claude API answers. */
export function requireApiKey(key: string): NonNullable<ModelStandInOptions['authorize']> {
  return (request) =>
    request.headers['x-api-key'] === key ? null : { status: 401, body: { type: 'error', error: { type: 'authentication_error', message: 'invalid x-api-key' } } };
}

/** A `claude` that dies at once: a message on stderr, exit status 3, no stream-json at all. */
export function crashingClaude(): string {
  const dir = tempDir('crashing-claude');
  // The agent's user runs it: the directory and the script must be theirs to reach.
  chmodSync(dir, 0o755);
  const path = join(dir, 'claude');
  writeFileSync(path, '#!/bin/sh\necho "something went badly wrong" >&2\nexit 3\n', { mode: 0o755 });
  chmodSync(path, 0o755);
  return path;
}
