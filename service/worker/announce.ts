import { isTransient } from '../gitlab/errors.js';
import type { Logger } from '../log.js';
import type { PendingMention, RunRecord, SlotResult } from '../store/types.js';
import { TERMINAL_RUN_STATES } from '../store/types.js';
import { admitRun, type Admitted } from './admit.js';
import { startingNote } from './messages.js';
import { findTrackingNote } from './reconcile.js';
import type { RunLockHold } from './run-lock.js';
import { bestEffort, type WorkerContext } from './worker-context.js';

// A claimed run becomes visible: 👀 on its mentions and the tracking note in the thread.

type TrackingNote = { noteId: number; discussionId: string | null };

/**
 * Authorise the authors, react with 👀 and post the tracking note: the run becomes visible. Returns the
 * run as it now stands (announced, or already past that), or null when it ended here or before; and,
 * when it announced the run, its request for a project slot, made while GitLab answered.
 */
export async function announce(ctx: WorkerContext, runId: string, log: Logger, hold: RunLockHold): Promise<{ run: RunRecord | null; slot?: Promise<SlotResult> }> {
  const { store, clock, config } = ctx;
  const run = await store.getRun(runId);
  if (!run || TERMINAL_RUN_STATES.has(run.state)) return { run: null };
  if (run.state !== 'claimed') return { run };
  // Claimed, under our lock: no pipeline can hold a slot for it yet, so the slot may be asked for now
  // (the store and GitLab answer in parallel) and given back if the run ends here.
  const slot = store.acquireSlot(run.projectId, runId, run.threadKey, config.maxConcurrentPipelines, clock.now(), config.slotLeaseMs);
  slot.catch(() => undefined);
  const giveBackSlot = async () => {
    await slot.catch(() => undefined);
    await store.releaseSlot(run.projectId, { runId });
  };
  const announced = await announceClaimed(ctx, run, log, hold).catch(async (error: unknown) => {
    // Not announced (GitLab failing, say): a slot held through the retries would block the project.
    await giveBackSlot().catch(() => undefined);
    throw error;
  });
  if (!announced) {
    await giveBackSlot();
    return { run: null };
  }
  return { run: announced, slot };
}

async function announceClaimed(ctx: WorkerContext, run: RunRecord, log: Logger, hold: RunLockHold): Promise<RunRecord | null> {
  const { store, clock } = ctx;
  const admitted = await admitRun(ctx, run, log);
  if (!admitted) return null;
  const { allowed } = admitted;
  const tracking = await postTrackingNote(ctx, run, admitted, log, hold);
  if (!tracking) return null;
  const patch = { state: 'announced' as const, mentions: allowed, trackingNoteId: tracking.noteId, trackingDiscussionId: tracking.discussionId };
  const now = clock.now();
  if (!(await store.updateRun(run.runId, patch, now, ['claimed']))) {
    const current = await store.getRun(run.runId);
    return current && !TERMINAL_RUN_STATES.has(current.state) ? current : null;
  }
  log.info({ trackingNoteId: tracking.noteId, notes: allowed.map((m) => m.noteId) }, 'run announced in the thread');
  return { ...run, ...patch, updatedAt: now };
}

/** 👀 on the allowed mentions and the tracking note (found, when an earlier attempt posted it); null when it cannot be posted (the run failed). */
async function postTrackingNote(ctx: WorkerContext, run: RunRecord, { request, allowed }: Admitted, log: Logger, hold: RunLockHold): Promise<TrackingNote | null> {
  const { store, clock, gitlab } = ctx;
  const runId = run.runId;
  const last = allowed.at(-1) as PendingMention;
  // The reactions go out while the tracking note is posted: nothing depends on them.
  const awards = Promise.all(
    // An event has no trigger note to react on.
    allowed.filter((mention) => mention.request.event === 'mention').map((mention) => bestEffort(log, 'award 👀', () => gitlab.awardEmojiOnNote(request.project.id, request.noteable, mention.noteId, 'eyes'))),
  );
  try {
    // An attempt before this one may have posted it and died (or failed) before recording it.
    const found = hold.takenOver || run.announceStartedAt != null ? await findTrackingNote(gitlab, runId, last.request) : null;
    if (found) return found;
    await hold.confirm();
    try {
      // Internal when the trigger note is (only then may it run, with ALLOW_CONFIDENTIAL=true).
      const internal = { internal: last.request.note.internal };
      const note = await gitlab.replyInThread(request.project.id, request.noteable, last.request.note.discussionId, startingNote(runId), internal);
      return { noteId: note.id, discussionId: note.discussionId };
    } catch (error) {
      if (isTransient(error)) throw error;
      // Nowhere to say it: the bot cannot comment here (404/403). Stop, loudly, in the log.
      await store.updateRun(runId, { state: 'failed', error: `cannot post in the thread: ${(error as Error).message}` }, clock.now(), ['claimed']);
      log.error({ err: error }, 'cannot post the tracking note; check that the bot user is a project member who may comment');
      return null;
    }
  } finally {
    await awards;
  }
}
