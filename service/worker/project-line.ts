import type { Logger } from '../log.js';
import { TERMINAL_RUN_STATES } from '../store/types.js';
import { resumeRun } from './resume-run.js';
import type { WorkerContext } from './worker-context.js';

// A project's slots and line, when a slot may have come free (a pipeline ended, a lease ran out, a
// run failed): carry on the runs that hold a slot but never triggered, then the head of the line.

/**
 * A run that got its slot and then lost its message before triggering is in no line (it holds a slot)
 * and gets no hook: carry such runs on. Runs that are triggering right now are waited for (their lock)
 * and then found finished.
 */
export async function resumeRunsHoldingSlots(ctx: WorkerContext, projectId: number, log: Logger): Promise<void> {
  const { store, clock } = ctx;
  for (const runId of await store.activeRuns(projectId, clock.now())) {
    const run = await store.getRun(runId);
    if (!run || TERMINAL_RUN_STATES.has(run.state)) continue;
    log.warn({ runId, state: run.state }, 'resuming a run that holds a slot but never triggered');
    await resumeRun(ctx, runId, log, 0);
  }
}

/** Start the runs at the head of a project's line now that a slot may be free. */
export async function drainProject(ctx: WorkerContext, projectId: number, log: Logger): Promise<void> {
  const waiting = await ctx.store.waitingRuns(projectId);
  for (const runId of waiting.slice(0, ctx.config.maxConcurrentPipelines + 1)) {
    await resumeRun(ctx, runId, log, 0);
  }
}
