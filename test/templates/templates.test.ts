import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_ALLOWED_TOOLS } from '../../service/runner/config.js';
import { SESSION_DIR } from '../../service/runner/session/artifact.js';
import { createRepos, checkout } from '../../devtools/repo.js';
import { removeTempDirs, tempDir } from '../../devtools/temp.js';
import { gitlabCiLocal, projectFiles, shellModeCopy, TEMPLATE_NAMES, TEMPLATES_DIR, type TemplateName } from './gitlab-ci-local.js';

// What every template must say, read from the files, and what gitlab-ci-local 4.55 makes of them:
// schema validation (its bundled copy of GitLab's CI JSON schema) and which pipelines get the job.

const read = (name: TemplateName) => readFileSync(join(TEMPLATES_DIR, `${name}.gitlab-ci.yml`), 'utf8');
const SERVICE_RULE = `'$AI_FLOW_EVENT && ($CI_PIPELINE_SOURCE == "trigger" || $CI_PIPELINE_SOURCE == "api")'`;

describe.each(TEMPLATE_NAMES)('%s', (name) => {
  const text = read(name);
  const jobScripts = text.slice(text.indexOf('\nclaude-gitlab-flow:'));

  it('runs only in pipelines the service starts, under a recognisable pipeline name', () => {
    expect(text).toContain(`workflow:\n  # Claude pipelines carry a name starting with "claude-gitlab-flow:"; other pipelines keep theirs.\n  name: '$CLAUDE_FLOW_PIPELINE_NAME'`);
    expect(text).toContain(`    - if: ${SERVICE_RULE}\n      variables:\n        CLAUDE_FLOW_PIPELINE_NAME: 'claude-gitlab-flow: $AI_FLOW_EVENT $AI_FLOW_THREAD'\n    - when: always`);
    expect(jobScripts).toContain(`  rules:\n    - if: ${SERVICE_RULE}\n`);
  });

  it('has a resource group per thread, a job timeout above the runner timeout, max turns and the allow-list', () => {
    expect(jobScripts).toContain("  resource_group: 'claude-gitlab-flow-$AI_FLOW_THREAD'\n");
    expect(jobScripts).toContain('  timeout: 30m\n');
    expect(jobScripts).toContain("    CLAUDE_FLOW_TIMEOUT_SECONDS: '1500'\n");
    expect(1500).toBeLessThan(30 * 60);
    expect(jobScripts).toContain("    CLAUDE_FLOW_MAX_TURNS: '30'\n");
    // The template's allow-list is the runner's default: one list, not two that drift apart.
    expect(jobScripts).toContain(`    CLAUDE_FLOW_ALLOWED_TOOLS: '${DEFAULT_ALLOWED_TOOLS.join(',')}'\n`);
  });

  it('never pastes AI_FLOW_* values into YAML or a shell line: the runner reads them from its environment', () => {
    expect(text).not.toMatch(/\$\{?AI_FLOW_(INPUT|CONTEXT)/);
    expect(jobScripts).toContain('    - claude-gitlab-flow run\n');
    // The only AI_FLOW_* expansions are in rules, the pipeline name and the resource group.
    const expansions = text.split('\n').filter((line) => /\$\{?AI_FLOW_/.test(line) && !line.trimStart().startsWith('#'));
    for (const line of expansions) expect(line).toMatch(/^\s+(- if: |CLAUDE_FLOW_PIPELINE_NAME: |resource_group: )/);
  });

  it("keeps Claude Code's session as an artifact only project members with Developer can download, for a week", () => {
    expect(jobScripts).toContain(`  artifacts:\n    paths:\n      - ${SESSION_DIR}/\n    when: always\n    access: developer\n    expire_in: 7 days\n`);
  });

  it('runs the image as root, so the runner can start Claude Code as its unprivileged user', () => {
    expect(jobScripts).toContain("  image:\n    name: '$CLAUDE_FLOW_IMAGE'\n    docker:\n      user: root\n");
  });

  it('has exactly one image block, which the shell-mode copy drops and nothing else', () => {
    const copy = shellModeCopy(text);
    expect(copy).not.toMatch(/image:|user: root/);
    const removed = text.length - copy.length;
    const block = /(?: {2}#.*\n)*  image:\n    name: '\$CLAUDE_FLOW_IMAGE'\n    docker:\n      user: root\n/.exec(text)![0];
    expect(removed).toBe(block.length);
    expect(text.replace(block, '')).toBe(copy);
    expect(() => shellModeCopy(copy)).toThrow(/exactly one/);
  });

  it('does not use CI_JOB_JWT (removed in GitLab 17.0) or long-lived cloud keys', () => {
    const code = text.split('\n').filter((line) => !line.trimStart().startsWith('#')).join('\n');
    expect(code).not.toMatch(/CI_JOB_JWT/);
    expect(code).not.toMatch(/GOOGLE_CREDENTIALS|service-account-key|AWS_SECRET_ACCESS_KEY:/);
  });
});

describe('provider specifics', () => {
  it('Vertex AI: an ID token for the WIF provider, an external-account file that reads it, the Vertex variables', () => {
    const text = read('claude-vertex');
    expect(text).toContain("  id_tokens:\n    GCP_ID_TOKEN:\n      aud: 'https://iam.googleapis.com/$GCP_WORKLOAD_IDENTITY_PROVIDER'\n");
    expect(text).toContain("    CLAUDE_CODE_USE_VERTEX: '1'\n");
    expect(text).toContain('type: "external_account"');
    expect(text).toContain('credential_source: { file: process.argv[1], format: { type: "text" } }');
    expect(text).toContain('export GOOGLE_APPLICATION_CREDENTIALS="$CLAUDE_FLOW_CREDENTIALS_DIR/credentials.json"');
    for (const variable of ['ANTHROPIC_VERTEX_PROJECT_ID', 'CLOUD_ML_REGION', 'GCP_SERVICE_ACCOUNT']) expect(text).toContain(variable);
  });

  it('Bedrock: an ID token exchanged with assume-role-with-web-identity', () => {
    const text = read('claude-bedrock');
    expect(text).toContain("  id_tokens:\n    AWS_ID_TOKEN:\n      aud: 'sts.amazonaws.com'\n");
    expect(text).toContain("    CLAUDE_CODE_USE_BEDROCK: '1'\n");
    expect(text).toContain('aws sts assume-role-with-web-identity');
    expect(text).toContain('--web-identity-token "$AWS_ID_TOKEN"');
  });

  it('Claude API: the key comes from a masked CI/CD variable, not from the file', () => {
    const text = read('claude-api');
    expect(text).toContain('ANTHROPIC_API_KEY   masked');
    expect(text).not.toMatch(/^\s+ANTHROPIC_API_KEY:/m);
  });
});

describe('under gitlab-ci-local 4.55', () => {
  const home = tempDir('gcl-home');
  afterAll(removeTempDirs);
  const binDir = join(home, 'bin');
  const projects = new Map<TemplateName, string>();

  beforeAll(() => {
    for (const name of TEMPLATE_NAMES) {
      const repos = createRepos(projectFiles(name, read(name)));
      projects.set(name, checkout(repos, 'main'));
    }
  });

  it.concurrent.each(TEMPLATE_NAMES)('%s passes schema validation, included with one line', async (name) => {
    const run = await gitlabCiLocal(projects.get(name)!, ['--list', '--json-schema-validation'], { binDir, home });
    expect(run.output).toContain('json schema validated');
    expect(run.code).toBe(0);
  });

  it('a broken copy fails the same validation (the check can fail)', async () => {
    const repos = createRepos(projectFiles('claude-api', read('claude-api').replace('  timeout: 30m\n', '  timeout: [30m]\n  not_a_keyword: true\n')));
    const run = await gitlabCiLocal(checkout(repos, 'main'), ['--list'], { binDir, home });
    expect(run.code).not.toBe(0);
    expect(run.output).toContain('Invalid .gitlab-ci.yml configuration');
  });

  const cases: Array<[string, Record<string, string>, boolean]> = [
    ['a trigger pipeline with AI_FLOW_EVENT', { AI_FLOW_EVENT: 'mention', CI_PIPELINE_SOURCE: 'trigger' }, true],
    ['an API pipeline with AI_FLOW_EVENT', { AI_FLOW_EVENT: 'mention', CI_PIPELINE_SOURCE: 'api' }, true],
    ['a push pipeline', { CI_PIPELINE_SOURCE: 'push' }, false],
    ['a push pipeline with AI_FLOW_EVENT', { AI_FLOW_EVENT: 'mention', CI_PIPELINE_SOURCE: 'push' }, false],
    ['a web pipeline with AI_FLOW_EVENT', { AI_FLOW_EVENT: 'mention', CI_PIPELINE_SOURCE: 'web' }, false],
    ['a trigger pipeline without AI_FLOW_EVENT', { CI_PIPELINE_SOURCE: 'trigger' }, false],
  ];
  it.concurrent.each(cases)('the job is in %s: %s', async (_, variables, expected) => {
    const run = await gitlabCiLocal(projects.get('claude-api')!, ['--list-json'], { binDir, home, variables });
    expect(run.code).toBe(0);
    const jobs = JSON.parse(run.output.slice(run.output.indexOf('['))) as Array<{ name: string; when: string }>;
    expect(jobs.filter((job) => job.when !== 'never').map((job) => job.name)).toEqual(expected ? ['claude-gitlab-flow'] : []);
  });
});
