import type { GoogleFacts, GoogleSettings, Probe } from '../google-facts.js';
import { fail, pass, warn, type CheckResult } from '../result.js';

// Pub/Sub and Firestore as the service uses them: the topic, the subscription and its dead letters, the
// push audience, the store.

const DEPLOY = 'deploy the service stack (npm run deploy), which creates it';

function exists(id: string, what: string, name: string, probe: Probe<boolean>, fix: string): CheckResult {
  if (!probe.ok)
    return fail(
      id,
      `cannot read ${what} ${name}: ${probe.error}`,
      'check GOOGLE_CLOUD_PROJECT and that your credentials may view Pub/Sub (roles/pubsub.viewer)',
    );
  return probe.value ? pass(id, `${what} ${name} exists`) : fail(id, `${what} ${name} does not exist`, fix);
}

export function checkTopic(facts: GoogleFacts, settings: GoogleSettings): CheckResult {
  return exists(
    'google.topic',
    'Pub/Sub topic',
    settings.topic,
    facts.topic,
    `${DEPLOY}, or set PUBSUB_TOPIC to the topic it made (<service>-requests)`,
  );
}

export function checkSubscription(facts: GoogleFacts, settings: GoogleSettings): CheckResult {
  const id = 'google.subscription';
  const { subscription } = facts;
  if (!subscription.ok)
    return fail(
      id,
      `cannot read the subscriptions of ${settings.topic}: ${subscription.error}`,
      'check your credentials may view Pub/Sub (roles/pubsub.viewer)',
    );
  if (settings.pullSubscription) {
    return subscription.value
      ? pass(id, `pull subscription ${settings.pullSubscription} exists`)
      : fail(
          id,
          `pull subscription ${settings.pullSubscription} does not exist`,
          `create it on ${settings.topic}, or unset PUBSUB_SUBSCRIPTION to receive by push`,
        );
  }
  if (!subscription.value) {
    return fail(
      id,
      `no push subscription of ${settings.topic} delivers to the service`,
      `${DEPLOY} once service.image is set in the infra config (<service>-push)`,
    );
  }
  return pass(id, `push subscription ${subscription.value.name} delivers to ${subscription.value.pushEndpoint}`);
}

export function checkDeadLetter(facts: GoogleFacts, settings: GoogleSettings): CheckResult {
  const id = 'google.dead-letter';
  const named = facts.subscription.ok ? facts.subscription.value?.deadLetterTopic : null;
  if (named && facts.subscriptionDeadLetter) {
    return exists(id, 'dead-letter topic', named, facts.subscriptionDeadLetter, `${DEPLOY} (<service>-dead-letter)`);
  }
  if (settings.deadLetterTopic && facts.configuredDeadLetter) {
    return exists(
      id,
      'dead-letter topic',
      settings.deadLetterTopic,
      facts.configuredDeadLetter,
      `${DEPLOY}, or correct PUBSUB_DEAD_LETTER_TOPIC`,
    );
  }
  return warn(
    id,
    'no dead-letter topic: a message that fails every attempt is only logged, then dropped',
    'set PUBSUB_DEAD_LETTER_TOPIC to a topic with a subscription (infra makes <service>-dead-letter)',
  );
}

export function checkPushAudience(facts: GoogleFacts, settings: GoogleSettings): CheckResult | null {
  const id = 'google.push-audience';
  const subscription = facts.subscription.ok ? facts.subscription.value : null;
  if (settings.pullSubscription || !subscription || settings.pushAuthDisabled) return null;
  if (!subscription.audience) {
    return fail(
      id,
      `push subscription ${subscription.name} sends no OIDC token: the service refuses every push`,
      `${DEPLOY} (it sets the push authentication)`,
    );
  }
  if (subscription.audience !== settings.pushAudience) {
    return fail(
      id,
      `push subscription ${subscription.name} sends the audience ${subscription.audience}, ` +
        `but PUBSUB_PUSH_AUDIENCE is ${settings.pushAudience ?? 'unset'}: the service refuses every push with 401`,
      `set PUBSUB_PUSH_AUDIENCE=${subscription.audience} (infra wires both when it deploys the service)`,
    );
  }
  return pass(id, `the push audience matches PUBSUB_PUSH_AUDIENCE (${subscription.audience})`);
}

export function checkFirestore(probe: Probe<true>, where: { projectId: string; database: string }): CheckResult {
  const id = 'google.firestore';
  const { projectId, database } = where;
  if (probe.ok) return pass(id, `Firestore database ${database} of ${projectId} answers`);
  return fail(
    id,
    `Firestore database ${database} of ${projectId} does not answer: ${probe.error}`,
    'check GOOGLE_CLOUD_PROJECT and FIRESTORE_DATABASE, and that your credentials may use it (roles/datastore.user)',
  );
}

export function checkPubSub(facts: GoogleFacts, settings: GoogleSettings): CheckResult[] {
  const results = [checkTopic(facts, settings), checkSubscription(facts, settings), checkDeadLetter(facts, settings)];
  const audience = checkPushAudience(facts, settings);
  return audience ? [...results, audience] : results;
}
