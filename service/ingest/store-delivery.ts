import type { QueuedWork } from '../domain.js';
import type { CoordinationStore } from '../store/types.js';

// What ingest writes to the store before it publishes: the delivery's dedupe keys (so a retried or
// duplicated delivery is queued once) and, for a mention, its place in its thread's debounce window.

export type DeliveryStore = Pick<CoordinationStore, 'rememberOnce' | 'isRemembered' | 'forget' | 'recordMention' | 'mentionState'>;

/** GitLab retries a delivery for up to about a day; remembering keys for two covers it. */
const DEDUPE_TTL_MS = 48 * 3600_000;

/**
 * The same delivery retried by GitLab keeps its Idempotency-Key; the same note with the same text is the
 * same request whatever the delivery (GitLab's update times have whole seconds, so they cannot tell two
 * quick edits apart; the text can).
 */
export function dedupeKeys(idempotencyKey: string | undefined, work: QueuedWork): string[] {
  const keys: string[] = [];
  if (idempotencyKey) keys.push(`delivery:${idempotencyKey}`);
  if (work.kind === 'flow') keys.push(`note:${work.request.note.id}:${work.request.note.bodyDigest.slice(0, 22)}`);
  if (work.kind === 'pipeline') keys.push(`pipeline:${work.event.pipelineId}:${work.event.status}`);
  return keys;
}

/**
 * Takes the dedupe keys and records a mention in its thread (setting `work.seq`). `duplicate` when a key
 * was taken before. On failure no key stays taken, so a resend is not mistaken for a duplicate.
 *
 * A mention whose keys were taken but which is still nowhere in the store after `waitMs` is carried on
 * here: the attempt that took them most likely died before recording it, and answering "duplicate" would
 * acknowledge a comment that never runs (the fault test lost one that way). Waiting first keeps copies that
 * arrive while the first attempt is still at work off the thread's transaction; carrying on costs at most
 * a second message, which the worker's claims absorb.
 */
export async function storeDelivery(store: DeliveryStore, keys: string[], work: QueuedWork, now: number, debounceMs: number, waitMs: number): Promise<'stored' | 'duplicate'> {
  if (work.kind !== 'flow') {
    // Nothing of a hook is stored before its publish, so nothing could tell a copy that its first attempt
    // died before publishing: its keys are written after the publish (rememberPublished). A copy that
    // overlaps the first is queued too; releasing a slot by pipeline id twice changes nothing.
    const seen = await Promise.all(keys.map((key) => store.isRemembered(key, now)));
    return seen.some(Boolean) ? 'duplicate' : 'stored';
  }
  if (!(await rememberAll(store, keys, now))) {
    if (await mentionKnownWithin(store, work, waitMs)) return 'duplicate';
  }
  try {
    const recorded = await store.recordMention({ noteId: work.request.note.id, request: work.request }, now, debounceMs);
    if (recorded.status === 'pending') work.seq = recorded.seq;
  } catch (error) {
    await forgetAll(store, keys);
    throw error;
  }
  return 'stored';
}

/** After the publish: the keys of work that storeDelivery did not take them for (a hook). */
export async function rememberPublished(store: DeliveryStore, keys: string[], work: QueuedWork, now: number): Promise<void> {
  if (work.kind === 'flow') return;
  await Promise.all(keys.map((key) => store.rememberOnce(key, now, DEDUPE_TTL_MS)));
}

/** Gives the keys back, so they keep meaning "accepted" (a store error leaves a key to its TTL). */
export async function forgetAll(store: DeliveryStore, keys: string[]): Promise<void> {
  await Promise.allSettled(keys.map((key) => store.forget(key)));
}

const POLL_MS = 100;

async function mentionKnownWithin(store: DeliveryStore, work: Extract<QueuedWork, { kind: 'flow' }>, waitMs: number): Promise<boolean> {
  const giveUpAt = performance.now() + waitMs;
  for (;;) {
    if ((await store.mentionState(work.request.note.id, work.request.threadKey)) !== 'unknown') return true;
    if (performance.now() + POLL_MS > giveUpAt) return false;
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

async function rememberAll(store: DeliveryStore, keys: string[], now: number): Promise<boolean> {
  const results = await Promise.allSettled(keys.map((key) => store.rememberOnce(key, now, DEDUPE_TTL_MS)));
  const taken = keys.filter((_, index) => {
    const result = results[index];
    return result?.status === 'fulfilled' && result.value;
  });
  if (taken.length === keys.length) return true;
  // Seen before under one key, or a key could not be written: undo the keys this attempt newly took.
  await forgetAll(store, taken);
  const failure = results.find((result) => result.status === 'rejected');
  if (failure) throw failure.reason;
  return false;
}
