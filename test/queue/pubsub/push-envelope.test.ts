import { describe, expect, it } from 'vitest';
import type { QueuedWork } from '../../../service/domain.js';
import { handlePushEnvelope } from '../../../service/queue/pubsub/handle-push.js';
import { AttemptCounter } from '../../../service/queue/pubsub/attempts.js';
import type { DeadLetter, DeadLetterSink } from '../../../service/queue/pubsub/dead-letter.js';
import type { Delivery, HandlerOutcome } from '../../../service/queue/types.js';
import { captureLogger } from '../../support/logs.js';

// What the push route answers for each envelope: 204 acks, anything else makes Pub/Sub redeliver.

const work: QueuedWork = { kind: 'wake', projectId: 5 };

function envelope(overrides: { messageId?: string; data?: string; deliveryAttempt?: number } = {}) {
  return {
    message: {
      data: overrides.data ?? Buffer.from(JSON.stringify(work)).toString('base64'),
      attributes: { kind: 'wake' },
      messageId: overrides.messageId ?? '1001',
      publishTime: '2026-11-26T03:00:00.000Z',
    },
    subscription: 'projects/flow/subscriptions/worker-push',
    ...(overrides.deliveryAttempt ? { deliveryAttempt: overrides.deliveryAttempt } : {}),
  };
}

function setup(outcome: (delivery: Delivery) => HandlerOutcome | Promise<HandlerOutcome>, sinkFails = false) {
  const deliveries: Delivery[] = [];
  const letters: DeadLetter[] = [];
  const deadLetter: DeadLetterSink = {
    async send(letter) {
      if (sinkFails) throw new Error('dead-letter topic unavailable');
      letters.push(letter);
    },
  };
  const { logger, logs: records } = captureLogger();
  const options = { maxDeliveryAttempts: 3, deadLetter, logger, attempts: new AttemptCounter() };
  const push = (body: unknown) =>
    handlePushEnvelope(
      body,
      async (delivery) => {
        deliveries.push(delivery);
        return outcome(delivery);
      },
      options,
    );
  return { push, deliveries, letters, records };
}

describe('handlePushEnvelope', () => {
  it('decodes the message, runs the handler, and answers 204 on ack', async () => {
    const { push, deliveries } = setup(() => ({ kind: 'ack' }));
    expect(await push(envelope({ deliveryAttempt: 1 }))).toEqual({ status: 204, body: '' });
    expect(deliveries).toEqual([{ messageId: '1001', work, deliveryAttempt: 1 }]);
  });

  it('answers 503 for a retry and for a throw, so Pub/Sub redelivers', async () => {
    const retry = setup(() => ({ kind: 'retry', reason: 'GitLab 429' }));
    expect(await retry.push(envelope({ deliveryAttempt: 1 }))).toEqual({ status: 503, body: 'retry later' });
    const thrown = setup(() => {
      throw new Error('network');
    });
    expect((await thrown.push(envelope({ deliveryAttempt: 1 }))).status).toBe(503);
  });

  it("uses the envelope's deliveryAttempt, and dead-letters on the last one (then acks)", async () => {
    const { push, deliveries, letters } = setup(() => ({ kind: 'retry', reason: 'still failing' }));
    expect((await push(envelope({ deliveryAttempt: 2 }))).status).toBe(503);
    expect((await push(envelope({ deliveryAttempt: 3 }))).status).toBe(204);
    expect(deliveries.map((delivery) => delivery.deliveryAttempt)).toEqual([2, 3]);
    expect(letters).toEqual([
      { messageId: '1001', deliveryAttempt: 3, reason: 'still failing', data: expect.any(Buffer), attributes: { kind: 'wake' }, work },
    ]);
  });

  it('counts attempts itself when the envelope has none (no dead-letter policy on the subscription)', async () => {
    const { push, deliveries, letters } = setup(() => ({ kind: 'retry', reason: 'still failing' }));
    expect((await push(envelope())).status).toBe(503);
    expect((await push(envelope({ messageId: 'other' }))).status).toBe(503);
    expect((await push(envelope())).status).toBe(503);
    expect((await push(envelope())).status).toBe(204);
    expect(deliveries.map((delivery) => [delivery.messageId, delivery.deliveryAttempt])).toEqual([
      ['1001', 1],
      ['other', 1],
      ['1001', 2],
      ['1001', 3],
    ]);
    expect(letters.map((letter) => letter.messageId)).toEqual(['1001']);
  });

  it('keeps a message for redelivery when the dead letter cannot be stored', async () => {
    const { push, records } = setup(() => ({ kind: 'retry', reason: 'still failing' }), true);
    expect((await push(envelope({ deliveryAttempt: 3 }))).status).toBe(503);
    expect(records).toContainEqual(expect.objectContaining({ severity: 'ERROR', message: 'could not dead-letter a message; leaving it for redelivery' }));
  });

  it('dead-letters a message that is not a work item at once, without running the handler', async () => {
    const { push, deliveries, letters } = setup(() => ({ kind: 'ack' }));
    const body = envelope({ data: Buffer.from('{"kind":"unknown"}').toString('base64'), deliveryAttempt: 1 });
    expect((await push(body)).status).toBe(204);
    expect(deliveries).toEqual([]);
    expect(letters).toMatchObject([{ messageId: '1001', work: null, reason: 'not a work item (undecodable message)' }]);
  });

  it.each([
    ['no body', undefined],
    ['an array', []],
    ['no message', { subscription: 's' }],
    ['no message id', { message: { data: '' } }],
    ['attributes that are not strings', { message: { messageId: '1', attributes: { a: 1 } } }],
    ['data that is not a string', { message: { messageId: '1', data: 42 } }],
  ])('answers 400 to %s, without running the handler', async (_name, body) => {
    const { push, deliveries } = setup(() => ({ kind: 'ack' }));
    expect((await push(body)).status).toBe(400);
    expect(deliveries).toEqual([]);
  });
});
