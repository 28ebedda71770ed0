import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AccessLevel } from '../../standins/gitlab/index.js';
import { client, world } from './helpers.js';

let w: Awaited<ReturnType<typeof world>>;
beforeEach(async () => {
  w = await world();
  w.gitlab.addBranch(w.project.id, 'claude/issue-1-fix');
});
afterEach(async () => {
  await w.gitlab.close();
});

const mrs = () => `/projects/${w.project.id}/merge_requests`;

describe('creating merge requests', () => {
  it('creates one: 201, Draft: prefix makes it a draft', async () => {
    const reply = await client(w.gitlab, w.bot.token).post(mrs(), {
      source_branch: 'claude/issue-1-fix',
      target_branch: 'main',
      title: 'Draft: Fix the flaky test',
      description: 'Closes #1',
    });
    expect(reply.status).toBe(201);
    expect(reply.body).toMatchObject({
      iid: 1,
      project_id: w.project.id,
      source_project_id: w.project.id,
      target_project_id: w.project.id,
      source_branch: 'claude/issue-1-fix',
      target_branch: 'main',
      state: 'opened',
      draft: true,
      author: { username: 'claude-bot' },
    });
    expect(reply.body.id).toBeGreaterThanOrEqual(2001);
    expect(reply.body.sha).toMatch(/^[0-9a-f]{40}$/);
    expect(w.gitlab.mergeRequests(w.project.id)).toMatchObject([{ iid: 1, draft: true, description: 'Closes #1' }]);
  });

  it('answers 409 when an open merge request for that source branch exists', async () => {
    const api = client(w.gitlab, w.bot.token);
    await api.post(mrs(), { source_branch: 'claude/issue-1-fix', target_branch: 'main', title: 'One' });
    const again = await api.post(mrs(), { source_branch: 'claude/issue-1-fix', target_branch: 'main', title: 'Two' });
    expect(again.status).toBe(409);
    expect(again.body).toEqual({ message: ['Another open merge request already exists for this source branch: !1'] });
  });

  it('answers 400 for a branch that does not exist', async () => {
    const reply = await client(w.gitlab, w.bot.token).post(mrs(), { source_branch: 'ghost', target_branch: 'nowhere', title: 'x' });
    expect(reply.status).toBe(400);
    expect(reply.body).toEqual({ message: { source_branch: ['does not exist'], target_branch: ['does not exist'] } });
  });

  it('answers 422 for the same branch as source and target', async () => {
    const reply = await client(w.gitlab, w.bot.token).post(mrs(), { source_branch: 'main', target_branch: 'main', title: 'x' });
    expect(reply.status).toBe(422);
    expect(reply.body).toEqual({ message: ["You can't use same project/branch for source and target"] });
  });

  it('needs title, source_branch and target_branch, and Developer access', async () => {
    const missing = await client(w.gitlab, w.bot.token).post(mrs(), {});
    expect(missing.status).toBe(400);
    expect(missing.body).toEqual({ error: 'title is missing, source_branch is missing, target_branch is missing' });
    const reporter = await client(w.gitlab, w.reporter.token).post(mrs(), { source_branch: 'feature', target_branch: 'main', title: 'x' });
    expect(reporter.status).toBe(403);
  });
});

describe('reading merge requests', () => {
  it('gets by iid (not id) and lists by source branch and state', async () => {
    const open = w.gitlab.addMergeRequest(w.project.id, { sourceBranch: 'feature', targetBranch: 'main', title: 'Open', authorId: w.dev.id });
    w.gitlab.addMergeRequest(w.project.id, { sourceBranch: 'feature', targetBranch: 'main', title: 'Old', authorId: w.dev.id, state: 'merged' });
    const api = client(w.gitlab, w.bot.token);
    const one = await api.get(`${mrs()}/${open.iid}`);
    expect(one.status).toBe(200);
    expect(one.body).toMatchObject({ iid: open.iid, title: 'Open', diff_refs: { head_sha: expect.stringMatching(/^[0-9a-f]{40}$/) } });
    const byId = await api.get(`${mrs()}/${open.id}`);
    expect(byId.status).toBe(404);
    expect(byId.body).toEqual({ message: '404 Not found' });
    const opened = await api.get(`${mrs()}?source_branch=feature&state=opened`);
    expect(opened.body.map((mr: any) => mr.title)).toEqual(['Open']);
    const all = await api.get(`${mrs()}?source_branch=feature`);
    expect(all.body).toHaveLength(2);
    expect((await api.get(`${mrs()}?state=nonsense`)).body).toEqual({ error: 'state does not have a valid value' });
  });

  it('serves seeded diffs, paginated', async () => {
    const mr = w.gitlab.addMergeRequest(w.project.id, {
      sourceBranch: 'feature',
      targetBranch: 'main',
      title: 'F',
      authorId: w.dev.id,
      diffs: [
        { old_path: 'a.ts', new_path: 'a.ts', a_mode: '100644', b_mode: '100644', diff: '@@ -1 +1 @@\n-a\n+b\n', new_file: false, renamed_file: false, deleted_file: false },
        { old_path: 'b.ts', new_path: 'b.ts', a_mode: '0', b_mode: '100644', diff: '@@ -0,0 +1 @@\n+b\n', new_file: true, renamed_file: false, deleted_file: false },
      ],
    });
    const reply = await client(w.gitlab, w.bot.token).get(`${mrs()}/${mr.iid}/diffs?per_page=1`);
    expect(reply.status).toBe(200);
    expect(reply.body).toEqual([expect.objectContaining({ new_path: 'a.ts', diff: '@@ -1 +1 @@\n-a\n+b\n', generated_file: false })]);
    expect(reply.headers.get('x-total')).toBe('2');
  });

  it('hides merge requests of a private project from Guests', async () => {
    const mr = w.gitlab.addMergeRequest(w.project.id, { sourceBranch: 'feature', targetBranch: 'main', title: 'F', authorId: w.dev.id });
    expect((await client(w.gitlab, w.guest.token).get(`${mrs()}/${mr.iid}`)).status).toBe(404);
    expect((await client(w.gitlab, w.reporter.token).get(`${mrs()}/${mr.iid}`)).status).toBe(200);
  });

  it('reports a fork merge request\'s source project', async () => {
    const fork = w.gitlab.addProject({ path: 'someone/project', forkedFromProjectId: w.project.id, branches: ['main', 'patch'] });
    w.gitlab.addMember(fork.id, w.outsider.id, AccessLevel.owner);
    const mr = w.gitlab.addMergeRequest(w.project.id, { sourceBranch: 'patch', targetBranch: 'main', title: 'From a fork', sourceProjectId: fork.id, authorId: w.outsider.id });
    const reply = await client(w.gitlab, w.bot.token).get(`${mrs()}/${mr.iid}`);
    expect(reply.body).toMatchObject({ source_project_id: fork.id, target_project_id: w.project.id });
  });
});
