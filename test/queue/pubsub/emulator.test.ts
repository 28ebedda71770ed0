import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Message } from '@google-cloud/pubsub';
import { afterAll, describe, expect, it } from 'vitest';
import { eventually, sleep } from '../../../devtools/eventually.js';
import { collect, emulatorClient, uniqueName } from './emulator-client.js';

// What the Pub/Sub emulator does and does not do, pinned so the queue's workarounds stay justified: if
// a newer emulator changes one of these, a test here fails and docs/pubsub-firestore.md needs a look.

const pubsub = emulatorClient();
afterAll(async () => {
  await pubsub.close();
});
const fastRetry = { minimumBackoff: { seconds: 0, nanos: 100e6 }, maximumBackoff: { seconds: 1 } };

describe('the Pub/Sub emulator', () => {
  it('delivers messages of one ordering key in publish order on an ordered subscription', async () => {
    const [topic] = await pubsub.createTopic(uniqueName('ordered'));
    const [subscription] = await topic.createSubscription(uniqueName('ordered-sub'), { enableMessageOrdering: true });
    const received = collect(subscription);
    const publisher = pubsub.topic(topic.name, { messageOrdering: true });
    for (let i = 0; i < 20; i += 1) void publisher.publishMessage({ data: Buffer.from(String(i)), orderingKey: 'project-5' });
    await publisher.flush();
    await eventually('20 messages', () => received.length >= 20);
    expect(received.map((message) => Number(message.data.toString()))).toEqual([...Array(20).keys()]);
    await subscription.close();
  });

  it('reports deliveryAttempt even without a dead-letter policy (real Pub/Sub does not)', async () => {
    const [topic] = await pubsub.createTopic(uniqueName('attempts'));
    const [subscription] = await topic.createSubscription(uniqueName('attempts-sub'), { retryPolicy: fastRetry });
    const attempts: number[] = [];
    subscription.on('message', (message: Message) => {
      attempts.push(message.deliveryAttempt);
      if (attempts.length < 3) message.nack();
      else message.ack();
    });
    await topic.publishMessage({ data: Buffer.from('x') });
    await eventually('three attempts', () => attempts.length >= 3, 20_000);
    expect(attempts).toEqual([1, 2, 3]);
    await subscription.close();
  });

  it('dead-letters on an unordered subscription, with the CloudPubSubDeadLetter* attributes', async () => {
    const [deadTopic] = await pubsub.createTopic(uniqueName('dead'));
    const [deadSub] = await deadTopic.createSubscription(uniqueName('dead-sub'));
    const dead = collect(deadSub);
    const [topic] = await pubsub.createTopic(uniqueName('dl'));
    const [subscription] = await topic.createSubscription(uniqueName('dl-sub'), {
      retryPolicy: fastRetry,
      deadLetterPolicy: { deadLetterTopic: deadTopic.name, maxDeliveryAttempts: 5 },
    });
    subscription.on('message', (message: Message) => message.nack());
    await topic.publishMessage({ data: Buffer.from('poison') });
    await eventually('the dead letter', () => dead.length >= 1, 30_000);
    expect(dead[0]?.data.toString()).toBe('poison');
    expect(dead[0]?.attributes).toMatchObject({ CloudPubSubDeadLetterSourceDeliveryCount: '5' });
    await subscription.close();
    await deadSub.close();
  });

  it('breaks the stream instead of dead-lettering on an ordered subscription (why the queue dead-letters itself)', async () => {
    const [deadTopic] = await pubsub.createTopic(uniqueName('dead-ordered'));
    const [deadSub] = await deadTopic.createSubscription(uniqueName('dead-ordered-sub'));
    const dead = collect(deadSub);
    const [topic] = await pubsub.createTopic(uniqueName('dl-ordered'));
    const [subscription] = await topic.createSubscription(uniqueName('dl-ordered-sub'), {
      enableMessageOrdering: true,
      retryPolicy: fastRetry,
      deadLetterPolicy: { deadLetterTopic: deadTopic.name, maxDeliveryAttempts: 5 },
    });
    const attempts: number[] = [];
    const errors: number[] = [];
    subscription.on('message', (message: Message) => {
      attempts.push(message.deliveryAttempt);
      message.nack();
    });
    subscription.on('error', (error: { code?: number }) => errors.push(error.code ?? -1));
    await pubsub.topic(topic.name, { messageOrdering: true }).publishMessage({ data: Buffer.from('poison'), orderingKey: 'k' });
    await eventually('the stream error', () => errors.length >= 1, 20_000);
    await sleep(2000);
    expect(attempts).toEqual([1, 2, 3, 4, 5]);
    expect(errors[0]).toBe(2); // UNKNOWN
    expect(dead).toEqual([]);
    await subscription.close();
    await deadSub.close();
  });

  it('pushes the wrapped envelope without any Authorization header or deliveryAttempt, and redelivers after a non-2xx', async () => {
    const requests: Array<{ headers: IncomingHttpHeaders; body: Record<string, unknown> }> = [];
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        requests.push({ headers: req.headers, body: JSON.parse(body) as Record<string, unknown> });
        res.statusCode = requests.length === 1 ? 503 : 204;
        res.end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const [topic] = await pubsub.createTopic(uniqueName('push'));
      const [subscription] = await topic.createSubscription(uniqueName('push-sub'), {
        retryPolicy: fastRetry,
        pushConfig: { pushEndpoint: `http://127.0.0.1:${port}/pubsub/push`, oidcToken: { serviceAccountEmail: 'push@p.iam.gserviceaccount.com', audience: 'aud' } },
      });
      const messageId = await topic.publishMessage({ data: Buffer.from('{"kind":"wake","projectId":1}'), attributes: { kind: 'wake' } });
      await eventually('a push and its redelivery', () => requests.length >= 2, 20_000);
      await sleep(1500);
      expect(requests).toHaveLength(2);
      for (const request of requests) {
        expect(request.headers.authorization).toBeUndefined();
        expect(request.body).toMatchObject({
          subscription: subscription.name,
          message: { messageId, data: Buffer.from('{"kind":"wake","projectId":1}').toString('base64'), attributes: { kind: 'wake' } },
        });
        expect(request.body).not.toHaveProperty('deliveryAttempt');
      }
      await subscription.delete();
    } finally {
      server.close();
    }
  });
});
