import type { Clock } from '../clock.js';
import type { QueuedWork } from '../domain.js';
import type { Logger } from '../log.js';
import type { CoordinationStore, StalledWork } from '../store/types.js';
import { requeueFor } from './stalled-sweep.js';

// `claude-gitlab-flow resume`: lift the pause, then queue again everything the paused workers left in the
// store (pending mentions, unfinished runs, the lines of projects with waiting runs), oldest first. The same
// requeue the stalled-work sweep does, without waiting for work to look stalled; every item is idempotent,
// so a message that is also redelivered, or a sweep that overlaps, does no harm.

export interface ResumeDeps {
  store: Pick<CoordinationStore, 'setPaused' | 'stalledWork'>;
  publish: (work: QueuedWork) => Promise<unknown>;
  clock: Clock;
  logger: Logger;
}

/** Items per resume; anything beyond is found by the stalled-work sweep later. */
const MAX_HELD = 1000;
/** Every pending thread counts as held, however recent its last mention (its message was acked while paused). */
const FAR_FUTURE_MS = 365 * 24 * 3600_000;

export async function resumeHeldWork(deps: ResumeDeps, by: string): Promise<{ queued: QueuedWork[] }> {
  const now = deps.clock.now();
  await deps.store.setPaused(false, by, now);
  const queued = heldWorkOldestFirst(await deps.store.stalledWork(now + FAR_FUTURE_MS, MAX_HELD));
  for (const work of queued) await deps.publish(work);
  deps.logger.info({ queued: queued.length, by }, 'resumed: held work queued again, oldest first');
  return { queued };
}

/** What to queue again, oldest first: a thread by its mention's arrival, a run (and a project's line) by its creation. Pure. */
export function heldWorkOldestFirst(held: StalledWork): QueuedWork[] {
  const waitingSince = new Map<number, number>();
  for (const run of held.runs) {
    if (run.state === 'waiting') waitingSince.set(run.projectId, Math.min(waitingSince.get(run.projectId) ?? Infinity, run.createdAt));
  }
  const at = (work: QueuedWork, runCreatedAt?: number): number => {
    if (work.kind === 'flow') return Date.parse(work.request.receivedAt) || 0;
    if (work.kind === 'wake') return waitingSince.get(work.projectId) ?? 0;
    return runCreatedAt ?? 0;
  };
  return requeueFor(held)
    .map((item) => ({ work: item.work, at: at(item.work, item.run?.createdAt) }))
    .sort((a, b) => a.at - b.at)
    .map((item) => item.work);
}
