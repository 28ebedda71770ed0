import type { Router } from 'express';
import type { Config } from '../../config.js';
import type { Logger } from '../../log.js';
import type { Delivery } from '../types.js';
import { PubSubQueue } from './pubsub-queue.js';
import { pushRoute } from './push-route.js';

// The queue on Pub/Sub (PUBSUB_TOPIC), loaded only when configured (service/backends.ts imports it lazily).

export interface PubSubBackend {
  queue: PubSubQueue;
  /** Pull (PUBSUB_SUBSCRIPTION) needs no route; push arrives at POST /pubsub/push. */
  routes(): Router[];
}

export function createPubSubBackend(config: Config, logger: Logger, options: { onDeadLetter?: (delivery: Delivery, reason: string) => void } = {}): PubSubBackend {
  const { google } = config;
  const queue = new PubSubQueue({
    projectId: google.projectId as string,
    topic: google.pubsubTopic as string,
    subscription: google.pubsubSubscription,
    deadLetterTopic: google.pubsubDeadLetterTopic,
    emulatorHost: google.pubsubEmulatorHost,
    // In production infra owns topics and subscriptions; against the emulator we make our own.
    createIfMissing: Boolean(google.pubsubEmulatorHost),
    maxDeliveryAttempts: config.maxDeliveryAttempts,
    logger,
    onDeadLetter: options.onDeadLetter,
  });
  return { queue, routes: () => (google.pubsubSubscription ? [] : [pushRoute(config, logger, queue)]) };
}
