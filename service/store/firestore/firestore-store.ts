import { Firestore, type Transaction } from '@google-cloud/firestore';
import { decodeMention, decodeRun, encodeRun, expiresAfter, type RunDoc, type SlotsDoc, type ThreadDoc } from './codec.js';
import { StoreRefs } from './refs.js';
import { acceptMentionOn } from './accept-mention.js';
import { claimThreadIn, recordMentionIn } from './threads.js';
import { lockResult } from '../memory-store.js';
import * as views from './status-views.js';
import { guardedUpdateApplies, UNFINISHED_RUN_STATES } from '../run-states.js';
import * as slots from '../slots.js';
import type {
  ClaimThreadResult,
  CoordinationStore,
  Incident,
  PauseState,
  ProjectSlotsView,
  PendingMention,
  RecordMentionResult,
  RunRecord,
  RunState,
  SlotResult,
  StalledWork,
  TriggerLockResult,
} from '../types.js';
import { ABANDONED_LOCK_AT } from '../types.js';

// The coordination store on Firestore: the memory store's semantics across instances. Every method that
// decides something reads and writes in one transaction (or relies on create()'s precondition), so two
// instances handling redeliveries of the same note cannot both win. Documents stay small: one per
// thread (its pending mentions), per claimed note (→ run), per run, per trigger lock, per project (its
// leases and waiting line), per remembered delivery. Collections and TTL fields: docs/pubsub-firestore.md.

export interface FirestoreStoreOptions {
  /** GOOGLE_CLOUD_PROJECT; on the emulator any id works. */
  projectId?: string;
  /** FIRESTORE_DATABASE; default `(default)`. */
  databaseId?: string;
  /** FIRESTORE_EMULATOR_HOST (host:port). The client also honours the variable itself when set. */
  emulatorHost?: string | null;
  /** Prepended to every collection name, so deployments and test runs sharing a database do not collide. */
  collectionPrefix?: string;
  /** How long threads, note claims, runs and locks are kept (their `expireAt`); longer than Pub/Sub's message retention. */
  retentionMs?: number;
  /** Attempts per transaction under contention (the client's default is 5). */
  maxTransactionAttempts?: number;
  /** Use this client instead of creating one (it is then not closed by close()). */
  firestore?: Firestore;
}

export const DEFAULT_COLLECTION_PREFIX = 'cgf_';
const DEFAULT_RETENTION_MS = 30 * 24 * 60 * 60 * 1000;

export class FirestoreStore implements CoordinationStore {
  readonly db: Firestore;
  private readonly ownsClient: boolean;
  private readonly refs: StoreRefs;
  private readonly retentionMs: number;
  private readonly maxAttempts: number;

  constructor(options: FirestoreStoreOptions = {}) {
    this.ownsClient = !options.firestore;
    this.db =
      options.firestore ??
      new Firestore({
        projectId: options.projectId,
        databaseId: options.databaseId ?? '(default)',
        // No credentials on the emulator; naming the universe stops a metadata-server probe (and its warning).
        ...(options.emulatorHost ? { host: options.emulatorHost, ssl: false, universeDomain: 'googleapis.com' } : {}),
      });
    this.refs = new StoreRefs(this.db, options.collectionPrefix ?? DEFAULT_COLLECTION_PREFIX);
    this.retentionMs = options.retentionMs ?? DEFAULT_RETENTION_MS;
    this.maxAttempts = options.maxTransactionAttempts ?? 10;
  }

  async close(): Promise<void> {
    if (this.ownsClient) await this.db.terminate();
  }

  async rememberOnce(key: string, now: number, ttlMs: number): Promise<boolean> {
    const ref = this.refs.seen(key);
    const doc = { key: key.slice(0, 200), expiresAtMs: now + ttlMs, expireAt: expiresAfter(now, ttlMs) };
    try {
      // The common case (a new delivery) costs one write; only a repeat needs the transaction below.
      await ref.create(doc);
      return true;
    } catch (error) {
      if (!isAlreadyExists(error)) throw error;
    }
    // Seen before, but maybe long ago: TTL deletion lags by up to a day, so check the time ourselves.
    return this.transaction(async (tx) => {
      const snap = await tx.get(ref);
      if (snap.exists && (snap.get('expiresAtMs') as number) > now) return false;
      tx.set(ref, doc);
      return true;
    });
  }

