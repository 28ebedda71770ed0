import { cutNotice } from './bound.js';
import type { ApiDiff, DiffPosition } from './gitlab-types.js';
import { revealInvisible } from './sanitize.js';

// A merge request's changes as the prompt shows them, and the lines a review comment points at. Pure
// text work over GitLab's `diffs` entries (unified hunks without file headers).

function header(diff: ApiDiff): string {
  const label = diff.new_file ? ' (new file)' : diff.deleted_file ? ' (deleted)' : diff.renamed_file ? ` (renamed from ${diff.old_path})` : '';
  return `diff --git a/${diff.old_path} b/${diff.new_path}${label}`;
}

export function formatDiffs(diffs: readonly ApiDiff[], budget: number): { text: string; cut: boolean } {
  const parts: string[] = [];
  let used = 0;
  let cut = false;
  const left: string[] = [];
  for (const diff of diffs) {
    if (used >= budget) {
      left.push(diff.new_path);
      continue;
    }
    const body = diff.too_large || (diff.collapsed && !diff.diff) ? '[GitLab did not return this diff: too large]' : revealInvisible(diff.diff);
    let block = `${header(diff)}\n${body.replace(/\n$/, '')}`;
    if (used + block.length > budget) {
      const room = Math.max(0, budget - used);
      block = `${block.slice(0, room)}\n${cutNotice(`the diff of ${diff.new_path}`, block.length, room)}`;
      cut = true;
    }
    parts.push(block);
    used += block.length;
  }
  if (left.length > 0) {
    cut = true;
    parts.push(`[cut by claude-gitlab-flow: ${left.length} more changed file(s) not shown: ${left.join(', ')}]`);
  }
  return { text: parts.join('\n\n'), cut };
}

interface DiffLine {
  kind: ' ' | '+' | '-';
  oldLine: number | null;
  newLine: number | null;
  text: string;
}

export function parseHunks(diff: string): DiffLine[] {
  const lines: DiffLine[] = [];
  let oldLine = 0;
  let newLine = 0;
  for (const raw of diff.split('\n')) {
    const hunk = /^@@ -(\d+)(?:,\d+)? \+(\d+)(?:,\d+)? @@/.exec(raw);
    if (hunk) {
      oldLine = Number(hunk[1]);
      newLine = Number(hunk[2]);
      continue;
    }
    const kind = raw[0];
    if (kind === '+') lines.push({ kind, oldLine: null, newLine: newLine++, text: raw.slice(1) });
    else if (kind === '-') lines.push({ kind, oldLine: oldLine++, newLine: null, text: raw.slice(1) });
    else if (kind === ' ') lines.push({ kind, oldLine: oldLine++, newLine: newLine++, text: raw.slice(1) });
    // "\ No newline at end of file" and blank trailing lines carry no line numbers.
  }
  return lines;
}

function matches(line: DiffLine, point: { old_line?: number | null; new_line?: number | null }): boolean {
  if (point.new_line != null) return line.newLine === point.new_line;
  if (point.old_line != null) return line.oldLine === point.old_line;
  return false;
}

export function isDiffPosition(value: unknown): value is DiffPosition {
  return Boolean(value && typeof value === 'object' && ('new_path' in value || 'old_path' in value));
}

/**
 * The lines a review comment is attached to, with a little context, marked with `>`; null when the
 * position does not point into the diff we have (a collapsed file, an image, an outdated position).
 */
export function commentedLines(diffs: readonly ApiDiff[], position: DiffPosition, context = 3): string | null {
  const path = position.new_path ?? position.old_path;
  const diff = diffs.find((candidate) => candidate.new_path === position.new_path || candidate.old_path === position.old_path);
  if (!diff || !path) return null;
  const lines = parseHunks(diff.diff);
  const start = position.line_range?.start ?? { old_line: position.old_line, new_line: position.new_line };
  const end = position.line_range?.end ?? start;
  const first = lines.findIndex((line) => matches(line, start));
  const last = lines.findIndex((line) => matches(line, end));
  if (first === -1 || last === -1 || last < first) return null;
  const from = Math.max(0, first - context);
  const to = Math.min(lines.length - 1, last + context);
  const shown = lines.slice(from, to + 1).map((line, offset) => {
    const index = from + offset;
    const mark = index >= first && index <= last ? '>' : ' ';
    const number = String(line.newLine ?? line.oldLine ?? '').padStart(5);
    return `${mark}${number} ${line.kind}${revealInvisible(line.text)}`;
  });
  const target = lines[first]!;
  const where = target.newLine != null ? `line ${target.newLine} of the new version` : `line ${target.oldLine} of the old version`;
  return `${path}, ${where}${last > first ? ` to ${lines[last]!.newLine ?? lines[last]!.oldLine}` : ''}:\n${shown.join('\n')}`;
}
