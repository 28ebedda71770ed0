import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLOSED_MARKER, isClosedOut } from '../../service/tracking-note.js';
import { startGitLabStandIn, type GitLabStandIn } from '../support/gitlab-standin/index.js';
import { startFilesProxy, type FilesProxy } from '../runner/support/files-proxy.js';
import { branches, git } from '../runner/support/repo.js';
import { createScenario, type ScenarioHost, type ScenarioKind } from '../runner/support/scenario.js';
import { removeTempDirs, tempDir } from '../runner/support/temp.js';
import { buildImageTools, gitlabCiLocal, projectFiles, TEMPLATES_DIR, type TemplateName } from './gitlab-ci-local.js';

// Each template's job, run by gitlab-ci-local 4.55 in shell mode (from a copy without `image:`, see
// gitlab-ci-local.ts) in a checkout of a real bare repository, against the stand-in GitLab, with the
// fake `claude` on PATH. The variables are what GitLab would pass: the service's AI_FLOW_* trigger
// variables, the predefined CI_* ones, the masked CI/CD variables and the ID tokens GitLab would mint
// (gitlab-ci-local does not implement id_tokens, so the test passes a token value itself).

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

const PROVIDER_VARIABLES: Record<TemplateName, Record<string, string>> = {
  'claude-api': { ANTHROPIC_API_KEY: 'sk-ant-api03-fake-key-for-tests' },
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

interface Recorded {
  args: string[];
  prompt: string;
  cwd: string;
  provider: string;
  problem: string | null;
  env: Record<string, boolean>;
  googleCredentials: Record<string, unknown> | null;
  googleCredentialsPath: string | null;
  aws: { accessKeyId: string | null; region: string | null } | null;
}

async function runJob(template: TemplateName, kind: ScenarioKind, variables: Record<string, string>, instruction?: string) {
  const scenario = createScenario(host, { kind, instruction, files: projectFiles(template, readFileSync(join(TEMPLATES_DIR, `${template}.gitlab-ci.yml`), 'utf8')) });
  const records = tempDir('gcl-record');
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
      // The fakes and a quick progress interval.
      CLAUDE_FLOW_PROGRESS_INTERVAL_SECONDS: '1',
      FAKE_CLAUDE_RECORD: join(records, 'claude.jsonl'),
      FAKE_AWS_RECORD: join(records, 'aws.txt'),
      ...variables,
    },
  });
  const claudeRecord = join(records, 'claude.jsonl');
  const calls = existsSync(claudeRecord) ? readFileSync(claudeRecord, 'utf8').trim().split('\n').map((line) => JSON.parse(line) as Recorded) : [];
  const awsRecord = join(records, 'aws.txt');
  return { scenario, run, before, after: branches(scenario.repos.bare), calls, aws: existsSync(awsRecord) ? readFileSync(awsRecord, 'utf8') : null };
}

function expectOk(run: { code: number; output: string }) {
  if (run.code !== 0) throw new Error(`gitlab-ci-local exited ${run.code}:\n${run.output}`);
  expect(run.output).toMatch(/claude-gitlab-flow\s+finished in/);
}

