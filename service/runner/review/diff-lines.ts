import { parseHunks } from '../diff.js';
import type { ApiDiff } from '../gitlab-types.js';

// Which lines of a merge request's diff a comment may point at, from GitLab's `diffs` entries (unified
// hunks without file headers). GitLab accepts a diff note on an added line (new_line), a removed line
// (old_line) or an unchanged line shown in a hunk (both); anything else is not on the diff.

export type LineKind = 'added' | 'removed' | 'context';

export interface DiffLineRef {
  kind: LineKind;
  oldLine: number | null;
  newLine: number | null;
  text: string;
}

export interface FileLines {
  oldPath: string;
  newPath: string;
  /** Added and unchanged lines, by their number in the new version. */
  byNew: Map<number, DiffLineRef>;
  /** Removed and unchanged lines, by their number in the old version. */
  byOld: Map<number, DiffLineRef>;
}

const KIND = { '+': 'added', '-': 'removed', ' ': 'context' } as const;

export function fileLines(diff: Pick<ApiDiff, 'old_path' | 'new_path' | 'diff'>): FileLines {
  const file: FileLines = { oldPath: diff.old_path, newPath: diff.new_path, byNew: new Map(), byOld: new Map() };
  for (const line of parseHunks(diff.diff ?? '')) {
    const ref: DiffLineRef = { kind: KIND[line.kind], oldLine: line.oldLine, newLine: line.newLine, text: line.text };
    if (ref.newLine !== null) file.byNew.set(ref.newLine, ref);
    if (ref.oldLine !== null) file.byOld.set(ref.oldLine, ref);
  }
  return file;
}

export function commentableLines(diffs: readonly Pick<ApiDiff, 'old_path' | 'new_path' | 'diff'>[]): FileLines[] {
  return diffs.map(fileLines);
}

export type Side = 'new' | 'old';

/** The diff line a comment on `path` (new path, or the old one for a removed line) points at, or null. */
export function findLine(files: readonly FileLines[], path: string, side: Side, line: number): { file: FileLines; line: DiffLineRef } | null {
  for (const file of files) {
    const found = side === 'new' ? (file.newPath === path ? file.byNew.get(line) : undefined) : file.oldPath === path || file.newPath === path ? file.byOld.get(line) : undefined;
    if (found) return { file, line: found };
  }
  return null;
}

/** GitLab's text position for a diff line: both line numbers for an unchanged line. */
export function textPosition(refs: DiffRefs, file: FileLines, line: DiffLineRef) {
  return {
    position_type: 'text' as const,
    base_sha: refs.base_sha,
    start_sha: refs.start_sha,
    head_sha: refs.head_sha,
    old_path: file.oldPath,
    new_path: file.newPath,
    ...(line.newLine !== null ? { new_line: line.newLine } : {}),
    ...(line.oldLine !== null && line.kind !== 'added' ? { old_line: line.oldLine } : {}),
  };
}

export interface DiffRefs {
  base_sha: string;
  start_sha: string;
  head_sha: string;
}

export type TextPosition = ReturnType<typeof textPosition>;
