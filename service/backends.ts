import type { Router } from 'express';
import type { Config } from './config.js';
import type { Logger } from './log.js';
import { describeWork } from './queue/describe-work.js';
import { MemoryQueue } from './queue/memory-queue.js';
import type { Delivery, WorkHandler, WorkQueue } from './queue/types.js';
import { MemoryStore } from './store/memory-store.js';
import type { CoordinationStore } from './store/types.js';

// Chooses the queue and the store from the configuration. Google's clients are imported only when
// configured, so the embedded mode starts fast and needs no Google credentials (scripts/bundle.mjs keeps
// the two lazily imported modules out of the bundle for the same reason).

export interface Backends {
  queue: WorkQueue;
  store: CoordinationStore;
  /** Routes this mode needs (Pub/Sub push), given the worker. */
  routes(handler: WorkHandler): Router[];
  close(): Promise<void>;
}

export async function createBackends(config: Config, logger: Logger): Promise<Backends> {
  const store = config.store === 'firestore' ? await firestoreStore(config) : new MemoryStore();
  // The status page lists dead letters from the store, so every instance shows every instance's.
  const keepDeadLetter = (delivery: Delivery, reason: string) => {
    const ids = Object.entries(describeWork(delivery.work)).map(([key, value]) => `${key}=${String(value)}`).join(' ');
    const message = `${ids} (message ${delivery.messageId}, ${delivery.deliveryAttempt} attempts): ${reason.slice(0, 300)}`;
    store.recordIncident({ at: Date.now(), kind: 'dead-letter', message }).catch((error: unknown) => logger.warn({ err: error }, 'could not record a dead letter for the status page'));
  };
  if (!config.google.pubsubTopic) {
    logger.warn('PUBSUB_TOPIC is not set: using the embedded in-process queue (not durable across restarts; fine on a laptop, not in production)');
    const queue = new MemoryQueue({
      maxDeliveryAttempts: config.maxDeliveryAttempts,
      onDeadLetter: (delivery, reason) => {
        logger.error({ messageId: delivery.messageId, work: describeWork(delivery.work), reason }, 'message dead-lettered after its last delivery attempt');
        keepDeadLetter(delivery, reason);
      },
    });
    return { queue, store, routes: () => [], close: async () => {} };
  }
  const { createPubSubBackend } = await import('./queue/pubsub/backends.js');
  const { queue, routes } = createPubSubBackend(config, logger, { onDeadLetter: keepDeadLetter });
  return {
    queue,
    store,
    routes,
    async close() {
      await queue.close();
      await (store as Partial<{ close(): Promise<void> }>).close?.();
    },
  };
}

async function firestoreStore(config: Config): Promise<CoordinationStore> {
  const { createFirestoreStore } = await import('./store/firestore/create.js');
  return createFirestoreStore(config);
}
