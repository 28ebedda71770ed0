import type { GitLabPipeline } from '../gitlab/api.js';
import { isTransient } from '../gitlab/errors.js';
import type { Logger } from '../log.js';
import type { RunRecord } from '../store/types.js';
import { pipelineVariables } from '../flow-variables.js';
import { chooseRef, runRequest, withoutBodies } from './decisions.js';
import { pipelineFinishedKey } from './finished-mark.js';
import { triggeredNote, triggerFailedNote } from './messages.js';
import { findRunPipeline } from './reconcile.js';
import type { RunLockHold } from './run-lock.js';
import { editTrackingNote, type WorkerContext } from './worker-context.js';

// The last step of a run: holding a project slot and the run's lock, start its pipeline and say so.

/**
 * Start the pipeline, unless an earlier attempt already did (it held the lock before us and died, or
 * failed, before recording the pipeline: `takenOver`).
 */
export async function trigger(ctx: WorkerContext, run: RunRecord, log: Logger, hold: RunLockHold): Promise<void> {
  const { store, clock } = ctx;
  const runId = run.runId;
  if (run.trackingNoteId === null) return;
  const request = runRequest(run);
  const { ref, reason } = chooseRef(request);
  const pipeline = await startPipeline(ctx, run, ref, log, hold);
  if (!pipeline) return;
  await store.attachPipeline(run.projectId, runId, pipeline.id);
  // The pipeline may have finished already (it ended at once, or an attempt that died started it long
  // ago), and its Pipeline Hook then found no slot of ours naming it: free the slot here. The hook marks
  // the pipeline before it releases by pipeline, and this reads the mark after attaching, so at least
  // one side sees the other. Checked before the run is marked triggered, so a retry after a crash here
  // checks again.
  const finishedAlready = await store.isRemembered(pipelineFinishedKey(run.projectId, pipeline.id), clock.now());
  if (finishedAlready) await store.releaseSlot(run.projectId, { runId });
  const triggered = { state: 'triggered' as const, pipelineId: pipeline.id, pipelineUrl: pipeline.web_url, ref, mentions: withoutBodies(run.mentions) };
  await store.updateRun(runId, triggered, clock.now(), ['announced', 'waiting']);
  log.info({ pipelineId: pipeline.id, ref, refReason: reason }, 'pipeline triggered');
  if (finishedAlready) {
    log.info({ pipelineId: pipeline.id }, 'pipeline had already finished: slot released');
    await ctx.drainProject(run.projectId, log);
  }
  const body = triggeredNote(runId, pipeline.id, pipeline.web_url, ref, { confidential: request.noteable.confidential });
  await editTrackingNote(ctx, run, log, 'update tracking note', body);
}

/** The run's pipeline: the one an interrupted attempt started, or a new one; null when paused, or when GitLab refused it (the run failed). */
async function startPipeline(ctx: WorkerContext, run: RunRecord, ref: string, log: Logger, hold: RunLockHold): Promise<GitLabPipeline | null> {
  const { gitlab, config } = ctx;
  const found = hold.takenOver || run.triggerStartedAt != null ? await findRunPipeline(gitlab, run, ref) : null;
  if (found) {
    log.warn({ pipelineId: found.id }, 'found the pipeline an interrupted attempt started: not triggering again');
    return found;
  }
  // Paused by the operator (pause-gate.ts): the run keeps its state and slot; `resume` queues it again.
  if ((await ctx.store.pauseState()).paused) {
    log.info('paused by the operator: the pipeline waits for resume');
    return null;
  }
  const variables = pipelineVariables(run.mentions, run.trackingNoteId as number, config.gitlabUrl, run.trackingDiscussionId ?? null);
  // Still ours, and for long enough: an attempt that took the lock over while we were stalled may have triggered already.
  await hold.confirm();
  const projectId = runRequest(run).project.id;
  try {
    return config.triggerToken
      ? await gitlab.triggerPipeline(projectId, ref, variables, config.triggerToken)
      : await gitlab.createPipeline(projectId, ref, variables);
  } catch (error) {
    if (isTransient(error)) throw error;
    await failRun(ctx, run, error, ref, log);
    return null;
  }
}

async function failRun(ctx: WorkerContext, run: RunRecord, error: unknown, ref: string, log: Logger): Promise<void> {
  const { store, clock } = ctx;
  const message = error instanceof Error ? error.message : String(error);
  await store.updateRun(run.runId, { state: 'failed', error: message, mentions: withoutBodies(run.mentions) }, clock.now(), ['announced', 'waiting']);
  await store.releaseSlot(run.projectId, { runId: run.runId });
  log.error({ err: error, ref }, 'GitLab refused the pipeline: told the thread');
  await editTrackingNote(ctx, run, log, 'post failure note', triggerFailedNote(run.runId, error, ref));
  await ctx.drainProject(run.projectId, log);
}
