import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AccessLevel } from '../../standins/gitlab/index.js';
import { client, world } from './helpers.js';

// The routes doctor reads: the instance version, the token itself, a project's webhooks and CI/CD
// variables (Maintainer only) and the CI lint API with the merged YAML.

let w: Awaited<ReturnType<typeof world>>;
beforeEach(async () => {
  w = await world();
});
afterEach(async () => {
  await w.gitlab.close();
});

describe('GET /version and GET /personal_access_tokens/self', () => {
  it('needs a user', async () => {
    expect((await client(w.gitlab).get('/version')).status).toBe(401);
    expect((await client(w.gitlab).get('/personal_access_tokens/self')).status).toBe(401);
  });

  it('tells the version', async () => {
    const reply = await client(w.gitlab, w.dev.token).get('/version');
    expect(reply.status).toBe(200);
    expect(reply.body).toMatchObject({
      version: expect.stringMatching(/^\d+\.\d+\.\d+/),
      revision: expect.any(String),
    });
  });

  it('describes the token used, with its scopes and expiry date, never its value', async () => {
    const token = w.gitlab.addToken(w.bot.id, {
      name: 'ci',
      scopes: ['api', 'write_repository'],
      expiresAt: new Date('2099-01-31T00:00:00Z'),
    });
    const reply = await client(w.gitlab, token).get('/personal_access_tokens/self');
    expect(reply.status).toBe(200);
    expect(reply.body).toMatchObject({
      name: 'ci',
      scopes: ['api', 'write_repository'],
      user_id: w.bot.id,
      active: true,
      revoked: false,
      expires_at: '2099-01-31',
    });
    expect(reply.text).not.toContain(token);
  });

  it('never reaches an expired token: the guard answers 401', async () => {
    const token = w.gitlab.addToken(w.bot.id, { expiresAt: new Date(Date.now() - 86_400_000) });
    const reply = await client(w.gitlab, token).get('/personal_access_tokens/self');
    expect(reply.status).toBe(401);
    expect(reply.body).toMatchObject({ error: 'invalid_token', error_description: 'Token has expired.' });
  });
});

describe('GET /projects/:id/hooks and /variables', () => {
  it('list for a Maintainer, with the event flags and SSL verification', async () => {
    w.gitlab.registerWebhook(w.project.id, {
      url: 'https://svc.example/webhooks/gitlab',
      token: 's',
      noteEvents: true,
      enableSslVerification: false,
    });
    w.gitlab.addCiVariable(w.project.id, 'ANTHROPIC_API_KEY', 'sk-secret');
    const hooks = await client(w.gitlab, w.bot.token).get(`/projects/${w.project.id}/hooks`);
    expect(hooks.status).toBe(200);
    expect(hooks.body).toEqual([
      expect.objectContaining({
        url: 'https://svc.example/webhooks/gitlab',
        note_events: true,
        pipeline_events: true,
        enable_ssl_verification: false,
      }),
    ]);
    expect(hooks.text).not.toContain('"token"');
    const variables = await client(w.gitlab, w.bot.token).get(
      `/projects/${encodeURIComponent('group/project')}/variables`,
    );
    expect(variables.body).toEqual([expect.objectContaining({ key: 'ANTHROPIC_API_KEY', variable_type: 'env_var' })]);
    expect(variables.headers.get('x-total')).toBe('1');
  });

  it('are 403 below Maintainer and 404 for a non-member of a private project', async () => {
    for (const path of ['hooks', 'variables']) {
      const refused = await client(w.gitlab, w.dev.token).get(`/projects/${w.project.id}/${path}`);
      expect(refused.status).toBe(403);
      expect(refused.body).toEqual({ message: '403 Forbidden' });
      const hidden = await client(w.gitlab, w.outsider.token).get(`/projects/${w.project.id}/${path}`);
      expect(hidden.status).toBe(404);
      expect(hidden.body).toEqual({ message: '404 Project Not Found' });
    }
  });
});

describe('GET /projects/:id/ci/lint', () => {
  const template = 'https://gitlab.example/cgf/-/raw/v1/templates/claude-api.gitlab-ci.yml';

  it('merges a remote include under the including file, which wins', async () => {
    w.gitlab.addRemoteFile(
      template,
      'claude-gitlab-flow:\n  stage: test\n  script: [run]\n  variables: { A: "1", B: "1" }\n',
    );
    w.gitlab.setCiConfig(
      w.project.id,
      `include:\n  - remote: '${template}'\nclaude-gitlab-flow:\n  variables: { B: "2" }\n`,
    );
    const reply = await client(w.gitlab, w.dev.token).get(`/projects/${w.project.id}/ci/lint?content_ref=main`);
    expect(reply.status).toBe(200);
    expect(reply.body).toMatchObject({ valid: true, errors: [], warnings: [] });
    expect(reply.body.merged_yaml).toMatch(/^---\n/);
    expect(reply.body.merged_yaml).toContain('stage: test');
    expect(reply.body.merged_yaml).toMatch(/B: "?2"?/);
    expect(reply.body.merged_yaml).not.toContain('include');
  });

  it('reports what GitLab reports for a missing remote file, a missing or invalid config', async () => {
    w.gitlab.setCiConfig(w.project.id, `include: '${template}'\n`);
    const missing = await client(w.gitlab, w.dev.token).get(`/projects/${w.project.id}/ci/lint`);
    expect(missing.body).toMatchObject({ valid: false, merged_yaml: null });
    expect(missing.body.errors).toEqual([
      `Remote file \`${template}\` could not be fetched because of HTTP code \`404\` error!`,
    ]);
    const none = await client(w.gitlab, w.dev.token).get(`/projects/${w.project.id}/ci/lint?content_ref=feature`);
    expect(none.body).toMatchObject({ valid: false, errors: ['Please provide content of .gitlab-ci.yml'] });
    w.gitlab.setCiConfig(w.project.id, '- just\n- a list\n');
    const invalid = await client(w.gitlab, w.dev.token).get(`/projects/${w.project.id}/ci/lint`);
    expect(invalid.body.errors).toEqual(['Invalid configuration format']);
  });

  it('is 404 for an unknown ref, 403 for a Guest of a private project, 404 for a non-member', async () => {
    expect(
      (await client(w.gitlab, w.dev.token).get(`/projects/${w.project.id}/ci/lint?content_ref=nope`)).body,
    ).toEqual({ message: '404 Commit Not Found' });
    expect((await client(w.gitlab, w.guest.token).get(`/projects/${w.project.id}/ci/lint`)).status).toBe(403);
    expect((await client(w.gitlab, w.outsider.token).get(`/projects/${w.project.id}/ci/lint`)).status).toBe(404);
    w.gitlab.addMember(w.project.id, w.guest.id, AccessLevel.reporter);
    expect((await client(w.gitlab, w.guest.token).get(`/projects/${w.project.id}/ci/lint`)).status).toBe(200);
  });
});
