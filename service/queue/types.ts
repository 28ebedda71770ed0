import type { QueuedWork } from '../domain.js';

// The work queue contract. The embedded in-process queue and Pub/Sub both implement it with the same
// semantics: at-least-once delivery, redelivery with backoff after a retry outcome or a thrown error,
// and a dead letter after `maxDeliveryAttempts`. Delivery order is not kept: correctness is built on the
// coordination store.

export interface Delivery {
  /** Stable across redeliveries of the same message. */
  messageId: string;
  work: QueuedWork;
  /** 1 on first delivery. */
  deliveryAttempt: number;
}

export type HandlerOutcome =
  | { kind: 'ack' }
  /** Not done yet: deliver again later. `delayMs` is a hint (Pub/Sub uses its retry policy). */
  | { kind: 'retry'; reason: string; delayMs?: number }
  /**
   * Not handled because this instance is stopping: deliver it again now, to whichever instance is
   * receiving. Not the message's failure, so it never brings the message closer to the dead letter.
   */
  | { kind: 'hand-back'; reason: string };

export type WorkHandler = (delivery: Delivery) => Promise<HandlerOutcome>;

export interface WorkQueue {
  /** Resolves once the message is durably stored; rejects (never silently drops) otherwise. */
  publish(work: QueuedWork): Promise<string>;
  /** Begin delivering messages to `handler`. */
  start(handler: WorkHandler): Promise<void>;
  /**
   * Stop taking new deliveries and wait for in-flight handlers (their messages are acked, or left for
   * redelivery). Publishing goes on: a shutting-down instance still finishes the webhooks it is answering.
   */
  stopDeliveries(): Promise<void>;
  /** stopDeliveries(), refuse new publishes, and flush the ones under way. */
  stop(): Promise<void>;
}

export class QueueUnavailableError extends Error {
  override name = 'QueueUnavailableError';
}
