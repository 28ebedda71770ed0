import type { Firestore } from '@google-cloud/firestore';
import type { PubSub, Subscription } from '@google-cloud/pubsub';
import type { google } from '@google-cloud/pubsub/build/protos/protos.js';
import { within } from '../deadline.js';
import type { GoogleFacts, GoogleSettings, Probe, SubscriptionFacts } from './google-facts.js';

// Reads Pub/Sub and Firestore with the service's own clients (and so its credentials, or the emulators).
// Every call is bounded: a client still looking for credentials must not hang doctor.

const PROBE_MS = 15_000;
const NOT_FOUND = 5;

async function probe<T>(run: () => Promise<T>): Promise<Probe<T>> {
  try {
    const result = await within(run(), PROBE_MS);
    return result.settled
      ? { ok: true, value: result.value }
      : { ok: false, error: `no answer within ${PROBE_MS / 1000} s` };
  } catch (error) {
    const err = error as { code?: number; details?: string; message?: string };
    return { ok: false, error: err.details || err.message || String(error) };
  }
}

function describe(subscription: Subscription, metadata: google.pubsub.v1.ISubscription): SubscriptionFacts {
  return {
    name: subscription.name,
    deadLetterTopic: metadata.deadLetterPolicy?.deadLetterTopic || null,
    pushEndpoint: metadata.pushConfig?.pushEndpoint || null,
    audience: metadata.pushConfig?.oidcToken?.audience || null,
  };
}

async function findSubscription(pubsub: PubSub, settings: GoogleSettings): Promise<SubscriptionFacts | null> {
  if (settings.pullSubscription) {
    const subscription = pubsub.subscription(settings.pullSubscription);
    try {
      return describe(subscription, (await subscription.getMetadata())[0]);
    } catch (error) {
      if ((error as { code?: number }).code === NOT_FOUND) return null;
      throw error;
    }
  }
  // Push mode: infra names the subscription; doctor finds it as the topic's one with a push endpoint.
  const [subscriptions] = await pubsub.topic(settings.topic).getSubscriptions();
  for (const subscription of subscriptions) {
    const facts = describe(subscription, (await subscription.getMetadata())[0]);
    if (facts.pushEndpoint) return facts;
  }
  return null;
}

export async function gatherPubSub(pubsub: PubSub, settings: GoogleSettings): Promise<GoogleFacts> {
  const exists = (name: string) => probe(async () => (await pubsub.topic(name).exists())[0]);
  const [topic, configuredDeadLetter, subscription] = await Promise.all([
    exists(settings.topic),
    settings.deadLetterTopic ? exists(settings.deadLetterTopic) : Promise.resolve(null),
    probe(() => findSubscription(pubsub, settings)),
  ]);
  const named = subscription.ok ? subscription.value?.deadLetterTopic : null;
  const subscriptionDeadLetter = named ? await exists(named) : null;
  return { topic, configuredDeadLetter, subscription, subscriptionDeadLetter };
}

/** One read of a document that need not exist (in the store's own prefix): the database answers, and we may read it. */
export function probeFirestore(firestore: Firestore, collectionPrefix: string): Promise<Probe<true>> {
  return probe(async () => {
    await firestore.collection(`${collectionPrefix}doctor`).doc('probe').get();
    return true as const;
  });
}
