import { PubSub, type Message, type Subscription } from '@google-cloud/pubsub';
import type { QueuedWork } from '../../../service/domain.js';
import { decodeWork } from '../../../service/queue/pubsub/codec.js';

// The test's own view of the Pub/Sub emulator: set up the topic and subscription before the instances
// (as infra does in production), tap every message the instances publish, publish extra copies of some
// (a publish that completed after its deadline, a redelivery), read the dead-letter topic, and freeze
// the emulator (SIGSTOP) to see what ingest does while Pub/Sub does not answer.

export interface Topology {
  projectId: string;
  topic: string;
  subscription: string;
  deadLetterTopic: string;
}

export interface TappedMessage {
  id: string;
  work: QueuedWork;
  attributes: Record<string, string>;
  at: number;
  /** Published by this test (republish), not by an instance. */
  copy: boolean;
}

export interface PubSubSide {
  /** Messages the instances published to the work topic, in arrival order. */
  tapped(): TappedMessage[];
  /** Messages that reached the dead-letter topic. */
  deadLettered(): TappedMessage[];
  /** Publishes a copy of a work item, as a duplicate delivery. */
  republish(message: TappedMessage): Promise<void>;
  close(): Promise<void>;
}

export function emulatorPubSub(host: string, projectId: string): PubSub {
  return new PubSub({ projectId, apiEndpoint: host, emulatorMode: true, universeDomain: 'googleapis.com' });
}

export interface PubSubSetUp {
  onTapped?: (message: TappedMessage, republish: (message: TappedMessage) => Promise<void>) => void;
  /** The worker subscription's retry backoff; `null`: none (a nack is redelivered at once). */
  retry?: { minimumBackoffMs: number; maximumBackoffMs: number } | null;
  ackDeadlineSeconds?: number;
  /** Make the worker subscription a push subscription to this endpoint (the emulator sends no token). */
  pushEndpoint?: string;
}

/**
 * Creates the topics and the worker subscription (with `retry` backoff unless null; the instances find them and
 * create nothing), plus a tap on the work topic and a reader on the dead-letter topic.
 */
export async function setUpPubSub(
  host: string,
  topology: Topology,
  options: PubSubSetUp = {},
): Promise<PubSubSide> {
  const pubsub = emulatorPubSub(host, topology.projectId);
  const [topic] = await pubsub.createTopic(topology.topic);
  const [deadLetterTopic] = await pubsub.createTopic(topology.deadLetterTopic);
  const retry = options.retry === undefined ? { minimumBackoffMs: 1000, maximumBackoffMs: 60_000 } : options.retry;
  await topic.createSubscription(topology.subscription, {
    ackDeadlineSeconds: options.ackDeadlineSeconds ?? 60,
    ...(retry ? { retryPolicy: { minimumBackoff: duration(retry.minimumBackoffMs), maximumBackoff: duration(retry.maximumBackoffMs) } } : {}),
    ...(options.pushEndpoint ? { pushConfig: { pushEndpoint: options.pushEndpoint } } : {}),
  });
  const [tap] = await topic.createSubscription(`${topology.topic}-tap`);
  const [letters] = await deadLetterTopic.createSubscription(`${topology.deadLetterTopic}-reader`);
  const publisher = pubsub.topic(topology.topic, { batching: { maxMilliseconds: 5 } });

  const tapped: TappedMessage[] = [];
  const dead: TappedMessage[] = [];
  const republish = async (message: TappedMessage) => {
    await publisher.publishMessage({ data: Buffer.from(JSON.stringify(message.work)), attributes: { kind: message.work.kind, testCopyOf: message.id } });
  };
  const collect = (subscription: Subscription, into: TappedMessage[], notify?: (message: TappedMessage) => void) => {
    subscription.on('message', (message: Message) => {
      message.ack();
      const work = decodeWork(message.data);
      if (!work) return;
      const entry = { id: message.id, work, attributes: { ...message.attributes }, at: Date.now(), copy: message.attributes.testCopyOf !== undefined };
      into.push(entry);
      notify?.(entry);
    });
    subscription.on('error', () => {
      // The stream reconnects by itself (the emulator may be paused on purpose).
    });
  };
  collect(tap, tapped, options.onTapped && ((message) => options.onTapped?.(message, republish)));
  collect(letters, dead);

  return {
    tapped: () => [...tapped],
    deadLettered: () => [...dead],
    republish,
    async close() {
      await Promise.allSettled([tap.close(), letters.close()]);
      await pubsub.close();
    },
  };
}

/**
 * The process group of whatever listens on `port` (the emulator's JVM under gcloud): what to send
 * SIGSTOP/SIGCONT to. startEmulator() runs each emulator in its own group.
 */
/** Freezes the process group for `ms` (SIGSTOP), then lets it go on (SIGCONT), even if interrupted. */
export async function pauseProcessGroup(pgid: number, ms: number): Promise<void> {
  process.kill(-pgid, 'SIGSTOP');
  try {
    await new Promise((resolve) => setTimeout(resolve, ms));
  } finally {
    process.kill(-pgid, 'SIGCONT');
  }
}

function duration(ms: number): { seconds: number; nanos: number } {
  return { seconds: Math.floor(ms / 1000), nanos: (ms % 1000) * 1e6 };
}
