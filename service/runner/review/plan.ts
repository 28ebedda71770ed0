import { inlineCode, safeAnswer, type AnswerAudience } from '../note-text.js';
import { redactSecrets, removeInvisible } from '../sanitize.js';
import { findLine, textPosition, type DiffRefs, type FileLines, type Side, type TextPosition } from './diff-lines.js';
import type { AgentReview, ReviewComment } from './review-file.js';

// What a review posts, decided from data alone: each of the agent's comments is placed on a line of the
// merge request's current diff or reported in the summary; a line the bot already commented on, whose
// code has not changed since, gets no second comment; earlier comments whose line has changed since are
// listed as likely fixed. Every body is bounded, redacted and neutralised (mentions, quick actions).

export const MAX_COMMENT_CHARS = 4_000;
const MAX_SUGGESTION_CHARS = 2_000;

/** One of the bot's earlier positioned comments, with the line's text then (at its head) and now. */
export interface EarlierComment {
  noteId: number;
  path: string;
  side: Side;
  line: number;
  /** The line's text at the earlier note's head_sha (base_sha for the old side); null when unknown. */
  textThen: string | null;
  /** The same line's text at the merge request's current head (base for the old side); null when gone. */
  textNow: string | null;
}

export interface DraftComment {
  body: string;
  position: TextPosition;
  path: string;
  line: number;
}

export interface NotPlaced {
  path: string | null;
  line: number | null;
  body: string;
  reason: string;
}

export interface ReviewPlan {
  drafts: DraftComment[];
  notPlaced: NotPlaced[];
  /** Comments not posted because the bot already raised them on the same, unchanged line. */
  alreadyRaised: number;
  /** Comments past the limit. */
  overLimit: number;
  /** The bot's earlier comments whose line has changed since: likely fixed. */
  changedSince: EarlierComment[];
}

export interface ReviewPlanInput {
  review: AgentReview;
  files: readonly FileLines[];
  refs: DiffRefs;
  earlier: readonly EarlierComment[];
  maxComments: number;
  secrets: readonly string[];
  audience: AnswerAudience;
}

function bounded(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** A suggestion may not close its own fence; it replaces exactly the commented line (`-0+0`). */
function suggestionBlock(suggestion: string, secrets: readonly string[]): string | null {
  const text = redactSecrets(removeInvisible(suggestion), secrets).replace(/\n$/, '');
  if (text.includes('```') || text.length > MAX_SUGGESTION_CHARS) return null;
  return ['```suggestion:-0+0', text, '```'].join('\n');
}

export function commentBody(comment: Pick<ReviewComment, 'body' | 'suggestion'>, side: Side, secrets: readonly string[], audience: AnswerAudience): string {
  const text = bounded(safeAnswer(comment.body.trim(), secrets, audience), MAX_COMMENT_CHARS);
  const suggestion = comment.suggestion !== undefined && side === 'new' ? suggestionBlock(comment.suggestion, secrets) : null;
  return suggestion ? `${text}\n\n${suggestion}` : text;
}

const sameSpot = (earlier: EarlierComment, path: string, side: Side, line: number) => earlier.path === path && earlier.side === side && earlier.line === line;

export function planReview(input: ReviewPlanInput): ReviewPlan {
  const { review, files, refs, earlier, secrets, audience } = input;
  const plan: ReviewPlan = { drafts: [], notPlaced: [], alreadyRaised: 0, overLimit: 0, changedSince: [] };
  const seen = new Set<string>();
  for (const refused of review.refused) plan.notPlaced.push({ path: refused.path, line: refused.line, body: '', reason: `refused: ${refused.reason}` });
  for (const comment of review.comments) {
    const found = findLine(files, comment.path, comment.side, comment.line);
    const body = commentBody(comment, comment.side, secrets, audience);
    if (!found) {
      plan.notPlaced.push({ path: comment.path, line: comment.line, body, reason: `not a line of the diff (${comment.side} side)` });
      continue;
    }
    const key = `${found.file.newPath}\0${comment.side}\0${comment.line}`;
    if (seen.has(key)) {
      plan.notPlaced.push({ path: comment.path, line: comment.line, body, reason: 'a second comment on the same line' });
      continue;
    }
    seen.add(key);
    // Already raised: the bot commented on this line before, and the line reads the same now.
    if (earlier.some((note) => sameSpot(note, found.file.newPath, comment.side, comment.line) && note.textThen !== null && note.textThen === found.line.text)) {
      plan.alreadyRaised += 1;
      continue;
    }
    if (plan.drafts.length >= input.maxComments) {
      plan.overLimit += 1;
      continue;
    }
    plan.drafts.push({ body, position: textPosition(refs, found.file, found.line), path: found.file.newPath, line: comment.line });
  }
  plan.changedSince = earlier.filter((note) => note.textThen !== null && note.textThen !== note.textNow);
  return plan;
}

const where = (path: string | null, line: number | null) => `${path ? inlineCode(bounded(path, 200)) : 'a comment'}${line !== null ? ` line ${line}` : ''}`;

/** The runner's part of the tracking note: counts, what could not be placed, what changed since. */
export function reviewSummary(plan: ReviewPlan, posted: number, failed: readonly NotPlaced[]): string {
  const lines = [`**Review:** ${posted} new comment(s) on the diff; ${plan.alreadyRaised} not repeated (already raised on unchanged lines); ${plan.changedSince.length} earlier comment(s) on lines that have changed since (likely addressed).`];
  if (plan.overLimit > 0) lines.push('', `${plan.overLimit} more comment(s) were not posted: \`CLAUDE_FLOW_MAX_REVIEW_COMMENTS\` allows fewer.`);
  if (plan.changedSince.length > 0) {
    lines.push('', 'Changed since the earlier review:');
    for (const note of plan.changedSince.slice(0, 20)) lines.push(`- ${where(note.path, note.line)} (${note.side} side), note ${note.noteId}`);
  }
  const notPlaced = [...plan.notPlaced, ...failed];
  if (notPlaced.length > 0) {
    lines.push('', `Not on the diff, so not posted inline (${notPlaced.length}):`);
    for (const item of notPlaced.slice(0, 20)) {
      const body = item.body ? `: ${bounded(item.body.replace(/\s+/g, ' '), 500)}` : '';
      lines.push(`- ${where(item.path, item.line)} (${item.reason})${body}`);
    }
    if (notPlaced.length > 20) lines.push(`- … and ${notPlaced.length - 20} more`);
  }
  return lines.join('\n');
}
