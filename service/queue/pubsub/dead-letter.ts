import type { Topic } from '@google-cloud/pubsub';
import type { QueuedWork } from '../../domain.js';
import type { Logger } from '../../log.js';
import { describeWork } from '../describe-work.js';
import type { Delivery } from '../types.js';

// Where a message goes after its last attempt (nothing is dropped silently: docs/architecture.md). With a
// dead-letter topic configured the message is republished there, with why; either way it is logged at
// error level. Used by both pull and push, so the emulator (whose own dead-lettering breaks on ordered
// subscriptions) and production behave alike.

export interface DeadLetter {
  messageId: string;
  deliveryAttempt: number;
  reason: string;
  data: Buffer;
  attributes: Record<string, string>;
  /** Null when the message could not even be decoded. */
  work: QueuedWork | null;
}

export interface DeadLetterSink {
  /** Resolves once the letter is stored (or logged, without a topic); rejects if it could not be. */
  send(letter: DeadLetter): Promise<void>;
}

export interface DeadLetterSinkOptions {
  topic: Topic | null;
  logger: Logger;
  onDeadLetter?: (delivery: Delivery, reason: string) => void;
}

export function createDeadLetterSink({ topic, logger, onDeadLetter }: DeadLetterSinkOptions): DeadLetterSink {
  return {
    async send(letter) {
      if (topic) {
        await topic.publishMessage({
          data: letter.data,
          attributes: {
            ...letter.attributes,
            deadLetterReason: letter.reason.slice(0, 1000),
            sourceMessageId: letter.messageId,
            deliveryAttempt: String(letter.deliveryAttempt),
          },
        });
      }
      logger.error(
        { messageId: letter.messageId, deliveryAttempt: letter.deliveryAttempt, reason: letter.reason, work: letter.work ? describeWork(letter.work) : null, deadLetterTopic: topic?.name ?? null },
        topic ? 'message dead-lettered after its last delivery attempt' : 'message dropped after its last delivery attempt (no dead-letter topic configured; this log line is its only record)',
      );
      if (letter.work) onDeadLetter?.({ messageId: letter.messageId, work: letter.work, deliveryAttempt: letter.deliveryAttempt }, letter.reason);
    },
  };
}
