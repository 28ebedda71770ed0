import express, { type Router } from 'express';
import type { Backends } from './backends.js';
import type { Config } from './config.js';
import type { Logger } from './log.js';
import { createPushVerifier } from './pubsub-push/verify.js';
import { PubSubQueue } from './queue/pubsub-queue.js';
import { FirestoreStore } from './store/firestore-store.js';
import type { CoordinationStore } from './store/types.js';

// Pub/Sub and Firestore, loaded only when configured (PUBSUB_TOPIC, STORE=firestore).

/** Push requests are small envelopes; the payload inside was already bounded at ingest. */
const PUSH_BODY_LIMIT = '12mb';

export async function createFirestoreStore(config: Config): Promise<CoordinationStore & { close(): Promise<void> }> {
  return new FirestoreStore({
    projectId: config.google.projectId ?? undefined,
    databaseId: config.google.firestoreDatabase,
    emulatorHost: config.google.firestoreEmulatorHost,
    collectionPrefix: config.google.firestoreCollectionPrefix,
  });
}

export async function createPubSubBackends(config: Config, logger: Logger, store: CoordinationStore): Promise<Backends> {
  const { google } = config;
  const emulator = Boolean(google.pubsubEmulatorHost);
  const queue = new PubSubQueue({
    projectId: google.projectId as string,
    topic: google.pubsubTopic as string,
    subscription: google.pubsubSubscription,
    deadLetterTopic: google.pubsubDeadLetterTopic,
    emulatorHost: google.pubsubEmulatorHost,
    // In production infra owns topics and subscriptions; against the emulator we make our own.
    createIfMissing: emulator,
    maxDeliveryAttempts: config.maxDeliveryAttempts,
    logger,
  });
  // Pull (PUBSUB_SUBSCRIPTION) needs no route; push arrives at POST /pubsub/push.
  const routes = (): Router[] => (google.pubsubSubscription ? [] : [pushRoute(config, logger, queue)]);
  return {
    queue,
    store,
    routes,
    async close() {
      await queue.close();
      await (store as Partial<{ close(): Promise<void> }>).close?.();
    },
  };
}

function pushRoute(config: Config, logger: Logger, queue: PubSubQueue): Router {
  const { google } = config;
  if (google.pushAuthDisabled) {
    logger.warn('PUBSUB_PUSH_AUTH_DISABLED=true: /pubsub/push accepts requests WITHOUT a Google OIDC token. Emulator only; never in production.');
  }
  const verify = createPushVerifier({
    audience: google.pushAudience ?? '',
    serviceAccountEmail: google.pushServiceAccount ?? '',
    allowUnauthenticated: google.pushAuthDisabled,
  });
  const router = express.Router();
  router.post('/pubsub/push', async (req, res, next) => {
    // Authenticate before reading the body: an unverified request never reaches the worker.
    const auth = await verify(req.get('authorization'));
    if (!auth.ok) {
      logger.warn({ status: auth.status, reason: auth.reason }, 'push request refused');
      res.status(auth.status).json({ error: auth.status === 401 ? 'unauthenticated' : 'forbidden' });
      return;
    }
    next();
  }, express.json({ limit: PUSH_BODY_LIMIT }), async (req, res) => {
    const answer = await queue.handlePush(req.body);
    res.status(answer.status).send(answer.body);
  });
  return router;
}
