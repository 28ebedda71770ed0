import { badRequest } from '../http/errors.js';
import { readDiff } from '../repo/git.js';
import { mergeRequestDiffs } from '../repo/refs.js';
import type { State } from '../state.js';
import type { DiffFile, MergeRequest } from '../types.js';

// A diff note's `position` must name a line GitLab shows in the diff between its base_sha and head_sha:
// an added line by new_line, a removed line by old_line, an unchanged line by both. GitLab computes a
// line code from it; when there is none the note is invalid and the API answers
// 400 {"message":"400 Bad request - Note {:line_code=>[\"can't be blank\", \"must be a valid line code\"]}"}.
// The diff comes from the project's real bare repository (git itself), or the merge request's seeded diffs;
// a seeded project with neither has nothing to check against, and takes any complete position.

export const INVALID_LINE_CODE = `Note {:line_code=>["can't be blank", "must be a valid line code"]}`;

interface ShownLine {
  kind: '+' | '-' | ' ';
  oldLine: number | null;
  newLine: number | null;
}

export function shownLines(diff: string): ShownLine[] {
  const lines: ShownLine[] = [];
  let oldLine = 0;
  let newLine = 0;
  for (const raw of diff.split('\n')) {
    const hunk = /^@@ -(\d+)(?:,\d+)? \+(\d+)(?:,\d+)? @@/.exec(raw);
    if (hunk) {
      oldLine = Number(hunk[1]);
      newLine = Number(hunk[2]);
    } else if (raw.startsWith('+')) lines.push({ kind: '+', oldLine: null, newLine: newLine++ });
    else if (raw.startsWith('-')) lines.push({ kind: '-', oldLine: oldLine++, newLine: null });
    else if (raw.startsWith(' ')) lines.push({ kind: ' ', oldLine: oldLine++, newLine: newLine++ });
  }
  return lines;
}

const lineNumber = (value: unknown): number | null => (value === undefined || value === null || value === '' ? null : Number(value));

/** Whether the position's line is one the diff shows, with the line numbers its kind needs. */
export function positionOnDiff(files: readonly DiffFile[], position: Record<string, unknown>): boolean {
  if (position.position_type !== 'text') return true; // image and file positions name no line
  const file = files.find((candidate) => candidate.new_path === position.new_path || candidate.old_path === position.old_path);
  if (!file) return false;
  const newLine = lineNumber(position.new_line);
  const oldLine = lineNumber(position.old_line);
  if (newLine === null && oldLine === null) return false;
  return shownLines(file.diff).some((line) =>
    line.kind === '+' ? newLine === line.newLine && oldLine === null : line.kind === '-' ? oldLine === line.oldLine && newLine === null : newLine === line.newLine && oldLine === line.oldLine,
  );
}

async function diffFor(state: State, mr: MergeRequest, position: Record<string, unknown>): Promise<DiffFile[] | null> {
  const project = state.project(mr.projectId);
  const base = String(position.base_sha ?? '');
  const head = String(position.head_sha ?? '');
  if (project.bareRepoPath && /^[0-9a-f]{7,64}$/.test(base) && /^[0-9a-f]{7,64}$/.test(head)) {
    return readDiff(project.bareRepoPath, base, head).catch(() => []);
  }
  if (!project.bareRepoPath && !mr.diffs) return null;
  return mergeRequestDiffs(project, state.projects.get(mr.sourceProjectId) ?? project, mr.targetBranch, mr.sourceBranch, mr.diffs);
}

/** Throws GitLab's 400 when a text position on a merge request names no line of its diff. */
export async function requirePositionOnDiff(state: State, mr: MergeRequest, position: Record<string, unknown>): Promise<void> {
  const files = await diffFor(state, mr, position);
  if (files && !positionOnDiff(files, position)) throw badRequest(INVALID_LINE_CODE);
}
