import { chmodSync, existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { METADATA_FILE } from '../../service/runner/session/artifact.js';
import { CLOSED_MARKER, isClosedOut, sessionInNote } from '../../service/tracking-note.js';
import { startGitLabStandIn, type GitLabStandIn } from '../../standins/gitlab/index.js';
import { startAnthropicStandIn } from '../../standins/model/anthropic.js';
import { startBedrockStandIn } from '../../standins/model/bedrock.js';
import { say, use, type ProviderStandIn, type Script } from '../../standins/model/standin.js';
import { isRoot, realClaudePath } from '../../standins/real-claude.js';
import { startFilesProxy, type FilesProxy } from '../../standins/gitlab/files-proxy.js';
import { branches, git, pushOptions } from '../../devtools/repo.js';
import { createScenario, type ScenarioHost, type ScenarioKind } from '../runner/support/scenario.js';
import { removeTempDirs, tempDir } from '../../devtools/temp.js';
import { buildImageTools, gitlabCiLocal, projectFiles, TEMPLATES_DIR, type TemplateName } from './gitlab-ci-local.js';

// Each template's job, run by gitlab-ci-local 4.55 in shell mode (from a copy without `image:`, see
// gitlab-ci-local.ts) in a checkout of a real bare repository, against the stand-in GitLab, with the real
// Claude Code binary as the agent (its own user: the tests run as root, as the template's job does) and a
// scripted model upstream of the runner's gateway. The variables are what GitLab would pass: the
// service's AI_FLOW_* trigger variables, the predefined CI_* ones, the masked CI/CD variables and the ID
// tokens GitLab would mint (gitlab-ci-local does not implement id_tokens, so the test passes a token value).

const claude = realClaudePath();

let gitlab: GitLabStandIn;
let proxy: FilesProxy;
let host: ScenarioHost;
let home: string;
let binDir: string;

beforeAll(async () => {
  gitlab = await startGitLabStandIn();
  const bareRepos = new Map<number, string>();
  proxy = await startFilesProxy(gitlab.url, bareRepos);
  host = { gitlab, url: proxy.url, bareRepos };
  home = tempDir('gcl');
  binDir = join(home, 'bin');
  await buildImageTools(binDir);
});

afterAll(async () => {
  await proxy?.close();
  await gitlab?.close();
  removeTempDirs();
});

const API_KEY = 'sk-ant-api03-fake-key-for-tests';
// What the fake `aws` hands out, and so what the Bedrock stand-in checks signatures against.
const AWS_KEYS = { accessKeyId: 'ASIAFAKEACCESSKEY', secretAccessKey: 'fakeSecretAccessKey', sessionToken: 'fakeSessionToken' };

const PROVIDER_VARIABLES: Record<TemplateName, Record<string, string>> = {
  'claude-api': { ANTHROPIC_API_KEY: API_KEY },
  'claude-vertex': {
    GCP_WORKLOAD_IDENTITY_PROVIDER: 'projects/123456789012/locations/global/workloadIdentityPools/gitlab/providers/gitlab-example',
    GCP_SERVICE_ACCOUNT: 'claude-runner@my-project.iam.gserviceaccount.com',
    ANTHROPIC_VERTEX_PROJECT_ID: 'my-vertex-project',
    CLOUD_ML_REGION: 'us-east5',
    GCP_ID_TOKEN: 'eyJhbGciOiJSUzI1NiJ9.eyJhdWQiOiJodHRwczovL2lhbS5nb29nbGVhcGlzLmNvbSJ9.c2lnbmF0dXJl',
  },
  'claude-bedrock': {
    AWS_ROLE_TO_ASSUME: 'arn:aws:iam::123456789012:role/claude-gitlab-flow',
    AWS_REGION: 'us-west-2',
    AWS_ID_TOKEN: 'eyJhbGciOiJSUzI1NiJ9.eyJhdWQiOiJzdHMuYW1hem9uYXdzLmNvbSJ9.c2lnbmF0dXJl',
  },
};

/** The model upstream of the gateway, per template: the Claude API or Bedrock stand-in; none for Vertex (Google is out of reach). */
async function upstreamFor(template: TemplateName, script: Script): Promise<{ standIn: ProviderStandIn | null; variables: Record<string, string> }> {
  if (template === 'claude-api') {
    const standIn = await startAnthropicStandIn({ script, apiKey: API_KEY });
    return { standIn, variables: { ANTHROPIC_BASE_URL: standIn.url } };
  }
  if (template === 'claude-bedrock') {
    const standIn = await startBedrockStandIn({ script, keys: AWS_KEYS, region: 'us-west-2' });
    return { standIn, variables: { ANTHROPIC_BEDROCK_BASE_URL: standIn.url } };
  }
  return { standIn: null, variables: {} };
}

// Concurrent jobs need agents of their own: after a run the runner ends every process of its agent's user.
let agentUid = 64300;

async function runJob(template: TemplateName, kind: ScenarioKind, script: Script, variables: Record<string, string> = {}, instruction?: string) {
  const scenario = createScenario(host, { kind, instruction, files: projectFiles(template, readFileSync(join(TEMPLATES_DIR, `${template}.gitlab-ci.yml`), 'utf8')) });
  const records = tempDir('gcl-record');
  // The job's TMPDIR: where the Vertex template's mktemp puts the credential file, and the runner the agent's workspace.
  const jobTmp = tempDir('gcl-tmp');
  chmodSync(jobTmp, 0o755);
  const upstream = await upstreamFor(template, script);
  agentUid += 1;
  const before = branches(scenario.repos.bare);
  const run = await gitlabCiLocal(scenario.checkoutDir, ['claude-gitlab-flow'], {
    binDir,
    home,
    variables: {
      // From the service's trigger.
      AI_FLOW_INPUT: scenario.instruction,
      AI_FLOW_EVENT: 'mention',
      AI_FLOW_CONTEXT: JSON.stringify(scenario.context),
      AI_FLOW_THREAD: `issue-${scenario.context.noteable.iid}-${scenario.context.discussion_id}`,
      // Predefined by GitLab for this pipeline.
      CI_PIPELINE_SOURCE: 'trigger',
      CI_SERVER_URL: host.url,
      CI_PROJECT_ID: String(scenario.projectId),
      CI_PROJECT_PATH: scenario.projectPath,
      CI_DEFAULT_BRANCH: 'main',
      CI_COMMIT_REF_NAME: scenario.checkoutRef,
      CI_JOB_TOKEN: 'job-token-that-must-not-reach-claude',
      // Masked CI/CD variables and provider settings.
      GITLAB_TOKEN: scenario.botToken,
      ...PROVIDER_VARIABLES[template],
      ...upstream.variables,
      // The image's Claude Code and agent user, a quick progress interval, the fake aws's record.
      CLAUDE_CODE_PATH: claude ?? 'claude',
      CLAUDE_CODE_MAX_RETRIES: '1',
      CLAUDE_FLOW_AGENT_USER: `${agentUid}:${agentUid}`,
      CLAUDE_FLOW_PROGRESS_INTERVAL_SECONDS: '1',
      TMPDIR: jobTmp,
      FAKE_AWS_RECORD: join(records, 'aws.txt'),
      ...variables,
    },
  });
  await upstream.standIn?.close();
  const awsRecord = join(records, 'aws.txt');
  return {
    scenario,
    run,
    before,
    after: branches(scenario.repos.bare),
    model: upstream.standIn,
    jobTmp,
    aws: existsSync(awsRecord) ? readFileSync(awsRecord, 'utf8') : null,
  };
}

/** The last user message's text blocks as the model received them: the runner's prompt is the last one. */
function promptOf(model: ProviderStandIn | null): string {
  const content = model?.authorized[0]?.body.messages?.[0]?.content;
  const blocks = Array.isArray(content) ? (content as Array<{ type?: string; text?: string }>) : [];
  return blocks.filter((block) => block.type === 'text').map((block) => block.text ?? '').at(-1) ?? '';
}

const changelog = () => [use('Write', { file_path: 'CHANGELOG.md', content: '# Changelog\n' }), say('Added the changelog.')];

function expectOk(run: { code: number; output: string }) {
  if (run.code !== 0) throw new Error(`gitlab-ci-local exited ${run.code}:\n${run.output}`);
  expect(run.output).toMatch(/claude-gitlab-flow\s+finished in/);
}

describe.runIf(claude && isRoot).concurrent('claude-api template under gitlab-ci-local', () => {
  it('issue: pushes a new branch with ci.skip, opens a draft merge request, closes the note out', async () => {
    const { scenario, run, before, after, model } = await runJob('claude-api', 'issue', changelog());
    expectOk(run);
    const created = Object.keys(after).filter((name) => !(name in before));
    expect(created).toEqual([expect.stringMatching(/^claude\/issue-1-\d{8}-\d{6}$/)]);
    expect(git(scenario.repos.bare, ['diff', '--name-only', `main..${created[0]}`])).toBe('CHANGELOG.md');
    expect(pushOptions(scenario.repos.bare, created[0]!)).toEqual([['ci.skip']]);
    const [mr] = gitlab.mergeRequests(scenario.projectId);
    expect(mr).toMatchObject({ sourceBranch: created[0], targetBranch: 'main', draft: true });
    expect(mr!.description).toMatch(/^Closes #1\n/);
    const note = scenario.trackingNote().body;
    expect(note).toContain('Added the changelog.');
    expect(note).toContain(`draft merge request [!${mr!.iid}]`);
    expect(note.endsWith(CLOSED_MARKER)).toBe(true);
    // The session was kept as the job's artifact, and the note names it (gitlab-ci-local's CI_JOB_ID).
    expect(sessionInNote(note)).toMatchObject({ jobId: expect.any(Number) });
    expect(existsSync(join(scenario.checkoutDir, '.gitlab-ci-local', 'artifacts', 'claude-gitlab-flow', METADATA_FILE)), readdirSync(join(scenario.checkoutDir, '.gitlab-ci-local')).join(' ')).toBe(true);
    // The Claude API saw the job's key; Claude Code only the gateway's placeholder.
    expect(model!.authorized.length).toBeGreaterThan(0);
  });

  it('merge request: adds one commit to the source branch', async () => {
    const { scenario, run, before, after } = await runJob('claude-api', 'merge-request', changelog());
    expectOk(run);
    expect(Object.keys(after).sort()).toEqual(Object.keys(before).sort());
    expect(after.main).toBe(before.main);
    expect(git(scenario.repos.bare, ['rev-list', '--count', `${before.feature}..feature`])).toBe('1');
    expect(git(scenario.repos.bare, ['rev-parse', 'feature^'])).toBe(before.feature);
    expect(scenario.trackingNote().body).toContain(`commit [${after.feature!.slice(0, 8)}]`);
    expect(isClosedOut(scenario.trackingNote().body)).toBe(true);
  });

  it('fork merge request: pushes nothing and answers in the thread', async () => {
    const { scenario, run, before, after } = await runJob('claude-api', 'fork-merge-request', [use('Write', { file_path: 'x.txt', content: 'x' }), say('Suggestion only.')]);
    expectOk(run);
    expect(after).toEqual(before);
    const note = scenario.trackingNote().body;
    expect(note).toContain('Suggestion only.');
    expect(isClosedOut(note)).toBe(true);
  });

  it('a failing model fails the job and still closes the note with the error and the job link', async () => {
    const { scenario, run, before, after } = await runJob('claude-api', 'issue', () => ({ status: 500, body: { type: 'error', error: { type: 'api_error', message: 'Internal server error' } } }));
    expect(run.code).not.toBe(0);
    expect(after).toEqual(before);
    const note = scenario.trackingNote().body;
    expect(note).toMatch(/^❌ Claude could not finish this request: Claude Code stopped with an error/);
    expect(note).toMatch(/Where to look: the \[job log\]\(http[^)]*\/-\/jobs\/\d+\)/);
    expect(note.endsWith(CLOSED_MARKER)).toBe(true);
  });

  it('user text with $(…), backticks, quotes and newlines stays inert all the way into the job', async () => {
    const marker = join(tempDir('inert'), 'pwned');
    const instruction = `@claude look at $(touch ${marker}) and \`touch ${marker}\`; "double" 'single' \\\n next line ; token=$GITLAB_TOKEN`;
    const { scenario, run, model } = await runJob('claude-api', 'issue', [say('Looked.')], {}, instruction);
    expectOk(run);
    expect(existsSync(marker)).toBe(false);
    // GitLab (and gitlab-ci-local) expand $VAR inside AI_FLOW_INPUT; the runner reads the request from the note instead.
    const prompt = promptOf(model);
    expect(prompt).toContain(`@claude look at $(touch ${marker}) and \`touch ${marker}\`; "double" 'single' \\\n next line ; token=$GITLAB_TOKEN`);
    expect(JSON.stringify(model!.requests)).not.toContain(scenario.botToken);
  });
});

describe.runIf(claude && isRoot).concurrent('cloud templates under gitlab-ci-local', () => {
  it('claude-vertex: the gateway gets an external-account credential file that reads the ID token, outside the checkout', async () => {
    const { scenario, run, jobTmp } = await runJob('claude-vertex', 'issue', changelog());
    // Google's STS is out of reach here, so the run ends at the token exchange, after the gateway read the file.
    expect(run.code).not.toBe(0);
    const [credentialsDir] = readdirSync(jobTmp).filter((name) => existsSync(join(jobTmp, name, 'credentials.json')));
    const credentials = JSON.parse(readFileSync(join(jobTmp, credentialsDir!, 'credentials.json'), 'utf8')) as Record<string, unknown>;
    expect(credentials).toEqual({
      type: 'external_account',
      audience: '//iam.googleapis.com/projects/123456789012/locations/global/workloadIdentityPools/gitlab/providers/gitlab-example',
      subject_token_type: 'urn:ietf:params:oauth:token-type:jwt',
      token_url: 'https://sts.googleapis.com/v1/token',
      credential_source: { file: expect.stringMatching(/\/gitlab-id-token$/), format: { type: 'text' } },
      service_account_impersonation_url: 'https://iamcredentials.googleapis.com/v1/projects/-/serviceAccounts/claude-runner@my-project.iam.gserviceaccount.com:generateAccessToken',
    });
    const tokenFile = (credentials.credential_source as { file: string }).file;
    expect(tokenFile.startsWith(scenario.checkoutDir)).toBe(false);
    expect(readFileSync(tokenFile, 'utf8')).toBe(PROVIDER_VARIABLES['claude-vertex'].GCP_ID_TOKEN);
    expect(run.output).toMatch(/model gateway: vertex on http:\/\/127\.0\.0\.1:\d+/);
    const note = scenario.trackingNote().body;
    expect(note).toMatch(/could not get a Google access token from the credential file in GOOGLE_APPLICATION_CREDENTIALS/);
    expect(note).toMatch(/Claude Code could not authenticate/);
    expect(isClosedOut(note)).toBe(true);
  });

  it('claude-bedrock: the ID token is exchanged with assume-role-with-web-identity, and the gateway signs with those keys', async () => {
    const { scenario, run, aws, model } = await runJob('claude-bedrock', 'issue', [say('Answered from Bedrock.')]);
    expectOk(run);
    expect(aws).toMatch(/^role=arn:aws:iam::123456789012:role\/claude-gitlab-flow session=claude-gitlab-flow-\d+ token=eyJ\S+ query=Credentials\.\[AccessKeyId,SecretAccessKey,SessionToken\] output=text\n$/);
    // The stand-in accepted only requests signed with the fake aws's keys.
    expect(model!.authorized.length).toBeGreaterThan(0);
    expect(JSON.stringify(model!.authorized.map((request) => request.body))).not.toContain(AWS_KEYS.secretAccessKey);
    expect(scenario.trackingNote().body).toContain('Answered from Bedrock.');
  });

  it('claude-bedrock with a role that cannot be assumed: the thread hears it is an authentication problem', async () => {
    const { scenario, run, model } = await runJob('claude-bedrock', 'issue', [say('never')], { AWS_ROLE_TO_ASSUME: 'not-an-arn' });
    expect(run.code).not.toBe(0);
    expect(run.output).toContain('assume-role-with-web-identity failed');
    expect(model!.authorized).toEqual([]);
    const note = scenario.trackingNote().body;
    expect(note).toMatch(/Claude Code could not authenticate/);
    expect(isClosedOut(note)).toBe(true);
  });
});
