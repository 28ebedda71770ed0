import type { Logger } from '../../log.js';
import { decodeWork } from './codec.js';
import type { DeadLetterSink } from './dead-letter.js';
import type { HandlerOutcome, WorkHandler } from '../types.js';

// One delivery, pull or push: decode, run the handler, and decide ack or nack. A retry (or a throw) is a
// nack, so the subscription's retry policy spaces the redeliveries; on the last attempt the message goes
// to the dead-letter sink and is acked. A hand-back (the instance is stopping) is a nack whatever the
// attempt: a message must not be dead-lettered because instances scaled in while it waited. Never throws.

export interface RawDelivery {
  messageId: string;
  data: Buffer;
  attributes: Record<string, string>;
  deliveryAttempt: number;
}

export interface DispatchPolicy {
  maxDeliveryAttempts: number;
  deadLetter: DeadLetterSink;
  logger: Logger;
}

export type Verdict = 'ack' | 'nack';

export async function dispatchDelivery(raw: RawDelivery, handler: WorkHandler, policy: DispatchPolicy): Promise<Verdict> {
  const work = decodeWork(raw.data);
  if (!work) return deadLetter(raw, 'not a work item (undecodable message)', policy, null);
  let outcome: HandlerOutcome;
  try {
    outcome = await handler({ messageId: raw.messageId, work, deliveryAttempt: raw.deliveryAttempt });
  } catch (error) {
    outcome = { kind: 'retry', reason: error instanceof Error ? error.message : String(error) };
  }
  if (outcome.kind === 'ack') return 'ack';
  if (outcome.kind === 'hand-back') return 'nack';
  if (raw.deliveryAttempt < policy.maxDeliveryAttempts) return 'nack';
  return deadLetter(raw, outcome.reason, policy, work);
}

async function deadLetter(raw: RawDelivery, reason: string, policy: DispatchPolicy, work: Parameters<WorkHandler>[0]['work'] | null): Promise<Verdict> {
  try {
    await policy.deadLetter.send({ ...raw, reason, work });
    return 'ack';
  } catch (error) {
    // Not stored anywhere yet: leave it to Pub/Sub (redelivery, or the subscription's own policy).
    policy.logger.error({ messageId: raw.messageId, reason, err: error }, 'could not dead-letter a message; leaving it for redelivery');
    return 'nack';
  }
}
