import type { PubSub } from '@google-cloud/pubsub';

// Creates the topic and subscription on the emulator or a developer's project. Production never calls
// this (infra creates them, with the dead-letter policy; the service account cannot create). The
// subscription gets a retry policy, no message ordering and no dead-letter policy: the queue dead-letters by
// attempt count itself (dispatch.ts), the same on the emulator as in production.

export interface SubscriptionSpec {
  ackDeadlineSeconds: number;
  minBackoffMs: number;
  maxBackoffMs: number;
}

export async function ensureTopic(pubsub: PubSub, name: string): Promise<void> {
  const topic = pubsub.topic(name);
  const [exists] = await topic.exists();
  if (!exists) await ignoreAlreadyExists(topic.create());
}

export async function ensureSubscription(pubsub: PubSub, topicName: string, name: string, spec: SubscriptionSpec): Promise<void> {
  const subscription = pubsub.subscription(name);
  const [exists] = await subscription.exists();
  if (exists) return;
  await ignoreAlreadyExists(
    pubsub.topic(topicName).createSubscription(name, {
      // Not ordered: the worker holds a message through its thread's debounce window and while it waits
      // for a project slot, and an ordered subscription would hold back every later message of the
      // project behind it (no coalescing, no slot release). Order comes from the store (docs/architecture.md).
      enableMessageOrdering: false,
      ackDeadlineSeconds: spec.ackDeadlineSeconds,
      retryPolicy: { minimumBackoff: duration(spec.minBackoffMs), maximumBackoff: duration(spec.maxBackoffMs) },
    }),
  );
}

function duration(ms: number): { seconds: number; nanos: number } {
  return { seconds: Math.floor(ms / 1000), nanos: (ms % 1000) * 1e6 };
}

/** Another instance (or test) may create it at the same moment. */
async function ignoreAlreadyExists(creating: Promise<unknown>): Promise<void> {
  try {
    await creating;
  } catch (error) {
    if ((error as { code?: number }).code !== 6) throw error;
  }
}
