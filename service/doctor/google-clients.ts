import type { Firestore } from '@google-cloud/firestore';
import type { PubSub } from '@google-cloud/pubsub';
import type { Config } from '../config.js';
import type { GoogleSettings } from './google-facts.js';

// The Google clients doctor reads with, built as the service builds its own (emulators included), and
// loaded only when the configuration names Google at all.

export function googleSettings(config: Config): GoogleSettings | null {
  const { google } = config;
  if (!google.pubsubTopic || !google.projectId) return null;
  return {
    projectId: google.projectId,
    topic: google.pubsubTopic,
    pullSubscription: google.pubsubSubscription,
    deadLetterTopic: google.pubsubDeadLetterTopic,
    pushAudience: google.pushAudience,
    pushAuthDisabled: google.pushAuthDisabled,
  };
}

export async function createPubSub(config: Config): Promise<PubSub> {
  const { PubSub } = await import('@google-cloud/pubsub');
  const host = config.google.pubsubEmulatorHost;
  return new PubSub({
    projectId: config.google.projectId ?? undefined,
    ...(host ? { apiEndpoint: host, emulatorMode: true, universeDomain: 'googleapis.com' } : {}),
  });
}

export async function createFirestore(config: Config): Promise<Firestore> {
  const { Firestore } = await import('@google-cloud/firestore');
  const host = config.google.firestoreEmulatorHost;
  return new Firestore({
    projectId: config.google.projectId ?? undefined,
    databaseId: config.google.firestoreDatabase,
    ...(host ? { host, ssl: false, universeDomain: 'googleapis.com' } : {}),
  });
}
