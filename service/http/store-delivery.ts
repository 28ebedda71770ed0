import { createHash } from 'node:crypto';
import type { Request } from 'express';
import type { QueuedWork } from '../domain.js';
import type { CoordinationStore } from '../store/types.js';

// What ingest asks and writes around the publish: whether an earlier delivery of the same thing was
// already queued (dedupe keys), and, for a mention, its place in its thread's debounce window.

export type DeliveryStore = Pick<CoordinationStore, 'isRemembered' | 'rememberOnce' | 'recordMention'>;

/** GitLab retries a delivery for up to about a day; remembering keys for two covers it. */
const DEDUPE_TTL_MS = 48 * 3600_000;

/**
 * The same delivery retried by GitLab keeps its Idempotency-Key; the same note with the same text is the
 * same request whatever the delivery (GitLab's update times have whole seconds, so they cannot tell two
 * quick edits apart; the text can).
 */
export function dedupeKeys(req: Request, work: QueuedWork): string[] {
  const keys: string[] = [];
  const idempotencyKey = req.get('idempotency-key');
  if (idempotencyKey) keys.push(`delivery:${idempotencyKey}`);
  if (work.kind === 'flow') keys.push(`note:${work.request.note.id}:${createHash('sha256').update(work.request.note.body).digest('base64url').slice(0, 22)}`);
  if (work.kind === 'pipeline') keys.push(`pipeline:${work.event.pipelineId}:${work.event.status}`);
  return keys;
}

/**
 * Before the publish: `duplicate` if a key says an earlier delivery was queued; otherwise records a
 * mention in its thread (setting `work.seq`). Writes no key: see rememberDelivery.
 */
export async function storeDelivery(store: DeliveryStore, keys: string[], work: QueuedWork, now: number, debounceMs: number): Promise<'stored' | 'duplicate'> {
  const seen = await Promise.all(keys.map((key) => store.isRemembered(key, now)));
  if (seen.some(Boolean)) return 'duplicate';
  // The mention joins its thread's window now, not when a worker gets the message: a burst stays one
  // run however long its messages spend in the queue. Recording is idempotent per note.
  if (work.kind === 'flow') {
    const recorded = await store.recordMention({ noteId: work.request.note.id, request: work.request }, now, debounceMs);
    if (recorded.status === 'pending') work.seq = recorded.seq;
  }
  return 'stored';
}

/**
 * After the publish: a key means "queued". Written any earlier, a key left by a failed publish, a missed
 * deadline or an instance that died before publishing would turn GitLab's retry away as a duplicate,
 * and the comment would be acknowledged but never run (the fault test lost one that way). Two deliveries
 * that overlap may both be queued; the worker's claims make the second one a no-op.
 */
export async function rememberDelivery(store: DeliveryStore, keys: string[], now: number): Promise<void> {
  await Promise.all(keys.map((key) => store.rememberOnce(key, now, DEDUPE_TTL_MS)));
}
