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

/** Of the answer's 8.5 s, what the store may take before the mention is published without it. */
const STORE_WITHIN_MS = 4000;

const GIVE_BACK_WITHIN_MS = 1000;

export async function queueDelivery(
  work: QueuedWork,
  delivery: IncomingDelivery,
  timeLeft: () => number,
  deps: QueueDeliveryDeps
): Promise<IngestOutcome> {
  const { log } = delivery;
  const keys = dedupeKeys(delivery.idempotencyKey, work);
  const storing = storeDelivery(deps.store, keys, work, deps.now(), deps.debounceMs);
  // The store gets part of the answer's time; the publish keeps the rest. A store that fails or is late
  // costs the dedupe and the early place in the thread, not the mention: it is published unrecorded and the
  // worker records it (an unrecorded copy that slips through is absorbed by the worker's claims).
  const stored = await inTime(storing, Math.min(STORE_WITHIN_MS, timeLeft() / 2), 'the store', log, { late: () => undefined });
  if (stored.ok && stored.value === 'duplicate') {
    log().info({ keys }, 'duplicate delivery');
    return { kind: 'duplicate', keys };
  }
  const queued = stored.ok ? work : unrecorded(work);
  // If the publish fails, a recorded mention waits in its thread: a resend, the thread's next mention
  // or the stalled-work sweep takes it along. One that completes after our 503 is a duplicate message,
  // which the worker's claims absorb.
  // Bounded: when the store is what is down, giving back must not hold the 503 past GitLab's timeout.
  const giveBackKeys = () => within(forgetAll(deps.store, keys), Math.min(GIVE_BACK_WITHIN_MS, timeLeft()));
  const published = await inTime(deps.publish(queued), timeLeft(), 'the queue', log, {
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
  await within(remembering, stored.ok ? timeLeft() : 0);
  if (!stored.ok) log().warn(describeAccepted(queued), 'webhook accepted unrecorded: the worker records it');
  else if (deps.logger.isLevelEnabled('info')) log().info(describeAccepted(queued), 'webhook accepted');
  return { kind: 'accepted', work: queued };
}

/** The work as the worker gets it when the store did not record it: a mention without its `seq`. */
function unrecorded(work: QueuedWork): QueuedWork {
  if (work.kind !== 'flow') return work;
  const { seq: _seq, ...rest } = work;
  return rest;
}

function describeAccepted(work: QueuedWork): Record<string, unknown> {
  if (work.kind === 'flow')
    return {
      kind: 'flow',
      event: work.request.event,
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
