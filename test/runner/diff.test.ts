import { describe, expect, it } from 'vitest';
import { commentedLines, formatDiffs, parseHunks } from '../../service/runner/diff.js';
import type { ApiDiff } from '../../service/runner/gitlab-types.js';

const diff = (overrides: Partial<ApiDiff>): ApiDiff => ({
  old_path: 'src/parser.ts',
  new_path: 'src/parser.ts',
  diff: '@@ -10,4 +10,5 @@ export function parse() {\n   const a = 1;\n-  const b = 2;\n+  const b = 3;\n+  const c = 4;\n   return a;\n }\n',
  new_file: false,
  renamed_file: false,
  deleted_file: false,
  ...overrides,
});

describe('parseHunks', () => {
  it('numbers old and new lines through a hunk', () => {
    const lines = parseHunks(diff({}).diff);
    expect(lines.map((l) => [l.kind, l.oldLine, l.newLine])).toEqual([
      [' ', 10, 10],
      ['-', 11, null],
      ['+', null, 11],
      ['+', null, 12],
      [' ', 12, 13],
      [' ', 13, 14],
    ]);
  });
});

describe('commentedLines', () => {
  it('marks the line a review comment points at, with context', () => {
    const text = commentedLines([diff({})], { new_path: 'src/parser.ts', old_path: 'src/parser.ts', new_line: 12, old_line: null }, 1);
    expect(text).toBe('src/parser.ts, line 12 of the new version:\n    11 +  const b = 3;\n>   12 +  const c = 4;\n    13    return a;');
  });

  it('marks a multi-line range and a removed line by its old number', () => {
    const range = commentedLines([diff({})], { new_path: 'src/parser.ts', line_range: { start: { new_line: 11 }, end: { new_line: 12 } } }, 0);
    expect(range).toBe('src/parser.ts, line 11 of the new version to 12:\n>   11 +  const b = 3;\n>   12 +  const c = 4;');
    expect(commentedLines([diff({})], { old_path: 'src/parser.ts', new_path: 'src/parser.ts', old_line: 11, new_line: null }, 0)).toContain('>   11 -  const b = 2;');
  });

  it('returns null when the position is outside the diff we have', () => {
    expect(commentedLines([diff({})], { new_path: 'src/parser.ts', new_line: 99 })).toBeNull();
    expect(commentedLines([diff({})], { new_path: 'other.ts', old_path: 'other.ts', new_line: 1 })).toBeNull();
  });
});

describe('formatDiffs', () => {
  it('labels files and cuts beyond the budget, naming the files left out', () => {
    const files = [diff({}), diff({ new_path: 'b.ts', old_path: 'b.ts', new_file: true }), diff({ new_path: 'c.ts', old_path: 'c.ts' })];
    const all = formatDiffs(files, 100_000);
    expect(all.cut).toBe(false);
    expect(all.text).toContain('diff --git a/b.ts b/b.ts (new file)');
    const small = formatDiffs(files, 150);
    expect(small.cut).toBe(true);
    expect(small.text).toContain('[cut by claude-gitlab-flow: the diff of src/parser.ts has');
    expect(small.text).toContain('2 more changed file(s) not shown: b.ts, c.ts');
  });

  it('shows invisible characters in code instead of passing them on silently', () => {
    expect(formatDiffs([diff({ diff: '@@ -1 +1 @@\n+if (admin\u202E) {}\n' })], 1_000).text).toContain('<U+202E>');
  });
});
