import { randomUUID } from 'node:crypto';
import type { GitLabUser } from '../gitlab/api.js';
import { GitLabApiError, isTransient } from '../gitlab/errors.js';
import type { Logger } from '../log.js';
import type { Delivery, HandlerOutcome, WorkHandler } from '../queue/types.js';
import { describeWork } from '../queue/describe-work.js';
import { backoffMs } from './decisions.js';
import { handlePipelineEvent } from './pipeline-hook.js';
import { drainProject, resumeRunsHoldingSlots } from './project-line.js';
import { RunLocks } from './run-lock.js';
import { resumeStalledRun } from './stalled-run.js';
import { handleMention } from './thread-claim.js';
import { StopRequested, type WorkerContext, type WorkerDeps } from './worker-context.js';

// From a queued request to a pipeline (docs/architecture.md). Every step is resumable: the run's state lives in
// the coordination store, so any instance, on any redelivery, continues where the last attempt stopped,
// and the store's atomic operations decide the races (who coalesces, who triggers, who gets a slot).
// This module dispatches a message to its phase and turns what the phase threw into an outcome:
// thread-claim.ts (a mention), resume-run.ts (announce, slot, trigger), pipeline-hook.ts and
// project-line.ts (a pipeline ended, a project woken), stalled-run.ts (the sweep's resumptions).

export type { WorkerConfig, WorkerDeps } from './worker-context.js';

export function createWorker(deps: WorkerDeps): WorkHandler {
  const ctx = workerContext(deps);
  return (delivery) => handle(ctx, delivery);
}

function workerContext(deps: WorkerDeps): WorkerContext {
  const { store, gitlab, config, logger, clock, shutdown } = deps;
  let self: Promise<GitLabUser> | null = null;
  const ctx: WorkerContext = {
    store,
    gitlab,
    config,
    logger,
    clock,
    shutdown,
    newRunId: deps.newRunId ?? (() => randomUUID()),
    slotWaitHoldMs: deps.slotWaitHoldMs ?? 240_000,
    runLocks: new RunLocks({ store, clock, shutdown, logger, instanceId: deps.instanceId ?? randomUUID(), staleMs: deps.runLockStaleMs ?? 20_000 }),
    selfUser: () => {
      self ??= gitlab.currentUser().catch((error) => {
        self = null;
        throw error;
      });
      return self;
    },
    drainProject: (projectId, log) => drainProject(ctx, projectId, log),
  };
  return ctx;
}

async function handle(ctx: WorkerContext, delivery: Delivery): Promise<HandlerOutcome> {
  const log = ctx.logger.child({ messageId: delivery.messageId, deliveryAttempt: delivery.deliveryAttempt, ...describeWork(delivery.work) });
  const outcome = await handleOnce(ctx, delivery, log);
  // A redelivery often finds its work done by another attempt and says nothing else: this line is
  // how the log shows that a message handed back or retried was delivered again and where it ended.
  if (delivery.deliveryAttempt > 1) log.info({ outcome: outcome.kind }, 'redelivered message handled');
  return outcome;
}

async function handleOnce(ctx: WorkerContext, delivery: Delivery, log: Logger): Promise<HandlerOutcome> {
  try {
    switch (delivery.work.kind) {
      case 'flow':
        return await handleMention(ctx, delivery.work.request, delivery.work.seq, log);
      case 'pipeline':
        return await handlePipelineEvent(ctx, delivery.work.event, log);
      case 'wake':
        await resumeRunsHoldingSlots(ctx, delivery.work.projectId, log);
        await drainProject(ctx, delivery.work.projectId, log);
        return { kind: 'ack' };
      case 'run':
        return await resumeStalledRun(ctx, delivery.work.runId, log);
    }
  } catch (error) {
    if (error instanceof StopRequested) {
      log.info('shutting down: message handed back for redelivery');
      return { kind: 'hand-back', reason: 'shutting down' };
    }
    const retryAfterMs = error instanceof GitLabApiError ? error.retryAfterMs : null;
    const reason = error instanceof Error ? error.message : String(error);
    if (!isTransient(error)) {
      log.error({ err: error }, 'permanent failure outside a run step; acknowledged');
      return { kind: 'ack' };
    }
    log.warn({ err: error, retryAfterMs }, 'transient failure; will retry');
    return { kind: 'retry', reason, delayMs: retryAfterMs ?? backoffMs(delivery.deliveryAttempt) };
  }
}
