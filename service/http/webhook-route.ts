import { createHash } from 'node:crypto';
import express, { type Request, type Response, type Router } from 'express';
import type { QueuedWork } from '../domain.js';
import { classifyWebhook, type ClassifyConfig } from '../ingest/classify.js';
import type { Logger } from '../log.js';
import type { CoordinationStore } from '../store/types.js';
import { HttpError } from './http-error.js';
import { readBody } from './read-body.js';
import { requestIdOf, requestLogger } from './request-log.js';
import { createTokenVerifier } from './webhook-token.js';

// POST /webhooks/gitlab. GitLab waits 10 s and disables a hook after 4 failures in a row (and some 4xx
// for good: https://docs.gitlab.com/user/project/integrations/webhooks/#auto-disabled-webhooks), so:
// answer in milliseconds, 2xx for anything we choose not to act on, 503 only when we could not store it.

export interface WebhookRouteDeps {
  webhookSecrets: string[];
  maxBodyBytes: number;
  classifyConfig: () => ClassifyConfig;
  store: Pick<CoordinationStore, 'rememberOnce' | 'forget' | 'recordMention'>;
  /** The debounce window: ingest opens (or extends) the thread's window as it accepts a mention. */
  debounceMs: number;
  publish: (work: QueuedWork, orderingKey: string) => Promise<unknown>;
  logger: Logger;
  googleProjectId: string | null;
  isShuttingDown: () => boolean;
  now?: () => number;
}

/** GitLab retries a delivery for up to about a day; remembering keys for two covers it. */
const DEDUPE_TTL_MS = 48 * 3600_000;

export function webhookRoute(deps: WebhookRouteDeps): Router {
  const router = express.Router();
  const verifyToken = createTokenVerifier(deps.webhookSecrets);
  const now = deps.now ?? Date.now;

  router.post('/webhooks/gitlab', async (req: Request, res: Response) => {
    // The token is checked before the body is read: unauthenticated bytes are never parsed.
    if (!verifyToken(req.get('x-gitlab-token'))) throw new HttpError(401, 'invalid or missing X-Gitlab-Token');
    if (deps.isShuttingDown()) throw new HttpError(503, 'shutting down; GitLab will retry');
    const body = await readBody(req, deps.maxBodyBytes);
    // A child logger per request costs more than the rest of an ignored event: make it when needed.
    let requestLog: Logger | undefined;
    const log = () => (requestLog ??= requestLogger(deps.logger, req, deps.googleProjectId));
    const payload = parseJson(body);
    const deliveryId = requestIdOf(req);
    const classification = classifyWebhook({ eventHeader: req.get('x-gitlab-event'), deliveryId, payload, receivedAt: new Date(now()) }, deps.classifyConfig());
    if (classification.kind === 'invalid') throw new HttpError(400, classification.reason);
    if (classification.kind === 'ignore') {
      if (deps.logger.isLevelEnabled('debug')) log().debug({ reason: classification.reason }, 'webhook ignored');
      reply(res, 200, { status: 'ignored', reason: classification.reason });
      return;
    }
    const work: QueuedWork = classification.kind === 'flow' ? { kind: 'flow', request: classification.request } : { kind: 'pipeline', event: classification.event };
    const keys = dedupeKeys(req, work);
    const fresh = await rememberAll(deps.store, keys, now());
    if (!fresh) {
      log().info({ keys }, 'duplicate delivery');
      reply(res, 200, { status: 'duplicate', reason: 'this delivery was already accepted' });
      return;
    }
    const projectId = work.kind === 'flow' ? work.request.project.id : work.event.projectId;
    try {
      // The mention joins its thread's window now, not when a worker gets the message: a burst stays
      // one run however long its messages spend in the queue. If the publish then fails, the mention
      // waits in the thread (GitLab's retry, or the thread's next mention, takes it along).
      if (work.kind === 'flow') {
        const recorded = await deps.store.recordMention({ noteId: work.request.note.id, request: work.request }, now(), deps.debounceMs);
        if (recorded.status === 'pending') work.seq = recorded.seq;
      }
      await deps.publish(work, String(projectId));
    } catch (error) {
      await Promise.allSettled(keys.map((key) => deps.store.forget(key)));
      log().error({ err: error instanceof Error ? error.message : String(error) }, 'could not queue the delivery');
      throw new HttpError(503, 'could not queue the event; GitLab will retry');
    }
    if (deps.logger.isLevelEnabled('info')) log().info(describeAccepted(work), 'webhook accepted');
    reply(res, 202, { status: 'queued' });
  });
  return router;
}

/** A JSON answer without res.json's negotiation and ETag hashing: GitLab only reads the status. */
function reply(res: Response, status: number, body: Record<string, string>): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function parseJson(body: unknown): unknown {
  const text = Buffer.isBuffer(body) ? body.toString('utf8') : '';
  if (text.trim() === '') throw new HttpError(400, 'empty body: expected a GitLab webhook JSON payload');
  try {
    return JSON.parse(text);
  } catch {
    throw new HttpError(400, 'malformed JSON body');
  }
}

/**
 * The same delivery retried by GitLab keeps its Idempotency-Key; the same note with the same text is the
 * same request whatever the delivery (GitLab's update times have whole seconds, so they cannot tell two
 * quick edits apart; the text can).
 */
function dedupeKeys(req: Request, work: QueuedWork): string[] {
  const keys: string[] = [];
  const idempotencyKey = req.get('idempotency-key');
  if (idempotencyKey) keys.push(`delivery:${idempotencyKey}`);
  if (work.kind === 'flow') keys.push(`note:${work.request.note.id}:${createHash('sha256').update(work.request.note.body).digest('base64url').slice(0, 22)}`);
  if (work.kind === 'pipeline') keys.push(`pipeline:${work.event.pipelineId}:${work.event.status}`);
  return keys;
}

async function rememberAll(store: Pick<CoordinationStore, 'rememberOnce' | 'forget'>, keys: string[], now: number): Promise<boolean> {
  const results = await Promise.all(keys.map((key) => store.rememberOnce(key, now, DEDUPE_TTL_MS)));
  if (results.every(Boolean)) return true;
  // Seen before under one key: undo the keys this attempt newly took, so they keep meaning "accepted".
  await Promise.all(keys.filter((_, index) => results[index]).map((key) => store.forget(key)));
  return false;
}

function describeAccepted(work: QueuedWork): Record<string, unknown> {
  if (work.kind === 'flow') return { kind: 'flow', projectId: work.request.project.id, noteId: work.request.note.id, action: work.request.note.action };
  if (work.kind === 'pipeline') return { kind: 'pipeline', projectId: work.event.projectId, pipelineId: work.event.pipelineId, status: work.event.status };
  return { kind: work.kind };
}
