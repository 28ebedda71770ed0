import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AccessLevel } from '../../standins/gitlab/index.js';
import { correctWorld, doctor, doctorJson, includeOf, lineOf, PROJECT, WEBHOOK_URL, type World } from './world.js';

// doctor against the stand-in GitLab: a correct set-up passes, then each misconfiguration, one at a
// time, is named on its own line with its fix, and fails the exit status (warnings do not).

let w: World;
beforeEach(async () => {
  w = await correctWorld();
});
afterEach(async () => {
  await w.gitlab.close();
});

const run = () => doctor(w.env, w.args);

describe('a correct set-up', () => {
  it('passes every check and exits 0', async () => {
    const result = await run();
    expect(result.code).toBe(0);
    expect(
      result.lines.filter((line) => !line.startsWith('✔')),
      result.text,
    ).toEqual(['12 passed, 0 warnings, 0 failed']);
    expect(lineOf(result, 'gitlab.reachable')).toMatch(/^✔ gitlab\.reachable: GitLab 17\.11\.0-ee at http:/);
    expect(lineOf(result, 'project.ci-template')).toBe(
      `✔ ${PROJECT} project.ci-template: ${PROJECT}@main includes the claude-api template (job claude-gitlab-flow)`,
    );
    expect(lineOf(result, 'project.trigger-token')).toBe(
      `✔ ${PROJECT} project.trigger-token: GITLAB_TRIGGER_TOKEN is a trigger token of ${PROJECT}`,
    );
  });

  it('starts no pipeline to check the trigger token', async () => {
    await run();
    expect(w.gitlab.pipelines(w.projectId)).toEqual([]);
  });

  it('answers in JSON for machines, with the same checks', async () => {
    const { code, checks } = await doctorJson(w.env, w.args);
    expect(code).toBe(0);
    expect(checks.map((check) => check.check)).toEqual([
      'config',
      'gitlab.reachable',
      'gitlab.token',
      'gitlab.scopes',
      'gitlab.expiry',
      'gitlab.bot',
      'project.found',
      'project.access',
      'project.webhook',
      'project.ci-template',
      'project.variables',
      'project.trigger-token',
    ]);
    expect(
      checks.filter((check) => check.check.startsWith('project.')).every((check) => check.project === PROJECT),
    ).toBe(true);
    expect(checks.every((check) => check.status === 'pass')).toBe(true);
  });

  it('checks --project besides ALLOWED_PROJECTS, each once', async () => {
    const other = w.gitlab.addProject({ path: 'group/other' });
    w.gitlab.addMember(other.id, w.bot.id, AccessLevel.developer);
    const result = await doctor(w.env, [...w.args, '--project', String(other.id), '--project', PROJECT]);
    expect(result.lines.filter((line) => line.includes('project.found'))).toHaveLength(2);
    expect(
      lineOf({ ...result, lines: result.lines.filter((line) => line.includes('group/other')) }, 'project.ci-template'),
    ).toBe(
      '✘ group/other project.ci-template: group/other@main has no .gitlab-ci.yml → fix: add to .gitlab-ci.yml on main: include: - remote: ' +
        "'https://gitlab.com/<group>/claude-gitlab-flow/-/raw/<release>/templates/claude-api.gitlab-ci.yml' (or claude-vertex / claude-bedrock; see the template's header)",
    );
  });
});

