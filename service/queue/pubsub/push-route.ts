import express, { type Router } from 'express';
import type { Config } from '../../config.js';
import { HttpError } from '../../http/http-error.js';
import type { Logger } from '../../log.js';
import type { PubSubQueue } from './pubsub-queue.js';
import { createPushVerifier } from './verify-push.js';

// POST /pubsub/push: Pub/Sub's push deliveries, for an instance without a pull subscription.

/** Push requests are small envelopes; the payload inside was already bounded at ingest. */
const PUSH_BODY_LIMIT = '12mb';

export function pushRoute(config: Config, logger: Logger, queue: PubSubQueue): Router {
  const { google } = config;
  if (google.pushAuthDisabled) {
    logger.warn(
      'PUBSUB_PUSH_AUTH_DISABLED=true: /pubsub/push accepts requests WITHOUT a Google OIDC token. Emulator only; never in production.'
    );
  }
  const verify = createPushVerifier({
    audience: google.pushAudience ?? '',
    serviceAccountEmail: google.pushServiceAccount ?? '',
    allowUnauthenticated: google.pushAuthDisabled,
  });
  const router = express.Router();
  router.post(
    '/pubsub/push',
    async (req, _res, next) => {
      // Authenticate before reading the body: an unverified request never reaches the worker.
      const auth = await verify(req.get('authorization'));
      if (auth.ok) return next();
      logger.warn({ status: auth.status, reason: auth.reason }, 'push request refused');
      // The reason stays in the log: the answer does not tell a caller which check it failed.
      throw new HttpError(auth.status, auth.status === 401 ? 'unauthenticated' : 'forbidden');
    },
    express.json({ limit: PUSH_BODY_LIMIT }),
    async (req, res) => {
      // Not an error but Pub/Sub's protocol: the status is the ack (204) or the nack (anything else).
      const answer = await queue.handlePush(req.body);
      res.status(answer.status).send(answer.body);
    }
  );
  return router;
}
