import { createServer as createHttpServer } from 'node:http';
import { createServer as createTcpServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import type { QueuedWork } from '../../../service/domain.js';
import { createPushVerifier } from '../../../service/queue/pubsub/verify-push.js';
import { PubSubQueue, type PubSubQueueOptions } from '../../../service/queue/pubsub/pubsub-queue.js';
import { QueueUnavailableError, type Delivery } from '../../../service/queue/types.js';
import { captureLogger } from '../../support/logs.js';
import { eventually, sleep } from '../../../devtools/eventually.js';
import { PROJECT, collect, emulatorClient, uniqueName } from './emulator-client.js';

// What only the Pub/Sub queue does (the shared semantics are in test/contract): publish failures and
// deadlines, its dead-letter topic, undecodable messages, missing resources, and push delivery.

const pubsub = emulatorClient();
const queues: PubSubQueue[] = [];
afterEach(async () => {
  await Promise.all(queues.splice(0).map((queue) => queue.close()));
});
afterAll(async () => {
  await pubsub.close();
});

const wake = (projectId: number): QueuedWork => ({ kind: 'wake', projectId });
const GRACE = 1200;

function makeQueue(options: Partial<PubSubQueueOptions> = {}) {
  const { logger, logs: records } = captureLogger();
  const queue = new PubSubQueue({
    projectId: PROJECT,
    topic: uniqueName('work'),
    emulatorHost: inject('pubsubEmulatorHost'),
    subscriptionDefaults: { ackDeadlineSeconds: 10, minBackoffMs: 100, maxBackoffMs: 500 },
    logger,
    ...options,
  });
  queues.push(queue);
  return { queue, records };
}

describe('PubSubQueue publishing', () => {
  it('rejects with QueueUnavailableError when the topic is missing, and does not create it in production mode', async () => {
    const topic = uniqueName('missing');
    const { queue } = makeQueue({ topic, createIfMissing: false });
    const error = await queue.publish(wake(1)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(QueueUnavailableError);
    expect((error as Error).message).toMatch(/topic not found \(check PUBSUB_TOPIC\)/);
    const [exists] = await pubsub.topic(topic).exists();
    expect(exists).toBe(false);
  });

  it('goes on after a failed publish: the next publish goes through (no ordering key to pause)', async () => {
    const topic = uniqueName('late');
    const { queue } = makeQueue({ topic, createIfMissing: false });
    await expect(queue.publish(wake(1))).rejects.toBeInstanceOf(QueueUnavailableError);
    await pubsub.createTopic(topic);
    await expect(queue.publish(wake(1))).resolves.toEqual(expect.any(String));
  });

  it('gives up after its deadline when Pub/Sub does not answer', async () => {
    // Accepts connections and never says a word: the publish hangs until our deadline.
    const sockets: Socket[] = [];
    const silent: Server = createTcpServer((socket) => void sockets.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = silent.address() as AddressInfo;
      const { queue } = makeQueue({ emulatorHost: `127.0.0.1:${port}`, publishTimeoutMs: 300 });
      const started = Date.now();
      const error = await queue.publish(wake(1)).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(QueueUnavailableError);
      expect((error as Error).message).toBe('Pub/Sub did not confirm the publish within 300 ms');
      expect(Date.now() - started).toBeLessThan(2000);
    } finally {
      for (const socket of sockets) socket.destroy();
      silent.close();
    }
  });

  it('refuses to publish once stopping (ingest answers 503 and GitLab retries elsewhere)', async () => {
    const { queue } = makeQueue({ createIfMissing: true });
    await queue.stop();
    await expect(queue.publish(wake(1))).rejects.toBeInstanceOf(QueueUnavailableError);
  });
});

describe('PubSubQueue dead letters', () => {
  it('republishes to the dead-letter topic after the last attempt, with why, and logs at error level', async () => {
    const deadLetterTopic = uniqueName('dead');
    const { queue, records } = makeQueue({ subscription: uniqueName('worker'), deadLetterTopic, createIfMissing: true, maxDeliveryAttempts: 5 });
    await queue.start(async () => ({ kind: 'retry', reason: 'GitLab keeps answering 502' }));
    const [deadSub] = await pubsub.topic(deadLetterTopic).createSubscription(uniqueName('dead-sub'));
    const dead = collect(deadSub);
    const messageId = await queue.publish(wake(7));
    await eventually('the dead letter', () => dead.length >= 1, 20_000);
    expect(JSON.parse(dead[0]?.data.toString() ?? '')).toEqual(wake(7));
    expect(dead[0]?.attributes).toEqual({ kind: 'wake', deadLetterReason: 'GitLab keeps answering 502', sourceMessageId: messageId, deliveryAttempt: '5' });
    expect(records).toContainEqual(
      expect.objectContaining({ severity: 'ERROR', message: 'message dead-lettered after its last delivery attempt', messageId, deliveryAttempt: 5, work: wake(7) }),
    );
    await deadSub.close();
  });

  it('dead-letters a message that is not a work item at once, without calling the handler', async () => {
    const topic = uniqueName('work');
    const deadLetterTopic = uniqueName('dead');
    const { queue } = makeQueue({ topic, subscription: uniqueName('worker'), deadLetterTopic, createIfMissing: true });
    const handled: Delivery[] = [];
    await queue.start(async (delivery) => {
      handled.push(delivery);
      return { kind: 'ack' };
    });
    const [deadSub] = await pubsub.topic(deadLetterTopic).createSubscription(uniqueName('dead-sub'));
    const dead = collect(deadSub);
    await pubsub.topic(topic).publishMessage({ data: Buffer.from('not json') });
    await eventually('the dead letter', () => dead.length >= 1);
    expect(dead[0]?.data.toString()).toBe('not json');
    expect(dead[0]?.attributes).toMatchObject({ deadLetterReason: 'not a work item (undecodable message)', deliveryAttempt: '1' });
    expect(handled).toEqual([]);
    await deadSub.close();
  });

  it('without a dead-letter topic, logs the message as dropped (its only record) and acks it', async () => {
    const { queue, records } = makeQueue({ subscription: uniqueName('worker'), createIfMissing: true, maxDeliveryAttempts: 2 });
    const attempts: number[] = [];
    await queue.start(async (delivery) => {
      attempts.push(delivery.deliveryAttempt);
      return { kind: 'retry', reason: 'nope' };
    });
    await queue.publish(wake(8));
    await eventually('the error log', () => records.some((record) => record.severity === 'ERROR'));
    await sleep(GRACE);
    expect(attempts).toEqual([1, 2]);
    expect(records.filter((record) => record.severity === 'ERROR')).toEqual([
      expect.objectContaining({ message: expect.stringContaining('this log line is its only record'), work: wake(8), reason: 'nope' }),
    ]);
  });
});

describe('PubSubQueue receiving', () => {
  it('does not create a missing subscription in production mode: it logs what to fix, and recovers once it exists', async () => {
    const topic = uniqueName('work');
    await pubsub.createTopic(topic);
    const subscription = uniqueName('absent');
    const { queue, records } = makeQueue({ topic, subscription, createIfMissing: false });
    const handled: Delivery[] = [];
    await queue.start(async (delivery) => {
      handled.push(delivery);
      return { kind: 'ack' };
    });
    await eventually('the error log', () => records.some((record) => String(record.message).includes('subscription not found')), 10_000);
    const [exists] = await pubsub.subscription(subscription).exists();
    expect(exists).toBe(false);
    // Infra creates it later: the queue's reconnects pick it up.
    await pubsub.topic(topic).createSubscription(subscription);
    const messageId = await queue.publish(wake(3));
    await eventually('the delivery after reconnecting', () => handled.some((delivery) => delivery.messageId === messageId), 20_000);
    await queue.stop();
  });

  it('stop() gives up on a handler that outlives drainTimeoutMs, and its message is redelivered', async () => {
    const { queue, records } = makeQueue({ subscription: uniqueName('worker'), createIfMissing: true, drainTimeoutMs: 300 });
    const first: Delivery[] = [];
    let release!: () => void;
    const stuck = new Promise<void>((resolve) => (release = resolve));
    await queue.start(async (delivery) => {
      first.push(delivery);
      await stuck;
      return { kind: 'ack' };
    });
    const messageId = await queue.publish(wake(4));
    await eventually('the first delivery', () => first.length === 1);
    const started = Date.now();
    await queue.stop();
    expect(Date.now() - started).toBeLessThan(2000);
    expect(records).toContainEqual(expect.objectContaining({ severity: 'WARNING', inFlight: 1 }));
    // A second stop (the service's close() after its stop()) does not wait out the drain again.
    await queue.stop();
    expect(records.filter((record) => record.severity === 'WARNING' && record.inFlight === 1)).toHaveLength(1);
    const second: Delivery[] = [];
    await queue.start(async (delivery) => {
      second.push(delivery);
      return { kind: 'ack' };
    });
    await eventually('the redelivery', () => second.length >= 1);
    expect(second[0]).toMatchObject({ messageId, deliveryAttempt: 2 });
    // The first handler finishing late changes nothing.
    release();
    await sleep(GRACE);
    expect(second).toHaveLength(1);
  });

  it('stop() returns promptly while the stream keeps failing', async () => {
    const { queue, records } = makeQueue({ subscription: uniqueName('absent'), createIfMissing: false });
    await queue.start(async () => ({ kind: 'ack' }));
    await eventually('the error log', () => records.some((record) => record.severity === 'ERROR'), 10_000);
    const started = Date.now();
    await queue.stop();
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('receives by push through the emulator: unauthenticated by explicit opt-out, retried by status code', async () => {
    const topic = uniqueName('work');
    const { queue } = makeQueue({ topic, createIfMissing: true });
    const attempts: number[] = [];
    await queue.start(async (delivery) => {
      attempts.push(delivery.deliveryAttempt);
      return delivery.deliveryAttempt === 1 ? { kind: 'retry', reason: 'later' } : { kind: 'ack' };
    });
    // The route the service mounts at POST /pubsub/push, in miniature.
    const verify = createPushVerifier({ audience: '', serviceAccountEmail: '', allowUnauthenticated: true });
    const answers: number[] = [];
    let sawUnauthenticated = false;
    const server = createHttpServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', async () => {
        const auth = await verify(req.headers.authorization);
        if (!auth.ok) {
          res.statusCode = auth.status;
          res.end();
          return;
        }
        sawUnauthenticated ||= auth.unauthenticated;
        const answer = await queue.handlePush(JSON.parse(body));
        answers.push(answer.status);
        res.statusCode = answer.status;
        res.end(answer.body);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const [subscription] = await pubsub.topic(topic).createSubscription(uniqueName('push'), {
        pushConfig: { pushEndpoint: `http://127.0.0.1:${port}/pubsub/push` },
        retryPolicy: { minimumBackoff: { nanos: 100e6 }, maximumBackoff: { seconds: 1 } },
      });
      await queue.publish(wake(9));
      await eventually('a push and its redelivery', () => answers.length >= 2, 20_000);
      await sleep(GRACE);
      // The emulator's envelope carries no deliveryAttempt: the queue counted.
      expect(attempts).toEqual([1, 2]);
      expect(answers).toEqual([503, 204]);
      expect(sawUnauthenticated).toBe(true);
      await subscription.delete();
      await queue.stop();
      expect(await queue.handlePush({ message: { messageId: 'x', data: '' } })).toEqual({ status: 503, body: 'not accepting deliveries' });
    } finally {
      server.close();
    }
  });

  it('answers 503 to pushes before start, so Pub/Sub keeps the message', async () => {
    const { queue } = makeQueue({ createIfMissing: true });
    const body = { message: { messageId: '1', data: Buffer.from(JSON.stringify(wake(1))).toString('base64') } };
    expect((await queue.handlePush(body)).status).toBe(503);
  });
});
