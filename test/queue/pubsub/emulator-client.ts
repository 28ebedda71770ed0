import { randomUUID } from 'node:crypto';
import { PubSub, type Message, type Subscription } from '@google-cloud/pubsub';
import { inject } from 'vitest';

// A raw Pub/Sub client on the test run's emulator, for setting things up and looking behind the queue.

export const PROJECT = 'pubsub-test';

export function emulatorClient(): PubSub {
  return new PubSub({ projectId: PROJECT, apiEndpoint: inject('pubsubEmulatorHost'), emulatorMode: true, universeDomain: 'googleapis.com' });
}

export function uniqueName(prefix: string): string {
  return `${prefix}-${randomUUID().slice(0, 8)}`;
}

/** Collects every message the subscription receives, acking each. */
export function collect(subscription: Subscription): Message[] {
  const received: Message[] = [];
  subscription.on('message', (message: Message) => {
    received.push(message);
    message.ack();
  });
  subscription.on('error', () => {});
  return received;
}
