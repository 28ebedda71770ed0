import { createLogger, type Logger } from '../../log.js';
import { AttemptCounter } from './attempts.js';
import { createDeadLetterSink, type DeadLetterSink } from './dead-letter.js';
import { dispatchDelivery } from './dispatch.js';
import type { WorkHandler } from '../types.js';
import { parsePushEnvelope } from './push-envelope.js';

// One Pub/Sub push delivery, after its OIDC token was verified (verify-push.ts): returns the HTTP answer.
// Pub/Sub reads 102/200/201/202/204 as an ack and anything else as a nack, so: done or dead-lettered →
// 204; retry (or a throw) → 503 and Pub/Sub redelivers after the subscription's backoff; a body that is
// not an envelope → 400 (a nack too: it ends in the subscription's dead-letter topic, never dropped).
// https://cloud.google.com/pubsub/docs/push#receive_push

export interface PushResponse {
  status: number;
  body: string;
}

export interface PushHandlingOptions {
  /** Dead-letter after this many attempts (default 10). */
  maxDeliveryAttempts?: number;
  /** Default: log at error level and ack (no dead-letter topic). */
  deadLetter?: DeadLetterSink;
  logger?: Logger;
  /** Counts attempts when the envelope has no `deliveryAttempt` (no dead-letter policy); default: one per process. */
  attempts?: AttemptCounter;
}

const processAttempts = new AttemptCounter();
let defaultLogger: Logger | undefined;

export async function handlePushEnvelope(body: unknown, handler: WorkHandler, options: PushHandlingOptions = {}): Promise<PushResponse> {
  const logger = options.logger ?? (defaultLogger ??= createLogger('info'));
  const parsed = parsePushEnvelope(body);
  if (!parsed.ok) {
    logger.warn({ reason: parsed.reason }, 'refused a push request that is not a Pub/Sub envelope');
    return { status: 400, body: parsed.reason };
  }
  const { envelope } = parsed;
  const attempts = options.attempts ?? processAttempts;
  const deliveryAttempt = attempts.attemptOf(envelope.messageId, envelope.deliveryAttempt);
  const verdict = await dispatchDelivery(
    { messageId: envelope.messageId, data: envelope.data, attributes: envelope.attributes, deliveryAttempt },
    handler,
    {
      maxDeliveryAttempts: options.maxDeliveryAttempts ?? 10,
      deadLetter: options.deadLetter ?? createDeadLetterSink({ topic: null, logger }),
      logger,
    },
  );
  if (verdict === 'nack') return { status: 503, body: 'retry later' };
  attempts.forget(envelope.messageId);
  return { status: 204, body: '' };
}
