import type { FlowContextV1 } from '../../domain.js';
import { GitLabApiError } from '../../gitlab/errors.js';
import { isDiffPosition } from '../diff.js';
import type { ApiDiff, ApiDiscussion, DiffPosition } from '../gitlab-types.js';
import type { RunnerGitLab } from '../gitlab.js';
import type { AnswerAudience } from '../note-text.js';
import { messageOf, RunFailure } from '../run-failure.js';
import type { RunResult } from '../stream.js';
import { commentableLines, type DiffRefs, type Side } from './diff-lines.js';
import { planReview, reviewSummary, type EarlierComment, type NotPlaced } from './plan.js';
import { readReviewFile } from './review-file.js';

// A review's delivery: the agent's review file, placed on the diff (plan.ts), posted as draft notes and
// published in one bulk call, so participants get one notification. The answer the tracking note shows is
// the agent's summary plus the runner's own count of what was posted, skipped and not placed.

export interface PostReviewInput {
  gitlab: RunnerGitLab;
  context: FlowContextV1;
  outputDir: string;
  diffs: readonly ApiDiff[];
  refs: DiffRefs | null;
  answer: string;
  maxComments: number;
  secrets: readonly string[];
  audience: AnswerAudience;
  result: RunResult;
  log: (message: string) => void;
}

/** At most this many of the bot's earlier comments are compared: each costs a file read or two. */
const MAX_EARLIER = 50;

function lineOf(text: string | null, line: number): string | null {
  if (text === null) return null;
  const lines = text.split('\n');
  return line >= 1 && line <= lines.length ? (lines[line - 1] ?? null) : null;
}

/**
 * The bot's earlier positioned comments on this merge request (the bot is whoever wrote the tracking
 * note), each with its line's text at the head it was written on and at the current head. Lines are
 * compared by number on both sides: a line that moved counts as changed, which at worst repeats a comment.
 */
export async function earlierComments(gitlab: RunnerGitLab, context: FlowContextV1, discussions: readonly ApiDiscussion[], refs: DiffRefs): Promise<EarlierComment[]> {
  const notes = discussions.flatMap((discussion) => discussion.notes);
  const botId = notes.find((note) => note.id === context.tracking_note_id)?.author.id;
  if (botId === undefined) return [];
  const files = new Map<string, Promise<string | null>>();
  const file = (path: string, sha: string) => {
    const key = `${sha}:${path}`;
    if (!files.has(key)) files.set(key, gitlab.fileOnRef(context.project.id, path, sha).catch(() => null));
    return files.get(key)!;
  };
  const positioned = notes
    .filter((note) => note.author.id === botId && !note.system && isDiffPosition(note.position))
    .slice(-MAX_EARLIER);
  return Promise.all(
    positioned.map(async (note) => {
      const position = note.position as DiffPosition;
      const side: Side = position.new_line != null ? 'new' : 'old';
      const line = (side === 'new' ? position.new_line : position.old_line) ?? 0;
      const path = side === 'new' ? (position.new_path ?? '') : (position.old_path ?? position.new_path ?? '');
      const thenSha = side === 'new' ? position.head_sha : position.base_sha;
      const nowSha = side === 'new' ? refs.head_sha : refs.base_sha;
      const [then, now] = await Promise.all([thenSha ? file(path, thenSha) : Promise.resolve(null), file(path, nowSha)]);
      return { noteId: note.id, path: position.new_path ?? path, side, line, textThen: lineOf(then, line), textNow: lineOf(now, line) };
    }),
  );
}

export async function postReview(input: PostReviewInput): Promise<string> {
  const { gitlab, context, log } = input;
  const parts = [input.answer.trim()];
  const read = await readReviewFile(input.outputDir);
  if (!read.ok) {
    log(`review: ${read.error}`);
    parts.push(`**Review:** no inline comments: ${read.error}.`);
    return parts.filter(Boolean).join('\n\n');
  }
  if (!input.refs) {
    parts.push('**Review:** no inline comments: GitLab gave no diff refs for this merge request.');
    return parts.filter(Boolean).join('\n\n');
  }
  const review = read.review;
  const summary = review.summary.trim();
  if (summary) parts[0] = summary.length > 20_000 ? `${summary.slice(0, 20_000)}…` : summary;
  const earlier = await earlierComments(gitlab, context, await gitlab.discussions(context), input.refs);
  const plan = planReview({ review, files: commentableLines(input.diffs), refs: input.refs, earlier, maxComments: input.maxComments, secrets: input.secrets, audience: input.audience });
  log(`review: ${plan.drafts.length} to post, ${plan.alreadyRaised} already raised, ${plan.notPlaced.length} not on the diff, ${plan.overLimit} over the limit`);

  // bulk_publish publishes every draft of the bot's: an earlier run's leftovers must not ride along.
  const discarded = plan.drafts.length > 0 ? await gitlab.discardDraftNotes(context).catch((error: unknown) => {
    throw new RunFailure({ what: "the review could not be posted: the bot's earlier draft notes could not be listed or removed.", detail: messageOf(error), answer: parts.join('\n\n') }, input.result);
  }) : 0;
  if (discarded > 0) log(`review: removed ${discarded} unpublished draft note(s) of an earlier run`);
  const failed: NotPlaced[] = [];
  let posted = 0;
  for (const draft of plan.drafts) {
    try {
      await gitlab.createDraftNote(context, draft.body, draft.position);
      posted += 1;
    } catch (error) {
      // GitLab's own check of the position (a line it does not show): the comment goes into the summary.
      if (error instanceof GitLabApiError && (error.status === 400 || error.status === 422)) {
        log(`review: GitLab refused the position ${draft.path}:${draft.line}: ${messageOf(error)}`);
        failed.push({ path: draft.path, line: draft.line, body: draft.body, reason: 'GitLab refused its position' });
        continue;
      }
      throw new RunFailure({ what: 'the review could not be posted: a draft note could not be created.', detail: messageOf(error), answer: parts.join('\n\n') }, input.result);
    }
  }
  if (posted > 0) {
    try {
      await gitlab.publishDraftNotes(context);
    } catch (error) {
      throw new RunFailure({ what: `the review's ${posted} comment(s) were saved as drafts but could not be published.`, detail: messageOf(error), answer: parts.join('\n\n') }, input.result);
    }
  }
  parts.push(reviewSummary(plan, posted, failed));
  return parts.filter(Boolean).join('\n\n');
}
