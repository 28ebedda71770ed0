import type { QueuedWork } from '../domain.js';
import type { CoordinationStore } from '../store/types.js';

// What ingest writes to the store before it publishes: the delivery's dedupe keys (so a retried or
// duplicated delivery is queued once) and, for a mention, its place in its thread's debounce window.

export type DeliveryStore = Pick<CoordinationStore, 'acceptMention' | 'rememberOnce' | 'isRemembered' | 'forget'>;

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
  // An event's note is synthetic: its id and digest come from the event's key (project, noteable, event and
  // the object's updated_at), so a second hook for the same change is the same key.
  if (work.kind === 'flow') keys.push(`${work.request.event === 'mention' ? 'note' : 'event'}:${work.request.note.id}:${work.request.note.bodyDigest.slice(0, 22)}`);
  if (work.kind === 'pipeline') keys.push(`pipeline:${work.event.pipelineId}:${work.event.status}`);
  return keys;
}

/**
 * Takes the dedupe keys and records a mention in its thread (setting `work.seq`), in one store transaction:
 * both or neither, so no attempt that dies midway leaves keys that turn its resend away. `duplicate` when a
 * key was taken before.
 */
export async function storeDelivery(store: DeliveryStore, keys: string[], work: QueuedWork, now: number, debounceMs: number): Promise<'stored' | 'duplicate'> {
  if (work.kind !== 'flow') {
    // Nothing of a hook is stored before its publish, so nothing could tell a copy that its first attempt
    // died before publishing: its keys are written after the publish (rememberPublished). A copy that
    // overlaps the first is queued too; releasing a slot by pipeline id twice changes nothing.
    const seen = await Promise.all(keys.map((key) => store.isRemembered(key, now)));
    return seen.some(Boolean) ? 'duplicate' : 'stored';
  }
  const accepted = await store.acceptMention(keys, DEDUPE_TTL_MS, { noteId: work.request.note.id, request: work.request }, now, debounceMs);
  if (accepted.status === 'duplicate') return 'duplicate';
  if (accepted.status === 'pending') work.seq = accepted.seq;
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
