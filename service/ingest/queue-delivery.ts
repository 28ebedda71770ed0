import { within } from '../deadline.js';
import type { QueuedWork } from '../domain.js';
import type { Logger } from '../log.js';
import { inTime } from './answer-budget.js';
import type { IncomingDelivery, IngestOutcome } from './outcome.js';
import { dedupeKeys, forgetAll, rememberPublished, storeDelivery, type DeliveryStore } from './store-delivery.js';

// Admitted work into the store and onto the queue, within the answer's time: accepted, a duplicate, or
// unavailable (the store or the queue failed or was late, and GitLab is to send it again).

export interface QueueDeliveryDeps {
  store: DeliveryStore;
  /** The debounce window: ingest opens (or extends) the thread's window as it accepts a mention. */
  debounceMs: number;
  publish: (work: QueuedWork) => Promise<unknown>;
  logger: Logger;
  now: () => number;
}

/** How long a copy of a mention waits for the attempt that took its keys to record it (store-delivery.ts). */
const MENTION_WAIT_MS = 2000;

export async function queueDelivery(
  work: QueuedWork,
  delivery: IncomingDelivery,
  timeLeft: () => number,
  deps: QueueDeliveryDeps
): Promise<IngestOutcome> {
  const { log } = delivery;
  const keys = dedupeKeys(delivery.idempotencyKey, work);
  const storing = storeDelivery(
    deps.store,
    keys,
    work,
    deps.now(),
    deps.debounceMs,
    Math.min(MENTION_WAIT_MS, timeLeft() / 3)
  );
  // Too late: the writes go on without us. Once they end, give the keys back so a resend is not taken
  // for a duplicate; a mention recorded meanwhile waits in its thread, and the resend publishes it.
  // (On a failure, storeDelivery has given them back itself.)
  const stored = await inTime(storing, timeLeft(), 'the store', log, {
    late: () =>
      void storing
        .then((outcome) => (outcome === 'stored' ? forgetAll(deps.store, keys) : undefined))
        .catch(() => undefined),
  });
  if (!stored.ok) return { kind: 'unavailable', reason: stored.reason };
  if (stored.value === 'duplicate') {
    log().info({ keys }, 'duplicate delivery');
    return { kind: 'duplicate', keys };
  }
  // If the publish fails, a recorded mention waits in its thread: a resend, the thread's next mention
  // or the stalled-work sweep takes it along. One that completes after our 503 is a duplicate message,
  // which the worker's claims absorb.
  const giveBackKeys = () => forgetAll(deps.store, keys);
  const published = await inTime(deps.publish(work), timeLeft(), 'the queue', log, {
    failed: giveBackKeys,
    late: giveBackKeys,
  });
  if (!published.ok) return { kind: 'unavailable', reason: published.reason };
  // A key not written (in time) only lets a later copy of this hook be queued too.
  const remembering = rememberPublished(deps.store, keys, work, deps.now()).catch((error: unknown) => {
    log().warn(
      { err: error },
      'could not remember the delivery; a resend of it will be queued again'
    );
  });
  await within(remembering, timeLeft());
  if (deps.logger.isLevelEnabled('info')) log().info(describeAccepted(work), 'webhook accepted');
  return { kind: 'accepted', work };
}

function describeAccepted(work: QueuedWork): Record<string, unknown> {
  if (work.kind === 'flow')
    return {
      kind: 'flow',
      projectId: work.request.project.id,
      noteId: work.request.note.id,
      action: work.request.note.action,
    };
  if (work.kind === 'pipeline')
    return {
      kind: 'pipeline',
      projectId: work.event.projectId,
      pipelineId: work.event.pipelineId,
      status: work.event.status,
    };
  return { kind: work.kind };
}
