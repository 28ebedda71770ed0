import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AccessLevel, startGitLabStandIn, type GitLabStandIn } from '../../standins/gitlab/index.js';
import { client } from './helpers.js';

// Draft notes and diff positions on a merge request backed by a real bare repository: a position is
// checked against `git diff base...head` the way GitLab checks its line code.

const env = { ...process.env, GIT_AUTHOR_NAME: 'R', GIT_AUTHOR_EMAIL: 'r@example.com', GIT_COMMITTER_NAME: 'R', GIT_COMMITTER_EMAIL: 'r@example.com', GIT_CONFIG_NOSYSTEM: '1', HOME: tmpdir() };
const git = (cwd: string, ...args: string[]) => execFileSync('git', args, { cwd, env, encoding: 'utf8', stdio: 'pipe' }).trim();

let dir: string;
let gitlab: GitLabStandIn;
let token: string;
let otherToken: string;
let base: string;
let mrPath: string;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'standin-drafts-'));
  const bare = join(dir, 'project.git');
  const work = join(dir, 'work');
  git(dir, 'init', '--bare', '--initial-branch=main', bare);
  git(dir, 'clone', bare, work);
  writeFileSync(join(work, 'a.txt'), 'one\ntwo\nthree\n');
  git(work, 'add', '.');
  git(work, 'commit', '-m', 'Initial');
  git(work, 'push', 'origin', 'main');
  git(work, 'checkout', '-b', 'feature');
  writeFileSync(join(work, 'a.txt'), 'one\nTWO\nthree\n');
  git(work, 'commit', '-am', 'Change');
  git(work, 'push', 'origin', 'feature');
  gitlab = await startGitLabStandIn();
  const bot = gitlab.addUser({ username: 'claude-bot', bot: true });
  const dev = gitlab.addUser({ username: 'dana' });
  token = bot.token;
  otherToken = dev.token;
  const project = gitlab.addProject({ path: 'group/repo', bareRepoPath: bare });
  gitlab.addMember(project.id, bot.id, AccessLevel.developer);
  gitlab.addMember(project.id, dev.id, AccessLevel.developer);
  const mr = gitlab.addMergeRequest(project.id, { sourceBranch: 'feature', targetBranch: 'main', title: 'Change', authorId: dev.id });
  mrPath = `/projects/${project.id}/merge_requests/${mr.iid}`;
  base = git(work, 'rev-parse', 'main');
});

afterEach(async () => {
  await gitlab.close();
  rmSync(dir, { recursive: true, force: true });
});

function position(refs: { base_sha: string; start_sha: string; head_sha: string }, lines: { new_line?: number; old_line?: number }) {
  return { position_type: 'text', ...refs, old_path: 'a.txt', new_path: 'a.txt', ...lines };
}

describe('draft notes', () => {
  it('are seen only by their author until bulk_publish turns them into diff threads at once', async () => {
    const api = client(gitlab, token);
    const refs = (await api.get(mrPath)).body.diff_refs;
    expect(refs).toMatchObject({ base_sha: base, start_sha: base });
    const added = await api.post(`${mrPath}/draft_notes`, { note: 'On the new line', position: position(refs, { new_line: 2 }) });
    expect(added.status).toBe(201);
    expect(added.body).toMatchObject({ note: 'On the new line', author_id: expect.any(Number), position: { new_line: 2, old_line: null, position_type: 'text' } });
    expect((await api.post(`${mrPath}/draft_notes`, { note: 'On the removed line', position: position(refs, { old_line: 2 }) })).status).toBe(201);
    expect((await api.post(`${mrPath}/draft_notes`, { note: 'On an unchanged line', position: position(refs, { old_line: 3, new_line: 3 }) })).status).toBe(201);
    expect((await api.get(`${mrPath}/draft_notes`)).body).toHaveLength(3);
    expect((await client(gitlab, otherToken).get(`${mrPath}/draft_notes`)).body).toEqual([]);
    expect((await api.get(`${mrPath}/discussions`)).body).toEqual([]);

    expect((await api.post(`${mrPath}/draft_notes/bulk_publish`)).status).toBe(204);
    expect((await api.get(`${mrPath}/draft_notes`)).body).toEqual([]);
    const notes = (await client(gitlab, otherToken).get(`${mrPath}/discussions`)).body.flatMap((d: { notes: unknown[] }) => d.notes);
    expect(notes.map((note: { type: string; body: string; position: { new_line?: number; old_line?: number } }) => [note.type, note.body, note.position.new_line ?? null, note.position.old_line ?? null])).toEqual([
      ['DiffNote', 'On the new line', 2, null],
      ['DiffNote', 'On the removed line', null, 2],
      ['DiffNote', 'On an unchanged line', 3, 3],
    ]);
  });

  it('refuse a position whose line is not in the diff, as GitLab does (400, line_code)', async () => {
    const api = client(gitlab, token);
    const refs = (await api.get(mrPath)).body.diff_refs;
    const message = { message: `400 Bad request - Note {:line_code=>["can't be blank", "must be a valid line code"]}` };
    for (const lines of [{ new_line: 40 }, { old_line: 3 }, { new_line: 3 }, { new_line: 2, old_line: 2 }]) {
      const refused = await api.post(`${mrPath}/draft_notes`, { note: 'x', position: position(refs, lines) });
      expect([refused.status, refused.body], JSON.stringify(lines)).toEqual([400, message]);
    }
    const thread = await api.post(`${mrPath}/discussions`, { body: 'x', position: { ...position(refs, { new_line: 9 }), new_path: 'missing.txt', old_path: 'missing.txt' } });
    expect([thread.status, thread.body]).toEqual([400, message]);
    expect((await api.post(`${mrPath}/discussions`, { body: 'fine', position: position(refs, { new_line: 2 }) })).status).toBe(201);
  });
});
