import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AccessLevel } from '../../standins/gitlab/index.js';
import { client, world } from './helpers.js';

let w: Awaited<ReturnType<typeof world>>;
beforeEach(async () => {
  w = await world();
});
afterEach(async () => {
  await w.gitlab.close();
});

describe('authentication', () => {
  it('answers 401 without a token on endpoints that need a user', async () => {
    const reply = await client(w.gitlab).get('/user');
    expect(reply.status).toBe(401);
    expect(reply.body).toEqual({ message: '401 Unauthorized' });
  });

  it('answers 401 for an unknown token, even on endpoints that need no user', async () => {
    const reply = await client(w.gitlab, 'glpat-not-a-real-token').get(`/users/${w.dev.id}`);
    expect(reply.status).toBe(401);
    expect(reply.body).toEqual({ message: '401 Unauthorized' });
  });

  it('accepts PRIVATE-TOKEN and Authorization: Bearer', async () => {
    expect((await client(w.gitlab, w.dev.token).get('/user')).body.username).toBe('dana');
    const bearer = await client(w.gitlab).get('/user', { authorization: `Bearer ${w.bot.token}` });
    expect(bearer.status).toBe(200);
    expect(bearer.body.username).toBe('claude-bot');
  });

  it('refuses revoked tokens with the OAuth error body', async () => {
    w.gitlab.revokeToken(w.dev.token);
    const reply = await client(w.gitlab, w.dev.token).get('/user');
    expect(reply.status).toBe(401);
    expect(reply.body).toEqual({ error: 'invalid_token', error_description: 'Token has been revoked.' });
  });

  it('lets a read_api token read but not write', async () => {
    const token = w.gitlab.addToken(w.dev.id, { scopes: ['read_api'] });
    const api = client(w.gitlab, token);
    expect((await api.get('/user')).status).toBe(200);
    const write = await api.post(`/projects/${w.project.id}/pipeline`, { ref: 'feature' });
    expect(write.status).toBe(403);
    expect(write.body.error).toBe('insufficient_scope');
  });

  it('refuses blocked users', async () => {
    w.gitlab.setUserState(w.dev.id, 'blocked');
    const reply = await client(w.gitlab, w.dev.token).get('/user');
    expect(reply.status).toBe(403);
    expect(reply.body.message).toBe('403 Forbidden - Your account has been blocked.');
  });
});

describe('users', () => {
  it('GET /user returns the token owner with bot and email', async () => {
    const reply = await client(w.gitlab, w.bot.token).get('/user');
    expect(reply.status).toBe(200);
    expect(reply.body).toMatchObject({ id: w.bot.id, username: 'claude-bot', name: 'Claude', bot: true, state: 'active' });
    expect(reply.body.email).toBe('claude-bot@example.com');
  });

  it('GET /users/:id has bot and state; unknown ids are "404 User Not Found"', async () => {
    const api = client(w.gitlab, w.dev.token);
    expect((await api.get(`/users/${w.bot.id}`)).body).toMatchObject({ bot: true, state: 'active', username: 'claude-bot' });
    w.gitlab.setUserState(w.outsider.id, 'blocked');
    expect((await api.get(`/users/${w.outsider.id}`)).body).toMatchObject({ bot: false, state: 'blocked' });
    const missing = await api.get('/users/424242');
    expect(missing.status).toBe(404);
    expect(missing.body).toEqual({ message: '404 User Not Found' });
  });

  it('GET /users/:id takes an integer id, not a username', async () => {
    const reply = await client(w.gitlab, w.dev.token).get('/users/dana');
    expect(reply.status).toBe(400);
    expect(reply.body).toEqual({ error: 'id is invalid' });
  });
});

describe('projects', () => {
  it('finds a project by numeric id and by URL-encoded path', async () => {
    const api = client(w.gitlab, w.dev.token);
    const byId = await api.get(`/projects/${w.project.id}`);
    const byPath = await api.get('/projects/group%2Fproject');
    expect(byId.status).toBe(200);
    expect(byPath.body.id).toBe(w.project.id);
    expect(byId.body).toMatchObject({ path_with_namespace: 'group/project', default_branch: 'main', visibility: 'private' });
    expect(byId.body.permissions.project_access.access_level).toBe(AccessLevel.developer);
  });

  it('answers 404 "Project Not Found" to non-members of a private project, and for unknown projects', async () => {
    const outsider = client(w.gitlab, w.outsider.token);
    for (const path of [`/projects/${w.project.id}`, `/projects/${w.project.id}/members/all/${w.dev.id}`, `/projects/${w.project.id}/issues/1`]) {
      const reply = await outsider.get(path);
      expect(reply.status, path).toBe(404);
      expect(reply.body, path).toEqual({ message: '404 Project Not Found' });
    }
    expect((await client(w.gitlab, w.dev.token).get('/projects/999999')).body).toEqual({ message: '404 Project Not Found' });
    expect((await client(w.gitlab).get(`/projects/${w.project.id}`)).status).toBe(404);
  });

  it('lets anyone read a public project, even anonymously', async () => {
    const open = w.gitlab.addProject({ path: 'group/open', visibility: 'public' });
    expect((await client(w.gitlab).get(`/projects/${open.id}`)).status).toBe(200);
    expect((await client(w.gitlab, w.outsider.token).get('/projects/group%2Fopen')).status).toBe(200);
  });

  it('members/all/:user_id answers the membership, or 404 "Not found" for a non-member', async () => {
    const api = client(w.gitlab, w.bot.token);
    const member = await api.get(`/projects/${w.project.id}/members/all/${w.dev.id}`);
    expect(member.status).toBe(200);
    expect(member.body).toMatchObject({ id: w.dev.id, username: 'dana', access_level: 30, state: 'active' });
    const stranger = await api.get(`/projects/${w.project.id}/members/all/${w.outsider.id}`);
    expect(stranger.status).toBe(404);
    expect(stranger.body).toEqual({ message: '404 Not found' });
  });

  it('members/all/:user_id follows membership changes', async () => {
    const api = client(w.gitlab, w.bot.token);
    w.gitlab.addMember(w.project.id, w.dev.id, AccessLevel.reporter);
    expect((await api.get(`/projects/${w.project.id}/members/all/${w.dev.id}`)).body.access_level).toBe(20);
    w.gitlab.removeMember(w.project.id, w.dev.id);
    expect((await api.get(`/projects/${w.project.id}/members/all/${w.dev.id}`)).status).toBe(404);
  });

  it('serves branches, with "404 Branch Not Found" for unknown ones', async () => {
    const api = client(w.gitlab, w.dev.token);
    const branch = await api.get(`/projects/${w.project.id}/repository/branches/feature`);
    expect(branch.status).toBe(200);
    expect(branch.body).toMatchObject({ name: 'feature', protected: false, default: false });
    expect(branch.body.commit.id).toMatch(/^[0-9a-f]{40}$/);
    const main = await api.get(`/projects/${w.project.id}/repository/branches/main`);
    expect(main.body).toMatchObject({ protected: true, default: true, can_push: false });
    const missing = await api.get(`/projects/${w.project.id}/repository/branches/nope`);
    expect(missing.status).toBe(404);
    expect(missing.body).toEqual({ message: '404 Branch Not Found' });
  });

  it('answers {"error":"404 Not Found"} for routes GitLab does not have', async () => {
    const reply = await client(w.gitlab, w.dev.token).get(`/projects/${w.project.id}/nonsense`);
    expect(reply.status).toBe(404);
    expect(reply.body).toEqual({ error: '404 Not Found' });
  });
});
