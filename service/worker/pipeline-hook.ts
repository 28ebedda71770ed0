import type { PipelineEvent } from '../domain.js';
import { FINISHED_PIPELINE_STATUSES } from '../domain.js';
import type { Logger } from '../log.js';
import type { HandlerOutcome } from '../queue/types.js';
import { closeOutEndedPipeline } from './close-out.js';
import { FINISHED_MARK_TTL_MS, pipelineFinishedKey } from './finished-mark.js';
import type { WorkerContext } from './worker-context.js';

// A triggered run's pipeline finished: free its slot, start whoever waits, and close out what the
// runner could not.

export async function handlePipelineEvent(ctx: WorkerContext, event: PipelineEvent, log: Logger): Promise<HandlerOutcome> {
  if (!FINISHED_PIPELINE_STATUSES.has(event.status)) return { kind: 'ack' };
  const { store, clock } = ctx;
  // Marked first: an attempt that attaches this pipeline to its slot after the release below reads the
  // mark and frees the slot itself (see trigger.ts).
  await store.rememberOnce(pipelineFinishedKey(event.projectId, event.pipelineId), clock.now(), FINISHED_MARK_TTL_MS);
  const released = await store.releaseSlot(event.projectId, { pipelineId: event.pipelineId });
  log.info({ releasedRun: released }, 'pipeline finished: slot released');
  await ctx.drainProject(event.projectId, log);
  // Last, and retried (the whole hook, which is idempotent) when GitLab fails transiently.
  await closeOutEndedPipeline(ctx.gitlab, store, event, log, ctx.clock.now());
  return { kind: 'ack' };
}
