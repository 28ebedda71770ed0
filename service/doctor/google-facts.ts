// What doctor learns of Google Cloud: each probe succeeded with a value or failed with the client's
// words. Pure data, like facts.ts, so the Google checks are testable without Google.

export type Probe<T> = { ok: true; value: T } | { ok: false; error: string };

export interface SubscriptionFacts {
  /** Full path, projects/<p>/subscriptions/<name>. */
  name: string;
  /** The subscription's dead-letter policy's topic (full path), if it has one. */
  deadLetterTopic: string | null;
  pushEndpoint: string | null;
  /** The audience of the OIDC token Pub/Sub sends with each push. */
  audience: string | null;
}

export interface GoogleSettings {
  projectId: string;
  topic: string;
  /** PUBSUB_SUBSCRIPTION: pull mode. Without it the service receives by push. */
  pullSubscription: string | null;
  deadLetterTopic: string | null;
  pushAudience: string | null;
  pushAuthDisabled: boolean;
}

export interface GoogleFacts {
  topic: Probe<boolean>;
  /** PUBSUB_DEAD_LETTER_TOPIC exists; null when unset. */
  configuredDeadLetter: Probe<boolean> | null;
  /** The pull subscription, or the topic's push subscription; a null value when there is none. */
  subscription: Probe<SubscriptionFacts | null>;
  /** The subscription's dead-letter topic exists; null when it names none. */
  subscriptionDeadLetter: Probe<boolean> | null;
}
