import { afterEach, describe, expect, it } from 'vitest';
import type { QueuedWork } from '../../service/domain.js';
import type { Delivery, HandlerOutcome, WorkHandler, WorkQueue } from '../../service/queue/types.js';
import { mention } from './mentions.js';
import { queueKinds, type QueueSetup } from './queues.js';
import { eventually, sleep } from '../../devtools/eventually.js';

// One contract, every queue (docs/pubsub-firestore.md): the embedded queue and Pub/Sub (on its emulator) deliver
// at least once, redeliver after a retry or a throw, dead-letter after the last attempt, and stop
// cleanly. A grace period after each "no more deliveries" claim gives a wrong redelivery time to show.

const GRACE_MS = 1200;
const wake = (projectId: number): QueuedWork => ({ kind: 'wake', projectId });

describe.each(queueKinds)('WorkQueue contract: $name', (kind) => {
  const opened: Array<{ close(): Promise<void> }> = [];
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((queue) => queue.close()));
  });

  function open(setup: Partial<QueueSetup> = {}) {
    const deadLetters: Array<{ delivery: Delivery; reason: string }> = [];
    const made = kind.make({ maxDeliveryAttempts: 5, onDeadLetter: (delivery, reason) => deadLetters.push({ delivery, reason }), ...setup });
    opened.push(made);
    return { queue: made.queue, deadLetters };
  }

  /** Starts `queue` with a handler that records every delivery and answers with `decide`. */
  async function recording(queue: WorkQueue, decide: (delivery: Delivery) => Promise<HandlerOutcome> | HandlerOutcome) {
    const deliveries: Delivery[] = [];
    const handler: WorkHandler = async (delivery) => {
      deliveries.push(delivery);
      return decide(delivery);
    };
    await queue.start(handler);
    return deliveries;
  }

  it('delivers what was published, with its message id and attempt 1, and not again once acked', async () => {
    const { queue } = open();
    const deliveries = await recording(queue, () => ({ kind: 'ack' }));
    const work: QueuedWork = { kind: 'flow', request: mention(1244).request };
    const ids = [await queue.publish(work), await queue.publish(wake(6))];
    expect(typeof ids[0]).toBe('string');
    expect(ids[0]).not.toBe(ids[1]);
    await eventually('both deliveries', () => deliveries.length >= 2);
    await sleep(GRACE_MS);
    expect(deliveries).toHaveLength(2);
    const byId = new Map(deliveries.map((delivery) => [delivery.messageId, delivery]));
    expect(byId.get(ids[0] as string)).toEqual({ messageId: ids[0], work, deliveryAttempt: 1 });
    expect(byId.get(ids[1] as string)).toEqual({ messageId: ids[1], work: wake(6), deliveryAttempt: 1 });
  });

  it('redelivers the same message after a retry outcome, with the next attempt number', async () => {
    const { queue, deadLetters } = open();
    const deliveries = await recording(queue, (delivery) => (delivery.deliveryAttempt < 3 ? { kind: 'retry', reason: 'not yet' } : { kind: 'ack' }));
    const id = await queue.publish(wake(1));
    await eventually('three attempts', () => deliveries.length >= 3);
    await sleep(GRACE_MS);
    expect(deliveries.map((delivery) => [delivery.messageId, delivery.deliveryAttempt, delivery.work])).toEqual([
      [id, 1, wake(1)],
      [id, 2, wake(1)],
      [id, 3, wake(1)],
    ]);
    expect(deadLetters).toEqual([]);
  });

  it('redelivers after the handler throws', async () => {
    const { queue } = open();
    const deliveries = await recording(queue, (delivery) => {
      if (delivery.deliveryAttempt === 1) throw new Error('GitLab answered 502');
      return { kind: 'ack' };
    });
    const id = await queue.publish(wake(2));
    await eventually('a redelivery', () => deliveries.length >= 2);
    await sleep(GRACE_MS);
    expect(deliveries.map((delivery) => [delivery.messageId, delivery.deliveryAttempt])).toEqual([
      [id, 1],
      [id, 2],
    ]);
  });

  it('dead-letters a message after its last attempt, with the last reason, and delivers it no more', async () => {
    const { queue, deadLetters } = open({ maxDeliveryAttempts: 5 });
    const deliveries = await recording(queue, (delivery) => {
      if (delivery.deliveryAttempt % 2 === 0) throw new Error(`boom ${delivery.deliveryAttempt}`);
      return { kind: 'retry', reason: `busy ${delivery.deliveryAttempt}` };
    });
    const id = await queue.publish(wake(3));
    await eventually('the dead letter', () => deadLetters.length >= 1, 30_000);
    await sleep(GRACE_MS);
    expect(deliveries.map((delivery) => delivery.deliveryAttempt)).toEqual([1, 2, 3, 4, 5]);
    expect(deadLetters).toEqual([{ delivery: { messageId: id, work: wake(3), deliveryAttempt: 5 }, reason: 'busy 5' }]);
  });

  it('a message handed back (the instance is stopping) is delivered again, however often, and never dead-lettered', async () => {
    const { queue, deadLetters } = open({ maxDeliveryAttempts: 3 });
    const deliveries = await recording(queue, () => (deliveries.length < 5 ? { kind: 'hand-back', reason: 'shutting down' } : { kind: 'ack' }));
    const id = await queue.publish(wake(7));
    await eventually('five deliveries', () => deliveries.length >= 5, 30_000);
    await sleep(GRACE_MS);
    expect(deliveries.map((delivery) => delivery.messageId)).toEqual([id, id, id, id, id]);
    expect(deadLetters).toEqual([]);
  });

  /** Starts `queue` with a handler that holds each delivery until `release()`, publishes `work`, and waits until it is held. */
  async function holdingOne(queue: WorkQueue, work: QueuedWork) {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let finished = false;
    const deliveries = await recording(queue, async () => {
      await gate;
      await sleep(50);
      finished = true;
      return { kind: 'ack' };
    });
    await queue.publish(work);
    await eventually('the held delivery', () => deliveries.length === 1);
    return { deliveries, release, finished: () => finished };
  }

  /** `stopping` is still pending a while later: it waits for the held handler. */
  async function expectStillWaiting(stopping: Promise<void>) {
    let stopped = false;
    void stopping.then(() => (stopped = true));
    await sleep(300);
    expect(stopped).toBe(false);
  }

  it('stop() waits for in-flight handlers, whose acks stick; a restarted queue does not see them again', async () => {
    const { queue } = open();
    const held = await holdingOne(queue, wake(4));
    const stopping = queue.stop();
    await expectStillWaiting(stopping);
    held.release();
    await stopping;
    expect(held.finished()).toBe(true);

    const second = await recording(queue, () => ({ kind: 'ack' }));
    const marker = await queue.publish(wake(5));
    await eventually('the marker after restart', () => second.some((delivery) => delivery.messageId === marker));
    await sleep(GRACE_MS);
    expect(second.map((delivery) => delivery.work)).toEqual([wake(5)]);
    expect(held.deliveries).toHaveLength(1);
  });

  it('stopDeliveries() waits for in-flight handlers and delivers nothing more, while publishing still works', async () => {
    const { queue } = open();
    const held = await holdingOne(queue, wake(8));
    const stopping = queue.stopDeliveries();
    await expectStillWaiting(stopping);
    // A webhook being answered during the shutdown: its publish is confirmed, and it waits for a receiver.
    const late = await queue.publish(wake(9));
    held.release();
    await stopping;
    await sleep(GRACE_MS);
    expect(held.deliveries.map((delivery) => delivery.work)).toEqual([wake(8)]);

    const second = await recording(queue, () => ({ kind: 'ack' }));
    await eventually('the late message after restart', () => second.some((delivery) => delivery.messageId === late));
    expect(second.map((delivery) => delivery.work)).toEqual([wake(9)]);
  });

  it('delivers every message at least once under concurrency, never above the handler limit', async () => {
    const { queue, deadLetters } = open({ maxConcurrentHandlers: 4, maxDeliveryAttempts: 10 });
    const acked = new Set<number>();
    let running = 0;
    let peak = 0;
    await recording(queue, async (delivery) => {
      running += 1;
      peak = Math.max(peak, running);
      try {
        await sleep(10 + Math.floor(Math.random() * 40));
        const n = (delivery.work as { projectId: number }).projectId;
        if (delivery.deliveryAttempt === 1 && n % 3 === 0) return { kind: 'retry', reason: 'busy' };
        if (delivery.deliveryAttempt === 1 && n % 5 === 0) throw new Error('flaky');
        acked.add(n);
        return { kind: 'ack' };
      } finally {
        running -= 1;
      }
    });
    const ids = await Promise.all(Array.from({ length: 30 }, (_, n) => queue.publish(wake(n))));
    expect(new Set(ids).size).toBe(30);
    await eventually('all 30 acknowledged', () => acked.size === 30, 30_000);
    expect(peak).toBeGreaterThan(1);
    expect(peak).toBeLessThanOrEqual(4);
    expect(deadLetters).toEqual([]);
  });
});
