import express, { type Express } from 'express';
import type { Logger } from '../log.js';
import { errorHandler } from './error-handler.js';
import { webhookRoute, type WebhookRouteDeps } from './webhook-route.js';

// Builds the express app; never listens (serve.ts does), so tests and benchmarks mount it on any port.

export interface AppDeps extends WebhookRouteDeps {
  logger: Logger;
  /** Extra routes (the Pub/Sub push endpoint when this instance receives by push). */
  extraRoutes?: express.Router[];
}

export function buildApp(deps: AppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  // Webhook and push answers are never cached: no ETag hashing per response.
  app.set('etag', false);
  app.set('trust proxy', true);

  app.get('/healthz', (_req, res) => {
    if (deps.isShuttingDown()) res.status(503).json({ status: 'shutting down' });
    else res.status(200).json({ status: 'ok' });
  });
  app.use(webhookRoute(deps));
  for (const router of deps.extraRoutes ?? []) app.use(router);

  app.use((_req, res) => {
    res.status(404).json({ error: 'not found' });
  });
  app.use(errorHandler(deps.logger));
  return app;
}