  async forget(key: string): Promise<void> {
    await this.refs.seen(key).delete();
  }

  async isRemembered(key: string, now: number): Promise<boolean> {
    const snap = await this.refs.seen(key).get();
    return snap.exists && (snap.get('expiresAtMs') as number) > now;
  }

  acceptMention(keys: string[], keysTtlMs: number, mention: PendingMention, now: number, quietMs: number): Promise<RecordMentionResult | { status: 'duplicate' }> {
    return acceptMentionOn(this, this.db.batch(), this.refs, { keys, keysTtlMs, mention, now, quietMs });
  }

  async recordMention(mention: PendingMention, now: number, quietMs: number): Promise<RecordMentionResult> {
    return this.transaction((tx) => recordMentionIn(tx, this.refs, mention, now, quietMs, this.retentionMs));
  }

  async claimThread(threadKey: string, seq: number, noteId: number, runId: string, now: number, budgetWindowMs: number): Promise<ClaimThreadResult> {
    const ask = { threadKey, seq, noteId, runId, now, budgetWindowMs };
    return this.transaction((tx) => claimThreadIn(tx, this.refs, ask, this.retentionMs));
  }

  async stalledWork(before: number, limit: number): Promise<StalledWork> {
    // Equality queries on single fields only (Firestore's automatic indexes); the times are compared here.
    // Pending threads and unfinished runs are few at any moment, so reading them all stays small.
    const [threadSnap, runSnap] = await Promise.all([
      this.refs.collection('threads').where('hasPending', '==', true).get(),
      this.refs.collection('runs').where('state', 'in', [...UNFINISHED_RUN_STATES]).get(),
    ]);
    const threads: StalledWork['threads'] = [];
    for (const doc of threadSnap.docs) {
      const thread = doc.data() as ThreadDoc;
      const entries = Object.values(thread.pending);
      if (entries.length === 0 || thread.quietUntil >= before) continue;
      const latest = entries.reduce((a, b) => (b.seq > a.seq ? b : a));
      threads.push({ mention: decodeMention(latest.mention), seq: latest.seq });
      if (threads.length >= limit) break;
    }
    const runs = runSnap.docs
      .map((doc) => decodeRun(doc.data() as RunDoc))
      .filter((run) => run.updatedAt < before)
      .slice(0, limit);
    return { threads, runs };
  }

  async mentionState(noteId: number, threadKey: string): Promise<'pending' | 'claimed' | 'unknown'> {
    const [noteSnap, threadSnap] = await this.db.getAll(this.refs.note(noteId), this.refs.thread(threadKey));
    if (noteSnap?.exists) return 'claimed';
    const pending = threadSnap?.exists ? (threadSnap.data() as ThreadDoc).pending : {};
    return pending[String(noteId)] ? 'pending' : 'unknown';
  }

  async runOfNote(noteId: number): Promise<string | null> {
    const snap = await this.refs.note(noteId).get();
    return snap.exists ? (snap.get('runId') as string) : null;
  }

  async getRun(runId: string): Promise<RunRecord | null> {
    const snap = await this.refs.run(runId).get();
    return snap.exists ? decodeRun(snap.data() as RunDoc) : null;
  }

  async updateRun(runId: string, patch: Partial<Omit<RunRecord, 'runId'>>, now: number, expectedStates?: RunState[]): Promise<boolean> {
    const ref = this.refs.run(runId);
    return this.transaction(async (tx) => {
      const snap = await tx.get(ref);
      if (!snap.exists) return false;
      const run = decodeRun(snap.data() as RunDoc);
      if (!guardedUpdateApplies(run.state, patch.state, expectedStates)) return false;
      const updated: RunRecord = { ...run, ...patch, runId, updatedAt: now };
      tx.set(ref, encodeRun(updated, expiresAfter(now, this.retentionMs)));
      return true;
    });
  }

