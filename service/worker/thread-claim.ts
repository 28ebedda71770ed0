import type { FlowRequest } from '../domain.js';
import type { Logger } from '../log.js';
import type { HandlerOutcome } from '../queue/types.js';
import type { RunRecord } from '../store/types.js';
import { runRequest } from './decisions.js';
import { budgetNote } from './messages.js';
import { resumeRun } from './resume-run.js';
import { bestEffort, sleepUntil, type WorkerContext } from './worker-context.js';

// The first phase of a mention: wait for its thread to be quiet, then claim the thread's pending
// mentions as one run (or find that a later mention, or another attempt, carries them).

export async function handleMention(ctx: WorkerContext, request: FlowRequest, recordedSeq: number | undefined, log: Logger): Promise<HandlerOutcome> {
  const { store, clock, config } = ctx;
  // The window counts from when ingest accepted the mention, so time spent in the queue does not
  // stretch it (and a late delivery claims at once instead of waiting a whole window again).
  const acceptedAt = Math.min(clock.now(), Date.parse(request.receivedAt) || clock.now());
  // Ingest normally recorded the mention already (its seq travels with it); the claim below finds a
  // note that a run took meanwhile, and the thread's latest quiet time, in the store either way.
  const recorded =
    recordedSeq !== undefined
      ? { status: 'pending' as const, seq: recordedSeq, quietUntil: acceptedAt + config.debounceMs }
      : await store.recordMention({ noteId: request.note.id, request }, acceptedAt, config.debounceMs);
  if (recorded.status === 'claimed') return resumeRun(ctx, recorded.runId, log);
  let quietUntil = recorded.quietUntil;
  // The one sign, while a comment waits out its window, that an instance holds its message.
  if (quietUntil > clock.now()) log.info({ quietUntil: new Date(quietUntil).toISOString() }, 'waiting for the thread to be quiet');
  for (;;) {
    await sleepUntil(ctx, quietUntil);
    const claim = await store.claimThread(request.threadKey, recorded.seq, request.note.id, ctx.newRunId(), clock.now(), config.threadRunWindowMs);
    switch (claim.status) {
      case 'superseded':
        log.info('coalesced into a later mention in the same thread');
        return { kind: 'ack' };
      case 'wait':
        quietUntil = claim.quietUntil;
        continue;
      case 'claimed-by':
        return resumeRun(ctx, claim.runId, log);
      case 'claimed':
        log.info({ runId: claim.run.runId, notes: claim.run.mentions.map((m) => m.noteId) }, 'thread quiet: run claimed');
        if (claim.leftOut.length > 0) log.error({ runId: claim.run.runId, leftOut: claim.leftOut }, 'notes another run took were in this window again: left out of this run');
        if (claim.recentRunCount >= config.threadRunBudget) return refuseOverBudget(ctx, claim.run, log);
        return resumeRun(ctx, claim.run.runId, log);
    }
  }
}

async function refuseOverBudget(ctx: WorkerContext, run: RunRecord, log: Logger): Promise<HandlerOutcome> {
  const { store, clock, gitlab, config } = ctx;
  await store.updateRun(run.runId, { state: 'skipped', error: 'thread run budget reached' }, clock.now(), ['claimed']);
  log.warn({ runId: run.runId, budget: config.threadRunBudget }, 'thread run budget reached: no pipeline');
  const request = runRequest(run);
  await bestEffort(log, 'post budget note', () =>
    gitlab.replyInThread(request.project.id, request.noteable, request.note.discussionId, budgetNote(run.runId, config.threadRunBudget), {
      internal: request.note.internal,
    }),
  );
  return { kind: 'ack' };
}
