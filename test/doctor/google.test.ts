import { randomUUID } from 'node:crypto';
import { PubSub } from '@google-cloud/pubsub';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { correctWorld, doctor, lineOf, type World } from './world.js';

// The Google checks against the emulators: a push subscription with its OIDC audience and dead-letter
// policy, as infra makes it, then each piece missing or wrong.

const PROJECT_ID = 'doctor-test';
const AUDIENCE = 'https://claude-gitlab-flow-123456789012.europe-west1.run.app/pubsub/push';

let pubsub: PubSub;
let w: World;
let names: { topic: string; deadLetter: string; push: string };

beforeAll(() => {
  pubsub = new PubSub({
    projectId: PROJECT_ID,
    apiEndpoint: inject('pubsubEmulatorHost'),
    emulatorMode: true,
    universeDomain: 'googleapis.com',
  });
});
afterAll(async () => {
  await pubsub.close();
});

beforeEach(async () => {
  w = await correctWorld();
  const id = randomUUID().slice(0, 8);
  names = { topic: `requests-${id}`, deadLetter: `dead-letter-${id}`, push: `push-${id}` };
  const [topic] = await pubsub.createTopic(names.topic);
  const [deadLetter] = await pubsub.createTopic(names.deadLetter);
  await topic.createSubscription(names.push, {
    // Nothing is published: the emulator never calls this endpoint.
    pushConfig: {
      pushEndpoint: 'http://127.0.0.1:9/pubsub/push',
      oidcToken: { serviceAccountEmail: 'push@doctor-test.iam.gserviceaccount.com', audience: AUDIENCE },
    },
    deadLetterPolicy: { deadLetterTopic: deadLetter.name, maxDeliveryAttempts: 10 },
  });
});
afterEach(async () => {
  await w.gitlab.close();
});

function googleEnv(overrides: Record<string, string> = {}): Record<string, string> {
  return {
    ...w.env,
    GOOGLE_CLOUD_PROJECT: PROJECT_ID,
    PUBSUB_EMULATOR_HOST: inject('pubsubEmulatorHost'),
    FIRESTORE_EMULATOR_HOST: inject('firestoreEmulatorHost'),
    PUBSUB_TOPIC: names.topic,
    PUBSUB_DEAD_LETTER_TOPIC: names.deadLetter,
    PUBSUB_PUSH_AUDIENCE: AUDIENCE,
    PUBSUB_PUSH_SERVICE_ACCOUNT: 'push@doctor-test.iam.gserviceaccount.com',
    STORE: 'firestore',
    FIRESTORE_COLLECTION_PREFIX: 'doctor_',
    ...overrides,
  };
}

describe('Google, as configured', () => {
  it('passes when the topic, the push subscription, its dead-letter topic and Firestore are there', async () => {
    const result = await doctor(googleEnv(), w.args);
    expect(result.code, result.text).toBe(0);
    expect(lineOf(result, 'google.topic')).toBe(`✔ google.topic: Pub/Sub topic ${names.topic} exists`);
    expect(lineOf(result, 'google.subscription')).toMatch(
      new RegExp(
        `^✔ google.subscription: push subscription projects/${PROJECT_ID}/subscriptions/${names.push} delivers to`,
      ),
    );
    expect(lineOf(result, 'google.dead-letter')).toBe(
      `✔ google.dead-letter: dead-letter topic projects/${PROJECT_ID}/topics/${names.deadLetter} exists`,
    );
    expect(lineOf(result, 'google.push-audience')).toBe(
      `✔ google.push-audience: the push audience matches PUBSUB_PUSH_AUDIENCE (${AUDIENCE})`,
    );
    expect(lineOf(result, 'google.firestore')).toBe(
      `✔ google.firestore: Firestore database (default) of ${PROJECT_ID} answers`,
    );
  });

  it('the topic missing: ✘ with the deploy as fix', async () => {
    const result = await doctor(googleEnv({ PUBSUB_TOPIC: 'no-such-topic' }), w.args);
    expect(result.code).toBe(1);
    expect(lineOf(result, 'google.topic')).toBe(
      '✘ google.topic: Pub/Sub topic no-such-topic does not exist → fix: deploy the service stack (npm run deploy), ' +
        'which creates it, or set PUBSUB_TOPIC to the topic it made (<service>-requests)',
    );
    expect(lineOf(result, 'google.subscription')).toMatch(/^✘ google.subscription: /);
  });

  it('no push subscription: ✘', async () => {
    await pubsub.subscription(names.push).delete();
    const result = await doctor(googleEnv(), w.args);
    expect(result.code).toBe(1);
    expect(lineOf(result, 'google.subscription')).toBe(
      `✘ google.subscription: no push subscription of ${names.topic} delivers to the service ` +
        '→ fix: deploy the service stack (npm run deploy), which creates it once service.image is set in the infra config (<service>-push)',
    );
  });

  it('a pull subscription that does not exist: ✘', async () => {
    const result = await doctor(googleEnv({ PUBSUB_SUBSCRIPTION: 'no-such-subscription' }), w.args);
    expect(result.code).toBe(1);
    expect(lineOf(result, 'google.subscription')).toBe(
      '✘ google.subscription: pull subscription no-such-subscription does not exist ' +
        `→ fix: create it on ${names.topic}, or unset PUBSUB_SUBSCRIPTION to receive by push`,
    );
  });

  it('the dead-letter topic gone: ✘', async () => {
    await pubsub.topic(names.deadLetter).delete();
    const result = await doctor(googleEnv(), w.args);
    expect(result.code).toBe(1);
    expect(lineOf(result, 'google.dead-letter')).toMatch(
      new RegExp(
        `^✘ google.dead-letter: dead-letter topic projects/${PROJECT_ID}/topics/${names.deadLetter} does not exist`,
      ),
    );
  });

  it('PUBSUB_PUSH_AUDIENCE not what the subscription sends: ✘ with the right value', async () => {
    const result = await doctor(googleEnv({ PUBSUB_PUSH_AUDIENCE: 'https://elsewhere.example/pubsub/push' }), w.args);
    expect(result.code).toBe(1);
    expect(lineOf(result, 'google.push-audience')).toBe(
      `✘ google.push-audience: push subscription projects/${PROJECT_ID}/subscriptions/${names.push} ` +
        `sends the audience ${AUDIENCE}, but PUBSUB_PUSH_AUDIENCE is https://elsewhere.example/pubsub/push: the service refuses every push with 401 ` +
        `→ fix: set PUBSUB_PUSH_AUDIENCE=${AUDIENCE} (infra wires both when it deploys the service)`,
    );
  });
});
