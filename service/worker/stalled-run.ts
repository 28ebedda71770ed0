import type { Logger } from '../log.js';
import type { HandlerOutcome } from '../queue/types.js';
import { TERMINAL_RUN_STATES } from '../store/types.js';
import { stalledNote } from './messages.js';
import { resumeRun } from './resume-run.js';
import { editTrackingNote, type WorkerContext } from './worker-context.js';

/**
 * A stalled run is given up once the sweep has resumed it more than this often and it is older than
 * MIN_STALLED_AGE_MS: a GitLab outage of a while should delay an answer, not lose it.
 */
export const MAX_STALLED_RESUMES = 3;
const MIN_STALLED_AGE_MS = 3600_000;

/**
 * The sweep found this run unfinished and untouched for long: its messages are gone (dead-lettered after
 * their last attempt, or lost). Carry it on, a few times; then give up, loudly in the log, and in the
 * thread only when the run was announced (before that, its authors may not have been authorised).
 */
export async function resumeStalledRun(ctx: WorkerContext, runId: string, log: Logger): Promise<HandlerOutcome> {
  const { store, clock } = ctx;
  const run = await store.getRun(runId);
  if (!run || TERMINAL_RUN_STATES.has(run.state)) return { kind: 'ack' };
  // A live attempt holds (and renews) the run's lock: the run is slow, not stalled, and that attempt carries it on.
  if ((await ctx.runLocks.brief(runId, async () => undefined)) === 'busy') return { kind: 'ack' };
  const resumes = run.stalledResumes ?? 0;
  if (resumes > MAX_STALLED_RESUMES && clock.now() - run.createdAt > MIN_STALLED_AGE_MS) {
    if (await store.updateRun(runId, { state: 'failed', error: `stalled: gave up after ${MAX_STALLED_RESUMES} resumptions` }, clock.now(), [run.state])) {
      await store.releaseSlot(run.projectId, { runId });
      log.error({ runId, state: run.state }, 'run stalled and was resumed too often: given up');
      // An announced run was authorised and has a tracking note: close it, so no spinner stays behind.
      await editTrackingNote(ctx, run, log, 'close the tracking note of a stalled run', stalledNote(runId));
      await ctx.drainProject(run.projectId, log);
    }
    return { kind: 'ack' };
  }
  log.warn({ runId, state: run.state, resumes }, 'resuming a stalled run');
  return resumeRun(ctx, runId, log);
}
