import { describe, expect, it } from 'vitest';
import { commentableLines } from '../../../service/runner/review/diff-lines.js';
import { commentBody, planReview, reviewSummary, type EarlierComment } from '../../../service/runner/review/plan.js';
import { parseReview, type AgentReview } from '../../../service/runner/review/review-file.js';

// What a review posts, from data alone: placement on the diff, the limit, no repeats, and safe bodies.

const files = commentableLines([{ old_path: 'a.txt', new_path: 'a.txt', diff: '@@ -1,3 +1,4 @@\n one\n-two\n+TWO\n three\n+four\n' }]);
const refs = { base_sha: 'b'.repeat(40), start_sha: 'b'.repeat(40), head_sha: 'h'.repeat(40) };
const audience = { requester: 'dana', gitlabUrl: 'https://gitlab.example.com' };
const SECRET = 'glpat-secret-value-123456';

function review(comments: unknown[], summary = ''): AgentReview {
  const parsed = parseReview(JSON.stringify({ summary, comments }));
  if (!parsed.ok) throw new Error(parsed.error);
  return parsed.review;
}

const plan = (comments: unknown[], earlier: EarlierComment[] = [], maxComments = 20) =>
  planReview({ review: review(comments), files, refs, earlier, maxComments, secrets: [SECRET], audience });

describe('planReview', () => {
  it('places comments on diff lines and reports the others', () => {
    const result = plan([
      { path: 'a.txt', line: 2, body: 'new side' },
      { path: 'a.txt', line: 2, side: 'old', body: 'old side' },
      { path: 'a.txt', line: 9, body: 'off the diff' },
      { path: 'b.txt', line: 1, body: 'another file' },
      { path: 'a.txt', line: 2, body: 'same line again' },
    ]);
    expect(result.drafts.map((draft) => [draft.position.new_line ?? null, 'old_line' in draft.position ? draft.position.old_line : null, draft.body])).toEqual([
      [2, null, 'new side'],
      [null, 2, 'old side'],
    ]);
    expect(result.notPlaced.map((item) => [item.path, item.line, item.reason])).toEqual([
      ['a.txt', 9, 'not a line of the diff (new side)'],
      ['b.txt', 1, 'not a line of the diff (new side)'],
      ['a.txt', 2, 'a second comment on the same line'],
    ]);
  });

  it('stops at the limit and counts the rest', () => {
    const result = plan([1, 2, 3, 4].map((line) => ({ path: 'a.txt', line, body: `l${line}` })), [], 2);
    expect(result.drafts).toHaveLength(2);
    expect(result.overLimit).toBe(2);
    expect(reviewSummary(result, 2, [])).toContain('2 more comment(s) were not posted: `CLAUDE_FLOW_MAX_REVIEW_COMMENTS`');
  });

  it('skips a line the bot already raised while its text is unchanged, and lists earlier lines that changed', () => {
    const earlier: EarlierComment[] = [
      { noteId: 1, path: 'a.txt', side: 'new', line: 2, textThen: 'TWO', textNow: 'TWO' },
      { noteId: 2, path: 'a.txt', side: 'new', line: 4, textThen: 'for', textNow: 'four' },
    ];
    const result = plan([{ path: 'a.txt', line: 2, body: 'again' }, { path: 'a.txt', line: 4, body: 'spelling fixed, new point' }], earlier);
    expect(result.alreadyRaised).toBe(1);
    expect(result.drafts.map((draft) => draft.line)).toEqual([4]);
    expect(result.changedSince.map((note) => note.noteId)).toEqual([2]);
    expect(reviewSummary(result, 1, [])).toContain('1 new comment(s) on the diff; 1 not repeated (already raised on unchanged lines); 1 earlier comment(s) on lines that have changed since');
  });

  it('reports what the schema refused', () => {
    const result = plan([{ path: '../x', line: 1, body: 'a' }, { path: 'a.txt', line: -1, body: 'b' }, { path: 'a.txt', line: 2 }, 'nonsense']);
    expect(result.drafts).toEqual([]);
    expect(result.notPlaced.map((item) => item.reason)).toEqual([
      'refused: path: must be a path of the diff',
      'refused: line: Too small: expected number to be >0',
      'refused: body: Invalid input: expected string, received undefined',
      'refused: comment: Invalid input: expected object, received string',
    ]);
  });
});

describe('commentBody', () => {
  it('neutralises mentions and quick actions, redacts secrets and bounds the text', () => {
    const body = commentBody({ body: `@all see\n/merge\n@dana fine\n${SECRET}\n${'x'.repeat(9000)}` }, 'new', [SECRET], audience);
    expect(body).toContain('`@all`');
    expect(body).toContain('\\/merge');
    expect(body).toContain('@dana fine');
    expect(body).not.toContain(SECRET);
    expect(body.length).toBeLessThanOrEqual(4000);
  });

  it('adds a one-line suggestion on the new side only, never one that closes its fence', () => {
    expect(commentBody({ body: 'Use lower case.', suggestion: 'two' }, 'new', [], audience)).toBe('Use lower case.\n\n```suggestion:-0+0\ntwo\n```');
    expect(commentBody({ body: 'x', suggestion: 'two' }, 'old', [], audience)).toBe('x');
    expect(commentBody({ body: 'x', suggestion: '```\n/merge' }, 'new', [], audience)).toBe('x');
    expect(commentBody({ body: 'x', suggestion: SECRET }, 'new', [SECRET], audience)).not.toContain(SECRET);
  });
});