describe.concurrent('claude-api template under gitlab-ci-local', () => {
  it('issue: pushes a new branch, opens a draft merge request, closes the note out', async () => {
    const { scenario, run, before, after } = await runJob('claude-api', 'issue', { FAKE_CLAUDE_SCENARIO: 'edit-file', FAKE_CLAUDE_ANSWER: 'Added the changelog.' });
    expectOk(run);
    const created = Object.keys(after).filter((name) => !(name in before));
    expect(created).toEqual([expect.stringMatching(/^claude\/issue-1-\d{8}-\d{6}$/)]);
    expect(git(scenario.repos.bare, ['diff', '--name-only', `main..${created[0]}`])).toBe('CLAUDE_CHANGE.md');
    const [mr] = gitlab.mergeRequests(scenario.projectId);
    expect(mr).toMatchObject({ sourceBranch: created[0], targetBranch: 'main', draft: true });
    expect(mr!.description).toMatch(/^Closes #1\n/);
    const note = scenario.trackingNote().body;
    expect(note).toContain('Added the changelog.');
    expect(note).toContain(`draft merge request [!${mr!.iid}]`);
    expect(note.endsWith(CLOSED_MARKER)).toBe(true);
  });

  it('merge request: adds one commit to the source branch', async () => {
    const { scenario, run, before, after } = await runJob('claude-api', 'merge-request', { FAKE_CLAUDE_SCENARIO: 'edit-file' });
    expectOk(run);
    expect(Object.keys(after).sort()).toEqual(Object.keys(before).sort());
    expect(after.main).toBe(before.main);
    expect(git(scenario.repos.bare, ['rev-list', '--count', `${before.feature}..feature`])).toBe('1');
    expect(git(scenario.repos.bare, ['rev-parse', 'feature^'])).toBe(before.feature);
    expect(scenario.trackingNote().body).toContain(`commit [${after.feature!.slice(0, 8)}]`);
    expect(isClosedOut(scenario.trackingNote().body)).toBe(true);
  });

  it('fork merge request: pushes nothing and answers in the thread', async () => {
    const { scenario, run, before, after } = await runJob('claude-api', 'fork-merge-request', { FAKE_CLAUDE_SCENARIO: 'edit-file', FAKE_CLAUDE_IGNORE_PERMISSIONS: '1', FAKE_CLAUDE_ANSWER: 'Suggestion only.' });
    expectOk(run);
    expect(after).toEqual(before);
    const note = scenario.trackingNote().body;
    expect(note).toContain('Suggestion only.');
    expect(note).toContain('they were not pushed: this merge request comes from a fork');
    expect(isClosedOut(note)).toBe(true);
  });

  it('a failing claude fails the job and still closes the note with the error and the job link', async () => {
    const { scenario, run, before, after } = await runJob('claude-api', 'issue', { FAKE_CLAUDE_SCENARIO: 'fail' });
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
    const { scenario, run, calls } = await runJob('claude-api', 'issue', { FAKE_CLAUDE_SCENARIO: 'answer-only' }, instruction);
    expectOk(run);
    expect(existsSync(marker)).toBe(false);
    const prompt = calls[0]!.prompt;
    expect(prompt).toContain(`@claude look at $(touch ${marker}) and \`touch ${marker}\`; "double" 'single' \\\n next line ; token=`);
    // GitLab (and gitlab-ci-local) expand $VAR inside variable values; the runner redacts what that lets in.
    expect(prompt).toContain('token=[REDACTED]');
    expect(prompt).not.toContain(scenario.botToken);
    expect(calls[0]!.env).toMatchObject({ GITLAB_TOKEN: false, CI_JOB_TOKEN: false });
  });
});

describe.concurrent('cloud templates under gitlab-ci-local', () => {
  it('claude-vertex: Claude Code gets an external-account credential file that reads the ID token, outside the checkout', async () => {
    const { scenario, run, before, after, calls } = await runJob('claude-vertex', 'issue', { FAKE_CLAUDE_SCENARIO: 'edit-file' });
    expectOk(run);
    expect(calls[0]).toMatchObject({ provider: 'vertex', problem: null });
    expect(calls[0]!.googleCredentials).toEqual({
      type: 'external_account',
      audience: '//iam.googleapis.com/projects/123456789012/locations/global/workloadIdentityPools/gitlab/providers/gitlab-example',
      subject_token_type: 'urn:ietf:params:oauth:token-type:jwt',
      token_url: 'https://sts.googleapis.com/v1/token',
      credential_source: { file: expect.stringMatching(/\/gitlab-id-token$/), format: { type: 'text' } },
      service_account_impersonation_url: 'https://iamcredentials.googleapis.com/v1/projects/-/serviceAccounts/claude-runner@my-project.iam.gserviceaccount.com:generateAccessToken',
    });
    const tokenFile = (calls[0]!.googleCredentials!.credential_source as { file: string }).file;
    expect(tokenFile.startsWith(scenario.checkoutDir)).toBe(false);
    expect(calls[0]!.googleCredentialsPath!.startsWith(scenario.checkoutDir)).toBe(false);
    const created = Object.keys(after).filter((name) => !(name in before));
    expect(git(scenario.repos.bare, ['diff', '--name-only', `main..${created[0]}`])).toBe('CLAUDE_CHANGE.md');
    expect(isClosedOut(scenario.trackingNote().body)).toBe(true);
  });

  it('claude-bedrock: the ID token is exchanged with assume-role-with-web-identity and the keys reach Claude Code', async () => {
    const { scenario, run, calls, aws } = await runJob('claude-bedrock', 'issue', { FAKE_CLAUDE_SCENARIO: 'answer-only', FAKE_CLAUDE_ANSWER: 'Answered from Bedrock.' });
    expectOk(run);
    expect(aws).toMatch(/^role=arn:aws:iam::123456789012:role\/claude-gitlab-flow session=claude-gitlab-flow-\d+ token=eyJ\S+ query=Credentials\.\[AccessKeyId,SecretAccessKey,SessionToken\] output=text\n$/);
    expect(calls[0]).toMatchObject({ provider: 'bedrock', problem: null, aws: { accessKeyId: 'ASIAFAKEACCESSKEY', region: 'us-west-2' } });
    expect(scenario.trackingNote().body).toContain('Answered from Bedrock.');
  });

  it('claude-bedrock with a role that cannot be assumed: the thread hears it is an authentication problem', async () => {
    const { scenario, run, calls } = await runJob('claude-bedrock', 'issue', { FAKE_CLAUDE_SCENARIO: 'answer-only', AWS_ROLE_TO_ASSUME: 'not-an-arn' });
    expect(run.code).not.toBe(0);
    expect(run.output).toContain('assume-role-with-web-identity failed');
    expect(calls[0]).toMatchObject({ provider: 'bedrock', problem: 'Could not load credentials from any providers' });
    const note = scenario.trackingNote().body;
    expect(note).toMatch(/Claude Code could not authenticate/);
    expect(isClosedOut(note)).toBe(true);
  });
});
