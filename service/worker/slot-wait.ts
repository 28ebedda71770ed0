import type { Logger } from '../log.js';
import type { RunRecord, SlotResult } from '../store/types.js';
import { TERMINAL_RUN_STATES } from '../store/types.js';
import { queuedNote } from './messages.js';
import { editTrackingNote, StopRequested, type WorkerContext } from './worker-context.js';

// A run the project has no free slot for waits in the project's line: the thread is told its place
// once, and the message is held a while (polling) before it is handed back to wait in the queue.

export async function waitForSlot(ctx: WorkerContext, run: RunRecord, log: Logger, holdMs: number): Promise<boolean> {
  const { store, clock, config } = ctx;
  const deadline = clock.now() + holdMs;
  let pollMs = 250;
  for (;;) {
    if (ctx.shutdown.aborted) throw new StopRequested();
    const slot = await requestSlot(ctx, run);
    if (slot === 'finished' || (slot !== 'busy' && slot.granted)) return true;
    if (slot !== 'busy' && run.state !== 'waiting' && (await store.updateRun(run.runId, { state: 'waiting' }, clock.now(), ['announced']))) {
      run = { ...run, state: 'waiting' };
      log.info({ position: slot.position }, 'project at its pipeline limit: run queued');
      await editTrackingNote(ctx, run, log, 'post queued note', queuedNote(run.runId, slot.position, config.maxConcurrentPipelines));
    }
    if (clock.now() >= deadline) return false;
    await clock.sleep(Math.min(pollMs, Math.max(0, deadline - clock.now())), ctx.shutdown);
    pollMs = Math.min(pollMs * 2, 2000);
  }
}

/**
 * One slot request, under the run's lock and only while the run is unfinished. Another delivery of the
 * same run may trigger it meanwhile, and its pipeline may end and free the slot (on the Firestore
 * emulator a contended acquire can take seconds): a request after that would put the finished run
 * back in the line, or lease it a slot, for nobody, until the lease expires.
 */
function requestSlot(ctx: WorkerContext, run: RunRecord): Promise<SlotResult | 'finished' | 'busy'> {
  const { store, clock, config } = ctx;
  return ctx.runLocks.brief(run.runId, async () => {
    const current = await store.getRun(run.runId);
    if (!current || TERMINAL_RUN_STATES.has(current.state)) return 'finished';
    return store.acquireSlot(run.projectId, run.runId, run.threadKey, config.maxConcurrentPipelines, clock.now(), config.slotLeaseMs);
  });
}
