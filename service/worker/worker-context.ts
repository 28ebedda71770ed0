import type { Clock } from '../clock.js';
import type { Config } from '../config.js';
import type { GitLabApi, GitLabUser } from '../gitlab/api.js';
import type { Logger } from '../log.js';
import type { HandlerOutcome } from '../queue/types.js';
import type { CoordinationStore, RunRecord } from '../store/types.js';
import { runRequest } from './decisions.js';
import type { RunLockHold, RunLocks } from './run-lock.js';

// What every phase of the worker shares (worker.ts builds it once), and the few helpers they all use.

export type WorkerConfig = Pick<
  Config,
  'gitlabUrl' | 'triggerToken' | 'debounceMs' | 'maxConcurrentPipelines' | 'minAccessLevel' | 'threadRunBudget' | 'threadRunWindowMs' | 'slotLeaseMs'
  | 'triggerPhrase' | 'allowConfidential' | 'allowedProjects' | 'scopedWebhookSecrets' | 'authorRunsPerDay' | 'projectRunsPerDay'
> & Partial<Pick<Config, 'triggerLabel' | 'reviewOnReady'>>;

export interface WorkerDeps {
  store: CoordinationStore;
  gitlab: GitLabApi;
  config: WorkerConfig;
  logger: Logger;
  clock: Clock;
  /** Aborts when the process is shutting down: waits end early and hand their message back. */
  shutdown: AbortSignal;
  instanceId?: string;
  newRunId?: () => string;
  /** How long a handler waiting for a project slot keeps its message before handing it back. */
  slotWaitHoldMs?: number;
  /** A run lock not renewed for this long is presumed to belong to a crashed instance (its holder renews it every third of this). */
  runLockStaleMs?: number;
}

export interface WorkerContext extends Pick<WorkerDeps, 'store' | 'gitlab' | 'config' | 'logger' | 'clock' | 'shutdown'> {
  runLocks: RunLocks;
  newRunId: () => string;
  slotWaitHoldMs: number;
  /** The service's own GitLab user, asked once (again after a failure). */
  selfUser: () => Promise<GitLabUser>;
  /**
   * Start the runs at the head of a project's line (project-line.ts). Passed in rather than imported:
   * the trigger step calls it, and the line resumes runs through that same step.
   */
  drainProject: (projectId: number, log: Logger) => Promise<void>;
}

/** Thrown when shutdown interrupts a wait: the dispatcher hands the message back. */
export class StopRequested extends Error {}

/** A step under the run's lock (RunLocks.with); a lock that stayed busy, or was lost, hands the message back. */
export async function withRunLock<T>(
  ctx: WorkerContext,
  runId: string,
  step: (hold: RunLockHold) => Promise<T>,
): Promise<{ busy: HandlerOutcome } | { value: T }> {
  const result = await ctx.runLocks.with(runId, step);
  if (!('busy' in result)) return result;
  // The wait for a busy lock ends early on shutdown: a hand-back, like the other waits.
  if (ctx.shutdown.aborted) throw new StopRequested();
  return { busy: { kind: 'retry', reason: 'another attempt is working on this run', delayMs: 2000 } };
}

export async function sleepUntil(ctx: WorkerContext, at: number): Promise<void> {
  const waitMs = at - ctx.clock.now();
  if (waitMs > 0) await ctx.clock.sleep(waitMs, ctx.shutdown);
  if (ctx.shutdown.aborted) throw new StopRequested();
}

/** For steps whose failure must not undo the run (a reaction, an interim note): log and go on. */
export async function bestEffort(log: Logger, what: string, action: () => Promise<unknown>): Promise<void> {
  try {
    await action();
  } catch (error) {
    log.warn({ err: error }, `could not ${what}`);
  }
}

/** Rewrite the run's tracking note, if it has one, best effort. */
export async function editTrackingNote(ctx: WorkerContext, run: RunRecord, log: Logger, what: string, body: string): Promise<void> {
  if (!run.trackingNoteId || !run.trackingDiscussionId) return;
  const { trackingNoteId, trackingDiscussionId } = run;
  const { project, noteable } = runRequest(run);
  await bestEffort(log, what, () => ctx.gitlab.editThreadNote(project.id, noteable, trackingDiscussionId, trackingNoteId, body));
}
