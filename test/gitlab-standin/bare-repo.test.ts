import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AccessLevel, startGitLabStandIn, type GitLabStandIn } from '../../standins/gitlab/index.js';
import { client } from './helpers.js';

// A project backed by a real bare repository: what a runner pushes is what the API serves.

const env = {
  ...process.env,
  GIT_AUTHOR_NAME: 'Runner',
  GIT_AUTHOR_EMAIL: 'runner@example.com',
  GIT_COMMITTER_NAME: 'Runner',
  GIT_COMMITTER_EMAIL: 'runner@example.com',
  GIT_CONFIG_NOSYSTEM: '1',
  HOME: tmpdir(),
};
const git = (cwd: string, ...args: string[]) => execFileSync('git', args, { cwd, env, encoding: 'utf8', stdio: 'pipe' }).trim();

let dir: string;
let bare: string;
let work: string;
let gitlab: GitLabStandIn;
let token: string;
let projectId: number;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'standin-repo-'));
  bare = join(dir, 'project.git');
  work = join(dir, 'work');
  git(dir, 'init', '--bare', '--initial-branch=main', bare);
  git(dir, 'clone', bare, work);
  writeFileSync(join(work, 'README.md'), 'hello\n');
  git(work, 'add', '.');
  git(work, 'commit', '-m', 'Initial commit');
  git(work, 'push', 'origin', 'main');
  gitlab = await startGitLabStandIn();
  const bot = gitlab.addUser({ username: 'claude-bot', bot: true });
  token = bot.token;
  const project = gitlab.addProject({ path: 'group/repo', bareRepoPath: bare });
  projectId = project.id;
  gitlab.addMember(projectId, bot.id, AccessLevel.maintainer);
});

afterEach(async () => {
  await gitlab.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('a project backed by a bare repository', () => {
  it('reads the default branch from HEAD and branches with for-each-ref, including later pushes', async () => {
    const api = client(gitlab, token);
    expect((await api.get(`/projects/${projectId}`)).body.default_branch).toBe('main');
    expect((await api.get(`/projects/${projectId}/repository/branches/claude%2Fissue-1`)).status).toBe(404);
    git(work, 'checkout', '-b', 'claude/issue-1');
    writeFileSync(join(work, 'fix.ts'), 'export const fixed = true;\n');
    git(work, 'add', '.');
    git(work, 'commit', '-m', 'Fix the flaky test');
    git(work, 'push', 'origin', 'claude/issue-1');
    const head = git(work, 'rev-parse', 'HEAD');
    const branch = await api.get(`/projects/${projectId}/repository/branches/claude%2Fissue-1`);
    expect(branch.status).toBe(200);
    expect(branch.body.commit).toMatchObject({ id: head, title: 'Fix the flaky test', author_name: 'Runner' });
  });

  it('creates pipelines on real refs with the real sha, and refuses unknown refs', async () => {
    const api = client(gitlab, token);
    const created = await api.post(`/projects/${projectId}/pipeline`, { ref: 'main' });
    expect(created.status).toBe(201);
    expect(created.body.sha).toBe(git(work, 'rev-parse', 'HEAD'));
    expect((await api.post(`/projects/${projectId}/pipeline`, { ref: 'nope' })).body).toEqual({ message: { base: ['Reference not found'] } });
  });

  it('opens a merge request from a pushed branch and serves its diff', async () => {
    git(work, 'checkout', '-b', 'claude/issue-2');
    writeFileSync(join(work, 'README.md'), 'hello\nworld\n');
    writeFileSync(join(work, 'new.txt'), 'new\n');
    git(work, 'add', '.');
    git(work, 'commit', '-m', 'Change things');
    git(work, 'push', 'origin', 'claude/issue-2');
    const api = client(gitlab, token);
    const mr = await api.post(`/projects/${projectId}/merge_requests`, { source_branch: 'claude/issue-2', target_branch: 'main', title: 'Draft: Change things' });
    expect(mr.status).toBe(201);
    const diffs = await api.get(`/projects/${projectId}/merge_requests/${mr.body.iid}/diffs`);
    expect(diffs.body).toEqual([
      expect.objectContaining({ new_path: 'README.md', new_file: false, diff: '@@ -1 +1,2 @@\n hello\n+world\n' }),
      expect.objectContaining({ new_path: 'new.txt', new_file: true, a_mode: '0', b_mode: '100644', diff: '@@ -0,0 +1 @@\n+new\n' }),
    ]);
  });

  it('finds commits for commit discussions', async () => {
    const sha = git(work, 'rev-parse', 'HEAD');
    const api = client(gitlab, token);
    expect((await api.post(`/projects/${projectId}/repository/commits/${sha}/discussions`, { body: '@claude why?' })).status).toBe(201);
    expect((await api.get(`/projects/${projectId}/repository/commits/${sha.slice(0, 8)}`)).body.id).toBe(sha);
  });
});