  async lockTrigger(runId: string, owner: string, now: number, staleMs: number): Promise<TriggerLockResult> {
    const ref = this.refs.lock(runId);
    return this.transaction(async (tx) => {
      const snap = await tx.get(ref);
      const lock = snap.exists ? (snap.data() as { owner: string; at: number }) : null;
      if (lock && lock.owner !== owner && now - lock.at < staleMs) return 'busy';
      tx.set(ref, { owner, at: now, expireAt: expiresAfter(now, this.retentionMs) });
      return lockResult(lock?.owner, owner);
    });
  }

  async unlockTrigger(runId: string, owner: string, options: { abandoned?: boolean } = {}): Promise<void> {
    const ref = this.refs.lock(runId);
    await this.transaction(async (tx) => {
      const snap = await tx.get(ref);
      if (!snap.exists || snap.get('owner') !== owner) return;
      if (options.abandoned) tx.update(ref, { at: ABANDONED_LOCK_AT });
      else tx.delete(ref);
    });
  }

  async acquireSlot(projectId: number, runId: string, threadKey: string, limit: number, now: number, leaseMs: number): Promise<SlotResult> {
    return this.updateSlots(projectId, (doc) => slots.acquire(doc, runId, threadKey, limit, now, leaseMs));
  }

  async attachPipeline(projectId: number, runId: string, pipelineId: number): Promise<void> {
    await this.updateSlots(projectId, (doc) => slots.attach(doc, runId, pipelineId));
  }

  async releaseSlot(projectId: number, by: { runId: string } | { pipelineId: number }): Promise<string | null> {
    return this.updateSlots(projectId, (doc) => slots.release(doc, by));
  }

  async waitingRuns(projectId: number): Promise<string[]> {
    return (await this.readSlots(projectId)).waiting.map((entry) => entry.runId);
  }

  async activeRuns(projectId: number, now: number): Promise<string[]> {
    return slots.liveRuns(await this.readSlots(projectId), now);
  }

  listRecentRuns(limit: number): Promise<RunRecord[]> {
    return views.listRecentRuns(this.refs, limit);
  }

  listProjectSlots(now: number): Promise<ProjectSlotsView[]> {
    return views.listProjectSlots(this.refs, now);
  }

  pauseState(): Promise<PauseState> {
    return views.pauseState(this.refs);
  }

  setPaused(paused: boolean, by: string, now: number): Promise<PauseState> {
    return this.transaction((tx) => views.setPausedIn(tx, this.refs, paused, by, now));
  }

  recordIncident(incident: Incident): Promise<void> {
    return views.recordIncident(this.refs, incident);
  }

  recentIncidents(limit: number): Promise<Incident[]> {
    return views.recentIncidents(this.refs, limit);
  }

  /** Read-modify-write of a project's slot document in one transaction (written back only if changed). */
  private async updateSlots<T>(projectId: number, change: (slots: SlotsDoc) => T): Promise<T> {
    const ref = this.refs.slots(projectId);
    return this.transaction(async (tx) => {
      const snap = await tx.get(ref);
      const before = snap.exists ? (snap.data() as SlotsDoc) : slots.emptySlots();
      const after = structuredClone(before);
      const result = change(after);
      if (JSON.stringify(after) !== JSON.stringify(before)) tx.set(ref, after);
      return result;
    });
  }

  private async readSlots(projectId: number): Promise<SlotsDoc> {
    const snap = await this.refs.slots(projectId).get();
    return snap.exists ? (snap.data() as SlotsDoc) : slots.emptySlots();
  }

  private transaction<T>(fn: (tx: Transaction) => Promise<T>): Promise<T> {
    return this.db.runTransaction(fn, { maxAttempts: this.maxAttempts });
  }
}

/** gRPC ALREADY_EXISTS: create() found the document there. */
function isAlreadyExists(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === 6;
}
