import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { FlowContextV1 } from '../../../service/domain.js';
import { GitLabApiError } from '../../../service/gitlab/errors.js';
import type { RunnerGitLab } from '../../../service/runner/gitlab.js';
import type { ApiDiscussion } from '../../../service/runner/gitlab-types.js';
import { earlierComments, postReview } from '../../../service/runner/review/post-review.js';
import { removeTempDirs, tempDir } from '../../../devtools/temp.js';

// Posting a review through a GitLab that answers like GitLab: a position it refuses goes into the
// summary; the bot's earlier comments are compared at the head they were written on.

afterAll(() => removeTempDirs());

const context = { project: { id: 7, path: 'g/p', default_branch: 'main' }, noteable: { type: 'MergeRequest', iid: 3 }, tracking_note_id: 100 } as unknown as FlowContextV1;
const refs = { base_sha: 'b'.repeat(40), start_sha: 'b'.repeat(40), head_sha: 'c'.repeat(40) };
const diffs = [{ old_path: 'a.txt', new_path: 'a.txt', diff: '@@ -1,2 +1,3 @@\n one\n-two\n+TWO\n+three\n', new_file: false, renamed_file: false, deleted_file: false }];
const bot = { id: 9, username: 'bot' };
const note = (id: number, author: { id: number; username: string }, position: unknown = undefined) => ({ id, type: position ? 'DiffNote' : null, body: 'b', author, created_at: '', updated_at: '', system: false, position });

function fakeGitLab(options: { discussions?: ApiDiscussion[]; files?: Record<string, string>; refuse?: (position: Record<string, unknown>) => boolean }) {
  const drafts: Array<{ body: string; position: Record<string, unknown> }> = [];
  let published = 0;
  const gitlab = {
    discussions: async () => options.discussions ?? [{ id: 'd', individual_note: false, notes: [note(100, bot)] }],
    fileOnRef: async (_project: number, path: string, ref: string) => options.files?.[`${ref}:${path}`] ?? null,
    discardDraftNotes: async () => 0,
    createDraftNote: async (_context: FlowContextV1, body: string, position: Record<string, unknown>) => {
      if (options.refuse?.(position)) throw new GitLabApiError(`400 Bad request - Note {:line_code=>["can't be blank", "must be a valid line code"]}`, 400, 'POST', '/projects/7/merge_requests/3/draft_notes');
      drafts.push({ body, position });
      return { id: drafts.length };
    },
    publishDraftNotes: async () => {
      published += 1;
    },
  } as unknown as RunnerGitLab;
  return { gitlab, drafts, published: () => published };
}

function outputWith(review: unknown): string {
  const dir = tempDir('post-review');
  writeFileSync(join(dir, 'review.json'), JSON.stringify(review));
  return dir;
}

const common = { context, diffs, refs, answer: 'Done.', maxComments: 20, secrets: [], audience: { requester: 'dana', gitlabUrl: 'https://gitlab.example.com' }, result: {} as never, log: () => {} };

describe('postReview', () => {
  it('puts a comment whose position GitLab refuses into the summary, and publishes the rest once', async () => {
    const fake = fakeGitLab({ refuse: (position) => position.new_line === 3 });
    const text = await postReview({ ...common, gitlab: fake.gitlab, outputDir: outputWith({ summary: 'Summary.', comments: [{ path: 'a.txt', line: 2, body: 'ok' }, { path: 'a.txt', line: 3, body: 'refused' }] }) });
    expect(fake.drafts.map((draft) => draft.position.new_line)).toEqual([2]);
    expect(fake.published()).toBe(1);
    expect(text).toContain('Summary.');
    expect(text).toContain('**Review:** 1 new comment(s) on the diff');
    expect(text).toContain('- `a.txt` line 3 (GitLab refused its position): refused');
  });

  it('publishes nothing when nothing is placed, and says why when there is no review file', async () => {
    const fake = fakeGitLab({});
    expect(await postReview({ ...common, gitlab: fake.gitlab, outputDir: tempDir('no-review') })).toBe('Done.\n\n**Review:** no inline comments: Claude wrote no review.json.');
    await postReview({ ...common, gitlab: fake.gitlab, outputDir: outputWith({ comments: [{ path: 'a.txt', line: 40, body: 'off' }] }) });
    expect(fake.published()).toBe(0);
  });
});

describe('earlierComments', () => {
  it("reads the bot's positioned notes' lines at their own head and at the current one, and ignores others' notes", async () => {
    const old = 'a'.repeat(40);
    const discussions = [
      { id: 'd1', individual_note: false, notes: [note(100, bot)] },
      { id: 'd2', individual_note: false, notes: [note(101, bot, { base_sha: 'b'.repeat(40), head_sha: old, new_path: 'a.txt', old_path: 'a.txt', new_line: 2 }), note(102, { id: 5, username: 'dana' }, { head_sha: old, new_path: 'a.txt', new_line: 1 })] },
      { id: 'd3', individual_note: false, notes: [note(103, bot, { base_sha: 'b'.repeat(40), head_sha: old, new_path: 'a.txt', old_path: 'a.txt', old_line: 2 })] },
    ] as unknown as ApiDiscussion[];
    const fake = fakeGitLab({ files: { [`${old}:a.txt`]: 'one\nTwo\n', [`${refs.head_sha}:a.txt`]: 'one\nTWO\nthree\n', [`${refs.base_sha}:a.txt`]: 'one\ntwo\n' } });
    expect(await earlierComments(fake.gitlab, context, discussions, refs)).toEqual([
      { noteId: 101, path: 'a.txt', side: 'new', line: 2, textThen: 'Two', textNow: 'TWO' },
      { noteId: 103, path: 'a.txt', side: 'old', line: 2, textThen: 'two', textNow: 'two' },
    ]);
  });
});
