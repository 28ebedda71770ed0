import express, { type Request, type Response, type Router } from 'express';
import { within, type Bounded } from '../deadline.js';
import type { QueuedWork } from '../domain.js';
import { classifyWebhook, type ClassifyConfig } from '../ingest/classify.js';
import type { Logger } from '../log.js';
import { HttpError } from './http-error.js';
import { readBody } from './read-body.js';
import { requestIdOf, requestLogger } from './request-log.js';
import { dedupeKeys, forgetAll, rememberPublished, storeDelivery, type DeliveryStore } from './store-delivery.js';
import { projectRefusal, type ProjectAccessConfig } from '../project-access.js';
import { createSecretMatcher } from './webhook-secrets.js';

// POST /webhooks/gitlab. GitLab waits 10 s and disables a hook after 4 failures in a row (and some 4xx
// for good: https://docs.gitlab.com/user/project/integrations/webhooks/#auto-disabled-webhooks), so:
// answer in milliseconds, 2xx for anything we choose not to act on, 503 only when we could not store it.

export interface WebhookRouteDeps extends Partial<ProjectAccessConfig> {
  webhookSecrets: string[];
  maxBodyBytes: number;
  classifyConfig: () => ClassifyConfig;
  store: DeliveryStore;
  /** The debounce window: ingest opens (or extends) the thread's window as it accepts a mention. */
  debounceMs: number;
  publish: (work: QueuedWork, orderingKey: string) => Promise<unknown>;
  logger: Logger;
  googleProjectId: string | null;
  isShuttingDown: () => boolean;
  now?: () => number;
  /** Overrides ANSWER_WITHIN_MS (tests). */
  answerWithinMs?: number;
}

/**
 * Ingest answers within this, counted from the request's start, whatever its store calls and the publish
 * do: GitLab gives up at 10 s and does not resend by itself, so a late 202 beats an early 503, and a 503
 * (which a person or a retrying proxy may resend) beats GitLab's timeout. A contended store transaction on
 * the Firestore emulator under load was seen to take several seconds.
 */
const ANSWER_WITHIN_MS = 8500;
/** How long a copy of a mention waits for the attempt that took its keys to record it (store-delivery.ts). */
const MENTION_WAIT_MS = 2000;

export function webhookRoute(deps: WebhookRouteDeps): Router {
  const router = express.Router();
  const access: ProjectAccessConfig = { allowedProjects: deps.allowedProjects ?? [], scopedWebhookSecrets: deps.scopedWebhookSecrets ?? [] };
  const matchSecret = createSecretMatcher(deps.webhookSecrets, access.scopedWebhookSecrets);
  const now = deps.now ?? Date.now;

  const answerWithinMs = deps.answerWithinMs ?? ANSWER_WITHIN_MS;

  router.post('/webhooks/gitlab', async (req: Request, res: Response) => {
    // Real time, not deps.now (which tests may fix): the budget is for GitLab's real 10 s.
    const answerBy = performance.now() + answerWithinMs;
    const timeLeft = () => Math.max(0, answerBy - performance.now());
    // The token is checked before the body is read: unauthenticated bytes are never parsed.
    const secret = matchSecret(req.get('x-gitlab-token'));
    if (!secret) throw new HttpError(401, 'invalid or missing X-Gitlab-Token');
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
    const project =
      classification.kind === 'flow'
        ? { id: classification.request.project.id, path: classification.request.project.path }
        : { id: classification.event.projectId, path: classification.event.projectPath ?? null };
    // From the payload, so only a first filter: the worker checks again with the project GitLab describes.
    const refused = projectRefusal(project, secret, access);
    if (refused) {
      log().info({ projectId: project.id, reason: refused }, 'webhook ignored: project not served');
      reply(res, 200, { status: 'ignored', reason: refused });
      return;
    }
    const work: QueuedWork =
      classification.kind === 'flow'
        ? { kind: 'flow', request: { ...classification.request, webhookSecret: secret } }
        : { kind: 'pipeline', event: classification.event };
    const keys = dedupeKeys(req, work);
    const storing = storeDelivery(deps.store, keys, work, now(), deps.debounceMs, Math.min(MENTION_WAIT_MS, timeLeft() / 3));
    // Too late: the writes go on without us. Once they end, give the keys back so a resend is not taken
    // for a duplicate; a mention recorded meanwhile waits in its thread, and the resend publishes it.
    // (On a failure, storeDelivery has given them back itself.)
    const stored = await inTime(storing, timeLeft(), 'the store', log, {
      late: () => void storing.then((outcome) => (outcome === 'stored' ? forgetAll(deps.store, keys) : undefined)).catch(() => undefined),
    });
    if (stored === 'duplicate') {
      log().info({ keys }, 'duplicate delivery');
      reply(res, 200, { status: 'duplicate', reason: 'this delivery was already accepted' });
      return;
    }
    const projectId = work.kind === 'flow' ? work.request.project.id : work.event.projectId;
    // If the publish fails, a recorded mention waits in its thread: a resend, the thread's next mention
    // or the stalled-work sweep takes it along. One that completes after our 503 is a duplicate message,
    // which the worker's claims absorb.
    const giveBackKeys = () => forgetAll(deps.store, keys);
    await inTime(deps.publish(work, String(projectId)), timeLeft(), 'the queue', log, { failed: giveBackKeys, late: giveBackKeys });
    // A key not written (in time) only lets a later copy of this hook be queued too.
    const remembering = rememberPublished(deps.store, keys, work, now()).catch((error: unknown) => {
      log().warn({ err: error }, 'could not remember the delivery; a resend of it will be queued again');
    });
    await within(remembering, timeLeft());
    if (deps.logger.isLevelEnabled('info')) log().info(describeAccepted(work), 'webhook accepted');
    reply(res, 202, { status: 'queued' });
  });
  return router;
}

/**
 * `promise`'s value, or a 503 (GitLab, or whoever resends, tries again) when it fails or is not done
 * within `ms`; `failed` and `late` undo what must not outlive the 503.
 */
async function inTime<T>(
  promise: Promise<T>,
  ms: number,
  what: string,
  log: () => Logger,
  undo: { failed?: () => Promise<unknown>; late: () => unknown },
): Promise<T> {
  let result: Bounded<T>;
  try {
    result = await within(promise, ms);
  } catch (error) {
    await undo.failed?.();
    log().error({ err: error }, `${what} failed`);
    throw new HttpError(503, `${what} failed; GitLab will retry`);
  }
  if (result.settled) return result.value;
  promise.catch(() => undefined);
  await undo.late();
  log().warn({ waitedMs: Math.round(ms) }, `${what} did not answer in time`);
  throw new HttpError(503, `${what} did not answer in time; GitLab will retry`);
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

function describeAccepted(work: QueuedWork): Record<string, unknown> {
  if (work.kind === 'flow') return { kind: 'flow', projectId: work.request.project.id, noteId: work.request.note.id, action: work.request.note.action };
  if (work.kind === 'pipeline') return { kind: 'pipeline', projectId: work.event.projectId, pipelineId: work.event.pipelineId, status: work.event.status };
  return { kind: work.kind };
}
