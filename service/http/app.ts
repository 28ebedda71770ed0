import express, { type Express, type NextFunction, type Request, type Response } from 'express';
import type { Logger } from '../log.js';
import { HttpError } from './http-error.js';
import { webhookRoute, type WebhookRouteDeps } from './webhook-route.js';

// Builds the express app; never listens (cli.ts does), so tests and benchmarks mount it on any port.

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
  // The one place errors become responses.
  app.use((error: unknown, req: Request, res: Response, _next: NextFunction) => {
    const status = statusOf(error);
    const message = status === 500 ? 'internal error' : (error as Error).message;
    if (status >= 500) deps.logger.error({ err: error, path: req.path, status }, 'request failed');
    else deps.logger.info({ path: req.path, status, reason: message }, 'request refused');
    res.status(status).json({ error: message });
  });
  return app;
}

function statusOf(error: unknown): number {
  if (error instanceof HttpError) return error.status;
  // body-parser's errors carry their status (413 too large, 400 bad encoding).
  const status = (error as { status?: unknown; type?: unknown })?.status;
  if (typeof status === 'number' && status >= 400 && status < 600) return status;
  return 500;
}
