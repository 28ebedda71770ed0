import express, { type Response, type Router } from 'express';
import { createIngest, type IngestDeps } from '../ingest/ingest.js';
import type { IngestOutcome } from '../ingest/outcome.js';
import type { Logger } from '../log.js';
import { HttpError } from './http-error.js';
import { readBody } from './read-body.js';
import { requestIdOf, requestLogger } from './request-log.js';

// POST /webhooks/gitlab: ingest decides (service/ingest/ingest.ts), this answers. 2xx for anything we
// choose not to act on, since GitLab disables a hook that keeps failing; 503 only when we could not store
// or queue it (ingest/answer-budget.ts says why, with the link).

export interface WebhookRouteDeps extends IngestDeps {
  maxBodyBytes: number;
  googleProjectId: string | null;
}

/** The refusals, as errors that carry their status: the app's error handler answers them. */
const REFUSAL_STATUS = { unauthenticated: 401, invalid: 400, unavailable: 503 } as const;

export function webhookRoute(deps: WebhookRouteDeps): Router {
  const ingest = createIngest(deps);
  const router = express.Router();
  router.post('/webhooks/gitlab', async (req, res) => {
    let requestLog: Logger | undefined;
    const outcome = await ingest({
      token: req.get('x-gitlab-token'),
      eventHeader: req.get('x-gitlab-event'),
      deliveryId: requestIdOf(req),
      idempotencyKey: req.get('idempotency-key'),
      readBody: () => readBody(req, deps.maxBodyBytes),
      // A child logger per request costs more than the rest of an ignored event: made when needed.
      log: () => (requestLog ??= requestLogger(deps.logger, req, deps.googleProjectId)),
    });
    answer(res, outcome);
  });
  return router;
}

function answer(res: Response, outcome: IngestOutcome): void {
  switch (outcome.kind) {
    case 'accepted':
      return reply(res, 202, { status: 'queued' });
    case 'duplicate':
      return reply(res, 200, { status: 'duplicate', reason: 'this delivery was already accepted' });
    case 'ignored':
      return reply(res, 200, { status: 'ignored', reason: outcome.reason });
    default:
      throw new HttpError(REFUSAL_STATUS[outcome.kind], outcome.reason);
  }
}

/** A JSON answer without res.json's negotiation and ETag hashing: GitLab only reads the status. */
function reply(res: Response, status: number, body: Record<string, string>): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}
