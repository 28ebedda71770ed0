import type { WriteBatch } from '@google-cloud/firestore';
import type { CoordinationStore, PendingMention, RecordMentionResult } from '../types.js';
import { expiresAfter } from './codec.js';
import type { StoreRefs } from './refs.js';

// Ingest's write for a mention on Firestore (CoordinationStore.acceptMention): the dedupe keys first, in one
// batch of creates (all or none; ALREADY_EXISTS if one is there), so a copy of the delivery fails in one
// round trip instead of contending for the thread's document in recordMention's transaction, where each
// contended attempt waits on the other (seconds on the emulator, and bursts were split when it did).

/** How long a copy of a mention waits for the attempt that took its keys to record it. */
const COPY_WAIT_MS = 2000;
const POLL_MS = 100;

type KeyStore = Pick<CoordinationStore, 'rememberOnce' | 'isRemembered' | 'forget' | 'mentionState' | 'recordMention'>;

export interface AcceptAsk {
  keys: string[];
  keysTtlMs: number;
  mention: PendingMention;
  now: number;
  quietMs: number;
}

export async function acceptMentionOn(store: KeyStore, batch: WriteBatch, refs: StoreRefs, ask: AcceptAsk): Promise<RecordMentionResult | { status: 'duplicate' }> {
  const { keys, keysTtlMs, mention, now, quietMs } = ask;
  for (const key of keys) batch.create(refs.seen(key), { key: key.slice(0, 200), expiresAtMs: now + keysTtlMs, expireAt: expiresAfter(now, keysTtlMs) });
  try {
    if (keys.length > 0) await batch.commit();
  } catch (error) {
    if (!isAlreadyExists(error)) throw error;
    if (!(await takeExpiredKeys(store, keys, now, keysTtlMs)) && (await mentionKnownWithin(store, mention, COPY_WAIT_MS))) return { status: 'duplicate' };
    // Taken by an attempt that died before it recorded the mention: carry on (a second message at most,
    // which the worker's claims absorb), or the keys had only expired.
    return store.recordMention(mention, now, quietMs);
  }
  try {
    return await store.recordMention(mention, now, quietMs);
  } catch (error) {
    // Not recorded: the keys must not turn the resend away.
    await Promise.allSettled(keys.map((key) => store.forget(key)));
    throw error;
  }
}

/** True when every key that was there had expired (TTL deletion lags by up to a day) and is now ours. */
async function takeExpiredKeys(store: KeyStore, keys: string[], now: number, ttlMs: number): Promise<boolean> {
  const live = await Promise.all(keys.map((key) => store.isRemembered(key, now)));
  if (live.some(Boolean)) return false;
  return (await Promise.all(keys.map((key) => store.rememberOnce(key, now, ttlMs)))).every(Boolean);
}

/** Whether the mention is in the store, or lands there within `waitMs` (its first attempt still at work). */
async function mentionKnownWithin(store: KeyStore, mention: PendingMention, waitMs: number): Promise<boolean> {
  const giveUpAt = performance.now() + waitMs;
  for (;;) {
    if ((await store.mentionState(mention.noteId, mention.request.threadKey)) !== 'unknown') return true;
    if (performance.now() + POLL_MS > giveUpAt) return false;
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

/** gRPC ALREADY_EXISTS: a created document was there. */
function isAlreadyExists(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === 6;
}