describe('the token', () => {
  it('revoked or unknown: ✘ with how to make a new one, and no project checks', async () => {
    w.gitlab.revokeToken(w.bot.token);
    const result = await run();
    expect(result.code).toBe(1);
    expect(lineOf(result, 'gitlab.token')).toMatch(
      /^✘ gitlab\.token: GitLab refuses GITLAB_TOKEN \(401 Token has been revoked\.\) → fix: create a project access token/,
    );
    expect(result.text).not.toContain('project.');
  });

  it('expired: ✘', async () => {
    const expired = w.gitlab.addToken(w.bot.id, { expiresAt: new Date(Date.now() - 86_400_000) });
    const result = await doctor({ ...w.env, GITLAB_TOKEN: expired }, w.args);
    expect(result.code).toBe(1);
    expect(lineOf(result, 'gitlab.token')).toContain('(401 Token has expired.)');
  });

  it('without the api scope: ✘', async () => {
    const readOnly = w.gitlab.addToken(w.bot.id, { scopes: ['read_api'] });
    const result = await doctor({ ...w.env, GITLAB_TOKEN: readOnly }, w.args);
    expect(result.code).toBe(1);
    expect(lineOf(result, 'gitlab.scopes')).toMatch(
      /^✘ gitlab\.scopes: GITLAB_TOKEN has the scopes read_api, not api: .* → fix: create a project access token \(role Developer, scopes api and write_repository\)/,
    );
  });

  it('without write_repository, or expiring within 14 days: ⚠ only, exit 0', async () => {
    const soon = w.gitlab.addToken(w.bot.id, { scopes: ['api'], expiresAt: new Date(Date.now() + 5.5 * 86_400_000) });
    const result = await doctor({ ...w.env, GITLAB_TOKEN: soon }, w.args);
    expect(result.code).toBe(0);
    expect(lineOf(result, 'gitlab.scopes')).toMatch(
      /^⚠ gitlab\.scopes: GITLAB_TOKEN has the scopes api, without write_repository → fix: if the CI\/CD variable GITLAB_TOKEN/,
    );
    expect(lineOf(result, 'gitlab.expiry')).toMatch(
      /^⚠ gitlab\.expiry: GITLAB_TOKEN expires on \d{4}-\d\d-\d\d, in 5 days → fix: rotate it before/,
    );
  });

  it("of a person: ✘, a bot's token is the fix", async () => {
    const dana = w.gitlab.addUser({ username: 'dana' });
    w.gitlab.addMember(w.projectId, dana.id, AccessLevel.maintainer);
    const result = await doctor({ ...w.env, GITLAB_TOKEN: dana.token }, w.args);
    expect(result.code).toBe(1);
    expect(lineOf(result, 'gitlab.bot')).toMatch(
      /^✘ gitlab\.bot: @dana is a person, not a bot: .* → fix: use a bot's token instead: create a project access token/,
    );
  });

  it('GitLab unreachable: ✘ naming GITLAB_URL', async () => {
    const result = await doctor({ ...w.env, GITLAB_URL: 'http://127.0.0.1:9' }, w.args);
    expect(result.code).toBe(1);
    expect(lineOf(result, 'gitlab.reachable')).toMatch(
      /^✘ gitlab\.reachable: cannot reach GitLab at http:\/\/127\.0\.0\.1:9: .* → fix: check GITLAB_URL/,
    );
  });
});

