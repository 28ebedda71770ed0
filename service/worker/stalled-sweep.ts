import type { Clock } from '../clock.js';
import type { QueuedWork } from '../domain.js';
import type { Logger } from '../log.js';
import type { CoordinationStore, RunRecord, StalledWork } from '../store/types.js';

// The queue delivers at least once, until it gives up: a message dead-lettered after its last attempt
// (GitLab down for longer than the retries last), or one a queue loses, leaves its work in the store
// with nobody handling it. Every instance sweeps the store now and then for work untouched for long and
// queues it again; one sweep per interval across instances (a remembered key), and every step it
// queues is idempotent, so a sweep that overlaps a late redelivery does no harm.

export interface StalledSweepDeps {
  store: Pick<CoordinationStore, 'stalledWork' | 'rememberOnce' | 'updateRun'> & Partial<Pick<CoordinationStore, 'pauseState'>>;
  publish: (work: QueuedWork) => Promise<unknown>;
  logger: Logger;
  clock: Clock;
  /** Work untouched for this long is presumed to have lost its message. */
  stalledAfterMs: number;
  shutdown: AbortSignal;
}

const MAX_PER_SWEEP = 100;

/** What to queue again, and (for a resumed run) the run it resumes. */
export interface Requeue {
  work: QueuedWork;
  run?: RunRecord;
}

/** What to queue for stalled work: pure, so the choice is tested without a store or a queue. */
export function requeueFor(stalled: StalledWork): Requeue[] {
  const out: Requeue[] = [];
  // The latest mention of a thread claims all of it.
  for (const { mention, seq } of stalled.threads) {
    out.push({ work: { kind: 'flow', request: mention.request, seq } });
  }
  const wakeProjects = new Set<number>();
  for (const run of stalled.runs) {
    // A waiting run may wait for hours behind long pipelines, untouched and fine: wake its project (a
    // slot may have been freed by a lease running out, which sends no hook; or the run got its slot and
    // lost its message before triggering), never resume it itself.
    if (run.state === 'waiting') wakeProjects.add(run.projectId);
    else out.push({ work: { kind: 'run', runId: run.runId, projectId: run.projectId }, run });
  }
  for (const projectId of wakeProjects) out.push({ work: { kind: 'wake', projectId } });
  return out;
}

/** One sweep, if no other instance swept in this interval. Returns what it queued. */
export async function sweepStalledWork(deps: StalledSweepDeps, intervalMs: number): Promise<number> {
  const now = deps.clock.now();
  // Paused: what waits is held on purpose (resume queues it); counting resumptions now would give runs up.
  if ((await deps.store.pauseState?.())?.paused) return 0;
  if (!(await deps.store.rememberOnce(`stalled-sweep:${Math.floor(now / intervalMs)}`, now, intervalMs * 2))) return 0;
  const requeue: Requeue[] = [];
  for (const item of requeueFor(await deps.store.stalledWork(now - deps.stalledAfterMs, MAX_PER_SWEEP))) {
    // Each item once per period: its message may take a while to be handled (it waits for a lock, a
    // window, the queue), and copies of it would only contend for the same documents.
    if (!(await deps.store.rememberOnce(`stalled:${describe(item.work)}`, now, deps.stalledAfterMs))) continue;
    // A resumed run counts its resumptions (the worker gives up after a few), and is touched by it.
    const { run } = item;
    if (run && !(await deps.store.updateRun(run.runId, { stalledResumes: (run.stalledResumes ?? 0) + 1 }, now, [run.state]))) continue;
    requeue.push(item);
  }
  for (const { work } of requeue) await deps.publish(work);
  if (requeue.length > 0) deps.logger.warn({ queued: requeue.map(({ work }) => describe(work)) }, 'stalled work found in the store: queued again');
  return requeue.length;
}

/** Sweeps every `stalledAfterMs / 4` until shutdown. */
export function startStalledSweep(deps: StalledSweepDeps): Promise<void> {
  const intervalMs = Math.max(1000, Math.floor(deps.stalledAfterMs / 4));
  return (async () => {
    while (!deps.shutdown.aborted) {
      await deps.clock.sleep(intervalMs, deps.shutdown);
      if (deps.shutdown.aborted) return;
      try {
        await sweepStalledWork(deps, intervalMs);
      } catch (error) {
        deps.logger.warn({ err: error }, 'stalled-work sweep failed; next interval retries');
      }
    }
  })();
}

function describe(work: QueuedWork): string {
  switch (work.kind) {
    case 'flow':
      return `mention ${work.request.note.id} (thread ${work.request.threadKey})`;
    case 'run':
      return `run ${work.runId}`;
    case 'wake':
      return `project ${work.projectId} line`;
    case 'pipeline':
      return `pipeline ${work.event.pipelineId}`;
  }
}
