import { GitLabApiError, isTransient } from '../gitlab/errors.js';
import type { Logger } from '../log.js';
import type { PendingMention, RunRecord } from '../store/types.js';
import { projectRefusal, SHARED_SECRET } from '../project-access.js';
import { decideAuthor, runRequest, type AuthorDecision } from './decisions.js';
import { accessRefusedNote } from './messages.js';
import { readThreadFacts } from './thread-facts.js';
import { verifyEvent } from './verify-event.js';
import { verifyMention } from './verify-mentions.js';
import type { WorkerContext } from './worker-context.js';

// Before a run says anything: which of its mentions GitLab confirms, and whose authors may run Claude.

/** How long a thread remembers that an author below MIN_ACCESS_LEVEL was told who may ask. */
const ACCESS_REFUSAL_MEMORY_MS = 90 * 24 * 3600_000;

/**
 * The run's mentions as GitLab's API has them (thread-facts.ts, verify-mentions.ts), in a project the
 * service serves; the rest are dropped, in the log only (a forged payload gets no answer).
 */
export async function confirmedMentions(ctx: WorkerContext, run: RunRecord, log: Logger): Promise<PendingMention[]> {
  const { gitlab, config } = ctx;
  const read = await readThreadFacts(gitlab, runRequest(run), run.mentions.map((mention) => mention.noteId));
  if (!read.found) {
    log.warn({ reason: read.reason }, 'mentions dropped: GitLab does not confirm their thread');
    return [];
  }
  const { project } = read.facts;
  const options = { triggerPhrase: config.triggerPhrase, allowConfidential: config.allowConfidential, claimedAt: run.createdAt };
  const eventOptions = { selfId: (await ctx.selfUser()).id, allowConfidential: config.allowConfidential, triggerLabel: config.triggerLabel ?? null };
  const verify = (mention: PendingMention) => (mention.request.event === 'mention' ? verifyMention(mention, read.facts, options) : verifyEvent(mention, read.facts, eventOptions));
  const confirmed: PendingMention[] = [];
  for (const mention of run.mentions) {
    const identity = { id: project.id, path: project.path_with_namespace };
    const refused = projectRefusal(identity, mention.request.webhookSecret ?? SHARED_SECRET, config);
    const verdict = refused ? { ok: false as const, noteId: mention.noteId, reason: refused } : verify(mention);
    if (verdict.ok) confirmed.push(verdict.mention);
    else log.warn({ noteId: verdict.noteId, reason: verdict.reason }, 'mention dropped: GitLab does not confirm what the webhook said');
  }
  return confirmed;
}

/** The mentions whose authors may run Claude, and, per author below MIN_ACCESS_LEVEL, their last mention. */
export async function authorisedMentions(
  ctx: WorkerContext,
  run: RunRecord,
  log: Logger,
): Promise<{ allowed: PendingMention[]; belowAccessLevel: PendingMention[] }> {
  const { gitlab, config } = ctx;
  const self = await ctx.selfUser();
  const decisions = new Map<number, AuthorDecision>();
  for (const mention of run.mentions) {
    const authorId = mention.request.author.id;
    if (!decisions.has(authorId)) {
      const [user, member] = await Promise.all([
        authorId === self.id ? null : gitlab.user(authorId).catch(nullOn404),
        authorId === self.id ? null : gitlab.member(run.projectId, authorId),
      ]);
      const decision = decideAuthor({ authorId, self, user, member, minAccessLevel: config.minAccessLevel });
      if (!decision.allowed) log.warn({ authorId, author: mention.request.author.username, reason: decision.reason }, 'mention not authorised');
      decisions.set(authorId, decision);
    }
  }
  const decisionOf = (mention: PendingMention) => decisions.get(mention.request.author.id) as AuthorDecision;
  const lastByLowAuthor = new Map<number, PendingMention>();
  for (const mention of run.mentions) {
    const decision = decisionOf(mention);
    if (!decision.allowed && decision.belowAccessLevel) lastByLowAuthor.set(mention.request.author.id, mention);
  }
  return { allowed: run.mentions.filter((mention) => decisionOf(mention).allowed), belowAccessLevel: [...lastByLowAuthor.values()] };
}

/**
 * One short reply per thread and author to members below MIN_ACCESS_LEVEL (silence looks broken).
 * Non-members, blocked users and bots get nothing: they are not told who may ask.
 */
export async function tellBelowAccessLevel(ctx: WorkerContext, run: RunRecord, mentions: PendingMention[], log: Logger): Promise<void> {
  const { store, clock, gitlab, config } = ctx;
  for (const mention of mentions) {
    const { request } = mention;
    const key = `access-refused:${run.threadKey}:${request.author.id}`;
    if (!(await store.rememberOnce(key, clock.now(), ACCESS_REFUSAL_MEMORY_MS))) continue;
    const body = accessRefusedNote(request.author.username, config.minAccessLevel);
    try {
      await gitlab.replyInThread(request.project.id, request.noteable, request.note.discussionId, body, { internal: request.note.internal });
      log.info({ authorId: request.author.id }, 'told a member below MIN_ACCESS_LEVEL who may ask');
    } catch (error) {
      // Not said: let a retry (or the next mention) say it.
      await store.forget(key).catch(() => undefined);
      if (isTransient(error)) throw error;
      log.warn({ err: error }, 'could not tell a member below MIN_ACCESS_LEVEL who may ask');
    }
  }
}

function nullOn404(error: unknown): null {
  if (error instanceof GitLabApiError && error.status === 404) return null;
  throw error;
}
