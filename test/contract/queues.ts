import { randomUUID } from 'node:crypto';
import { inject } from 'vitest';
import { MemoryQueue } from '../../service/queue/memory-queue.js';
import { PubSubQueue } from '../../service/queue/pubsub/pubsub-queue.js';
import type { Delivery, WorkQueue } from '../../service/queue/types.js';
import { captureLogger } from '../support/logs.js';

// The implementations the queue contract runs against, each on its own topic and subscription, with
// short backoffs so redeliveries come within a test's patience.

export interface QueueSetup {
  maxDeliveryAttempts: number;
  maxConcurrentHandlers?: number;
  onDeadLetter: (delivery: Delivery, reason: string) => void;
}

export interface QueueKind {
  name: string;
  make(setup: QueueSetup): { queue: WorkQueue; close(): Promise<void> };
}

export const queueKinds: QueueKind[] = [
  {
    name: 'memory',
    make: (setup) => {
      const queue = new MemoryQueue({ ...setup, minBackoffMs: 20, maxBackoffMs: 200 });
      return { queue, close: () => queue.stop() };
    },
  },
  {
    name: 'pubsub-emulator',
    make: (setup) => {
      const id = randomUUID().slice(0, 8);
      const queue = new PubSubQueue({
        projectId: 'contract-test',
        topic: `work-${id}`,
        subscription: `worker-${id}`,
        emulatorHost: inject('pubsubEmulatorHost'),
        createIfMissing: true,
        subscriptionDefaults: { ackDeadlineSeconds: 10, minBackoffMs: 100, maxBackoffMs: 500 },
        logger: captureLogger().logger,
        ...setup,
      });
      return { queue, close: () => queue.close() };
    },
  },
];
