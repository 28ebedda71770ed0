import { describe, expect, it } from 'vitest';
import { commentableLines, fileLines, findLine, textPosition } from '../../../service/runner/review/diff-lines.js';

// The diff-line map: unified hunks (GitLab's `diffs` entries) → the lines a comment may point at.

const DIFF = ['@@ -1,4 +1,5 @@', ' one', '-two', '+TWO', ' three', ' four', '+five', '@@ -20,2 +21,2 @@', ' twenty', '-old', '+new', '\\ No newline at end of file', ''].join('\n');
const refs = { base_sha: 'b'.repeat(40), start_sha: 's'.repeat(40), head_sha: 'h'.repeat(40) };

describe('fileLines', () => {
  it('numbers added, removed and unchanged lines on their sides, across hunks', () => {
    const file = fileLines({ old_path: 'a.txt', new_path: 'a.txt', diff: DIFF });
    expect([...file.byNew.keys()]).toEqual([1, 2, 3, 4, 5, 21, 22]);
    expect([...file.byOld.keys()]).toEqual([1, 2, 3, 4, 20, 21]);
    expect(file.byNew.get(2)).toEqual({ kind: 'added', oldLine: null, newLine: 2, text: 'TWO' });
    expect(file.byOld.get(2)).toEqual({ kind: 'removed', oldLine: 2, newLine: null, text: 'two' });
    expect(file.byNew.get(3)).toEqual({ kind: 'context', oldLine: 3, newLine: 3, text: 'three' });
    expect(file.byNew.get(22)?.text).toBe('new');
  });

  it('has no lines for a diff GitLab did not send (too large, binary)', () => {
    const file = fileLines({ old_path: 'big.bin', new_path: 'big.bin', diff: '' });
    expect(file.byNew.size + file.byOld.size).toBe(0);
  });
});

describe('findLine and textPosition', () => {
  const files = commentableLines([
    { old_path: 'a.txt', new_path: 'a.txt', diff: DIFF },
    { old_path: 'old-name.txt', new_path: 'new-name.txt', diff: '@@ -1 +1 @@\n-x\n+y\n' },
  ]);

  it('finds lines on the diff only', () => {
    expect(findLine(files, 'a.txt', 'new', 2)?.line.text).toBe('TWO');
    expect(findLine(files, 'a.txt', 'new', 10)).toBeNull();
    expect(findLine(files, 'a.txt', 'old', 5)).toBeNull();
    expect(findLine(files, 'b.txt', 'new', 1)).toBeNull();
    expect(findLine(files, 'old-name.txt', 'old', 1)?.line.text).toBe('x');
    expect(findLine(files, 'new-name.txt', 'old', 1)?.line.text).toBe('x');
    expect(findLine(files, 'old-name.txt', 'new', 1)).toBeNull();
  });

  it('builds the position GitLab wants for each kind of line', () => {
    const at = (path: string, side: 'new' | 'old', line: number) => {
      const found = findLine(files, path, side, line)!;
      return textPosition(refs, found.file, found.line);
    };
    expect(at('a.txt', 'new', 2)).toEqual({ position_type: 'text', ...refs, old_path: 'a.txt', new_path: 'a.txt', new_line: 2 });
    expect(at('a.txt', 'old', 2)).toEqual({ position_type: 'text', ...refs, old_path: 'a.txt', new_path: 'a.txt', old_line: 2 });
    expect(at('a.txt', 'new', 3)).toMatchObject({ new_line: 3, old_line: 3 });
    expect(at('new-name.txt', 'new', 1)).toMatchObject({ old_path: 'old-name.txt', new_path: 'new-name.txt', new_line: 1 });
  });
});
