import { isTransient } from '../gitlab/errors.js';
import type { Logger } from '../log.js';
import type { HandlerOutcome } from '../queue/types.js';
import type { RunRecord } from '../store/types.js';
import { TERMINAL_RUN_STATES } from '../store/types.js';
import { announce } from './announce.js';
import { waitForSlot } from './slot-wait.js';
import { trigger } from './trigger.js';
import { withRunLock, type WorkerContext } from './worker-context.js';

// A run, from claimed to triggered: announce it, take a project slot (or wait in the line for one),
// start its pipeline. Every step reads the run again and continues where the last attempt stopped.

export async function resumeRun(ctx: WorkerContext, runId: string, log: Logger, slotWaitHoldMs = ctx.slotWaitHoldMs): Promise<HandlerOutcome> {
  try {
    return await resumeRunOnce(ctx, runId, log, slotWaitHoldMs);
  } catch (error) {
    // Somebody is still trying: touch the run, so the stalled-work sweep leaves it to these retries
    // (it looks for runs nobody has touched for long).
    if (isTransient(error)) await ctx.store.updateRun(runId, {}, ctx.clock.now()).catch(() => undefined);
    throw error;
  }
}

async function resumeRunOnce(ctx: WorkerContext, runId: string, log: Logger, slotWaitHoldMs: number): Promise<HandlerOutcome> {
  const { store, clock, config } = ctx;
  const runLog = log.child({ runId });
  const run = await store.getRun(runId);
  if (!run) {
    runLog.error('a note points to a run the store does not have');
    return { kind: 'ack' };
  }
  if (TERMINAL_RUN_STATES.has(run.state)) return { kind: 'ack' };
  // The common case in one hold of the run's lock: announce, take a free slot, trigger (each lock
  // round trip is a store transaction, and this path is the latency a user waits for).
  const first = await withRunLock(ctx, runId, async (hold): Promise<RunRecord | null> => {
    const { run: current, slot: askedSlot } = await announce(ctx, runId, runLog, hold);
    if (!current) return null;
    const slot = await (askedSlot ?? store.acquireSlot(current.projectId, runId, current.threadKey, config.maxConcurrentPipelines, clock.now(), config.slotLeaseMs));
    if (!slot.granted) return current;
    await trigger(ctx, current, runLog, hold);
    return null;
  });
  if ('busy' in first) return first.busy;
  const announced = first.value;
  if (!announced) return { kind: 'ack' };
  // The project is at its limit: hold the message a while for a slot, then trigger.
  if (!(await waitForSlot(ctx, announced, runLog, slotWaitHoldMs))) {
    return { kind: 'retry', reason: 'waiting for a project slot', delayMs: 1000 };
  }
  const triggered = await withRunLock(ctx, runId, async (hold) => {
    const current = await store.getRun(runId);
    if (current && !TERMINAL_RUN_STATES.has(current.state)) await trigger(ctx, current, runLog, hold);
  });
  return 'busy' in triggered ? triggered.busy : { kind: 'ack' };
}
