import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { MAX_REVIEW_FILE_BYTES, parseReview, readReviewFile } from '../../../service/runner/review/review-file.js';
import { removeTempDirs, tempDir } from '../../../devtools/temp.js';

// The agent's review file is read like anything else the model made: bounded, never through a link.

afterAll(() => removeTempDirs());

function outputWith(write: (file: string) => void): string {
  const dir = tempDir('review-output');
  write(join(dir, 'review.json'));
  return dir;
}

describe('readReviewFile', () => {
  it('reads a regular file and parses it', async () => {
    const dir = outputWith((file) => writeFileSync(file, JSON.stringify({ summary: 'ok', comments: [{ path: 'a.txt', line: 1, body: 'b' }] })));
    expect(await readReviewFile(dir)).toEqual({ ok: true, review: { summary: 'ok', comments: [{ path: 'a.txt', line: 1, side: 'new', body: 'b' }], refused: [], ignored: 0 } });
  });

  it('refuses a missing file, a symlink, a directory and a file past the bound', async () => {
    expect(await readReviewFile(tempDir('empty-output'))).toEqual({ ok: false, error: 'Claude wrote no review.json' });
    const target = join(tempDir('elsewhere'), 'secret.json');
    writeFileSync(target, '{"summary":"from outside"}');
    expect(await readReviewFile(outputWith((file) => symlinkSync(target, file)))).toEqual({ ok: false, error: 'review.json is not a regular file' });
    expect(await readReviewFile(outputWith((file) => mkdirSync(file)))).toEqual({ ok: false, error: 'review.json is not a regular file' });
    const huge = await readReviewFile(outputWith((file) => writeFileSync(file, ' '.repeat(MAX_REVIEW_FILE_BYTES + 1))));
    expect(huge).toEqual({ ok: false, error: 'review.json has 262,145 bytes; at most 262,144 are read' });
  });
});

describe('parseReview', () => {
  it('refuses what is not a review, and ignores comments past 200', () => {
    expect(parseReview('not json')).toEqual({ ok: false, error: 'review.json is not valid JSON' });
    expect(parseReview('{"comments": 3}')).toMatchObject({ ok: false, error: expect.stringContaining('review.json: comments') });
    const many = parseReview(JSON.stringify({ comments: Array.from({ length: 250 }, (_, line) => ({ path: 'a', line: line + 1, body: 'x' })) }));
    expect(many.ok && [many.review.comments.length, many.review.ignored]).toEqual([200, 50]);
  });
});