describe('the project', () => {
  it('the bot below Developer: ✘ naming its role, and ⚠ for what a Reporter may not read', async () => {
    w.gitlab.addMember(w.projectId, w.bot.id, AccessLevel.reporter);
    const result = await run();
    expect(result.code).toBe(1);
    expect(lineOf(result, 'project.access')).toBe(
      `✘ ${PROJECT} project.access: @claude-bot is Reporter in ${PROJECT}: it needs Developer or more ` +
        `to start pipelines and push branches → fix: in ${PROJECT}, Manage > Members: change @claude-bot's role to Developer`,
    );
    expect(lineOf(result, 'project.webhook')).toMatch(/^⚠ .*needs Maintainer and the bot is Reporter/);
  });

  it('the bot not a member: ✘ project.found with the invitation as fix', async () => {
    w.gitlab.removeMember(w.projectId, w.bot.id);
    const result = await doctor({ ...w.env, ALLOWED_PROJECTS: String(w.projectId) }, w.args);
    expect(result.code).toBe(1);
    expect(lineOf(result, 'project.found')).toBe(
      `✘ ${w.projectId} project.found: @claude-bot cannot see project ${w.projectId} (404 Project Not Found) ` +
        `→ fix: in ${w.projectId}, Manage > Members > Invite members: @claude-bot, role Developer; or correct ALLOWED_PROJECTS`,
    );
  });

  it('hooks and variables refused to a Developer bot (403): ⚠ that says Maintainer is needed, exit 0', async () => {
    w.gitlab.addMember(w.projectId, w.bot.id, AccessLevel.developer);
    const result = await run();
    expect(result.code).toBe(0);
    expect(lineOf(result, 'project.webhook')).toMatch(
      new RegExp(
        `^⚠ ${PROJECT} project.webhook: cannot list ${PROJECT}'s webhooks: GET /projects/:id/hooks needs Maintainer ` +
          `and the bot is Developer → fix: check by hand in ${PROJECT}, Settings > Webhooks: URL ${WEBHOOK_URL}, `,
      ),
    );
    expect(lineOf(result, 'project.variables')).toMatch(
      /^⚠ .* needs Maintainer and the bot is Developer → fix: check by hand in .*: ANTHROPIC_API_KEY, GITLAB_TOKEN, CLAUDE_FLOW_IMAGE$/,
    );
  });

  it('no webhook: ✘ with the webhook to add', async () => {
    w.gitlab.removeWebhook(w.hookId);
    const result = await run();
    expect(result.code).toBe(1);
    expect(lineOf(result, 'project.webhook')).toBe(
      `✘ ${PROJECT} project.webhook: no webhook of ${PROJECT} points at ${WEBHOOK_URL} → fix: in ${PROJECT}, ` +
        `Settings > Webhooks > Add new webhook: URL ${WEBHOOK_URL}, Secret token: the GITLAB_WEBHOOK_SECRET value, Trigger: Comments and Pipeline events, ` +
        'Enable SSL verification on',
    );
  });

  it('a webhook to another URL: ✘ naming where it goes', async () => {
    w.gitlab.removeWebhook(w.hookId);
    w.gitlab.registerWebhook(w.projectId, {
      url: 'https://old-service.example/webhooks/gitlab',
      token: 't',
      noteEvents: true,
    });
    const result = await run();
    expect(result.code).toBe(1);
    expect(lineOf(result, 'project.webhook')).toContain(
      `no webhook of ${PROJECT} points at ${WEBHOOK_URL} (its webhooks go to https://old-service.example/webhooks/gitlab)`,
    );
  });

  it.each([
    ['Comments', { noteEvents: false }],
    ['Pipeline events', { pipelineEvents: false }],
    ['Enable SSL verification', { enableSslVerification: false }],
  ])('a webhook with %s off: ✘ with what to turn on', async (what, flags) => {
    w.gitlab.removeWebhook(w.hookId);
    w.gitlab.registerWebhook(w.projectId, { url: WEBHOOK_URL, token: 't', noteEvents: true, ...flags });
    const result = await run();
    expect(result.code).toBe(1);
    expect(lineOf(result, 'project.webhook')).toBe(
      `✘ ${PROJECT} project.webhook: the webhook ${WEBHOOK_URL} of ${PROJECT} has ${what} off ` +
        `→ fix: in ${PROJECT}, Settings > Webhooks > Edit ${WEBHOOK_URL}: turn on ${what}, then Save changes`,
    );
  });

  it('the template not included: ✘ with the include line', async () => {
    w.gitlab.setCiConfig(w.projectId, 'build:\n  script: [make]\n');
    const result = await run();
    expect(result.code).toBe(1);
    expect(lineOf(result, 'project.ci-template')).toMatch(
      new RegExp(
        `^✘ ${PROJECT} project.ci-template: the CI configuration of ${PROJECT}@main has no ` +
          'claude-gitlab-flow job: no template is included → fix: add to .gitlab-ci.yml on main: include: - remote: ',
      ),
    );
    // Without a template doctor cannot know which variables are needed.
    expect(result.text).not.toContain('project.variables');
  });

  it("an invalid CI configuration: ✘ with GitLab's errors", async () => {
    w.gitlab.setCiConfig(w.projectId, "include:\n  - remote: 'https://gitlab.example/nowhere.yml'\n");
    const result = await run();
    expect(lineOf(result, 'project.ci-template')).toContain(
      'is invalid: Remote file `https://gitlab.example/nowhere.yml` could not be fetched',
    );
    expect(result.code).toBe(1);
  });

  it('a missing CI/CD variable: ✘ naming it', async () => {
    w.gitlab.setCiConfig(w.projectId, includeOf('claude-vertex', 'variables:\n  CLOUD_ML_REGION: global\n'));
    const vertex = await run();
    expect(vertex.code).toBe(1);
    // CLOUD_ML_REGION is set in the YAML itself, so it is not asked for.
    expect(lineOf(vertex, 'project.variables')).toBe(
      `✘ ${PROJECT} project.variables: ${PROJECT} lacks the CI/CD variables GCP_WORKLOAD_IDENTITY_PROVIDER, ` +
        `ANTHROPIC_VERTEX_PROJECT_ID (the vertex template needs them) → fix: in ${PROJECT}, Settings > CI/CD > Variables: add GCP_WORKLOAD_IDENTITY_PROVIDER, ` +
        "ANTHROPIC_VERTEX_PROJECT_ID (masked when secret); a group's variables also count, but doctor sees only the project's",
    );
  });

  it('an invalid trigger token: ✘, and no pipeline', async () => {
    const result = await doctor(
      { ...w.env, GITLAB_TRIGGER_TOKEN: 'glptt-0000000000000000000000000000000000000000' },
      w.args,
    );
    expect(result.code).toBe(1);
    expect(lineOf(result, 'project.trigger-token')).toMatch(
      new RegExp(
        `^✘ ${PROJECT} project.trigger-token: GITLAB_TRIGGER_TOKEN is not a trigger token of ${PROJECT} ` +
          `\\(GitLab answers 404\\) → fix: in ${PROJECT}, Settings > CI/CD > Pipeline trigger tokens: add one`,
      ),
    );
    expect(w.gitlab.pipelines(w.projectId)).toEqual([]);
  });

  it('a trigger token whose owner may not run pipelines: ✘', async () => {
    const gone = w.gitlab.addUser({ username: 'former-maintainer' });
    w.gitlab.addMember(w.projectId, gone.id, AccessLevel.reporter);
    const token = w.gitlab.addTriggerToken(w.projectId, { ownerId: gone.id });
    const result = await doctor({ ...w.env, GITLAB_TRIGGER_TOKEN: token }, w.args);
    expect(result.code).toBe(1);
    expect(lineOf(result, 'project.trigger-token')).toContain(
      'but its owner may not run pipelines (Insufficient permissions to create a new pipeline)',
    );
  });
});

describe('the configuration', () => {
  it('invalid: ✘ naming the setting, exit 1, nothing else checked', async () => {
    const result = await doctor({ ...w.env, GITLAB_URL: 'gitlab.example.com' }, w.args);
    expect(result.code).toBe(1);
    expect(result.lines).toHaveLength(2);
    expect(lineOf(result, 'config')).toMatch(/^✘ config: invalid configuration: GITLAB_URL must be a URL/);
  });

  it('without a webhook secret: ⚠ only (doctor never needs it), the rest is checked', async () => {
    const { GITLAB_WEBHOOK_SECRET: _unused, ...env } = w.env;
    const result = await doctor(env, w.args);
    expect(result.code).toBe(0);
    expect(lineOf(result, 'config')).toMatch(/^⚠ config: .*GITLAB_WEBHOOK_SECRET is not set here/);
    expect(lineOf(result, 'project.webhook')).toMatch(/^✔/);
  });

  it('bad arguments: usage and exit 2', async () => {
    const result = await doctor(w.env, ['--frobnicate']);
    expect(result.code).toBe(2);
    expect(result.lines[0]).toBe('claude-gitlab-flow doctor: unknown argument --frobnicate');
  });
});
