import { Firestore, type DocumentReference, type Transaction } from '@google-cloud/firestore';
import { docId } from './ids.js';
import {
  decodeMention,
  decodeRun,
  emptyThread,
  encodeMention,
  encodeRun,
  expiresAfter,
  type RunDoc,
  type SlotsDoc,
  type ThreadDoc,
} from './codec.js';
import { byNoteOrder, lockResult, MAX_INCIDENTS, nextPauseState } from '../memory-store.js';
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
import { ABANDONED_LOCK_AT, NOT_PAUSED } from '../types.js';

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
const INCIDENT_RETENTION_MS = 7 * 24 * 60 * 60 * 1000;

export class FirestoreStore implements CoordinationStore {
  readonly db: Firestore;
  private readonly ownsClient: boolean;
  private readonly prefix: string;
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
    this.prefix = options.collectionPrefix ?? DEFAULT_COLLECTION_PREFIX;
    this.retentionMs = options.retentionMs ?? DEFAULT_RETENTION_MS;
    this.maxAttempts = options.maxTransactionAttempts ?? 10;
  }

  async close(): Promise<void> {
    if (this.ownsClient) await this.db.terminate();
  }

  async rememberOnce(key: string, now: number, ttlMs: number): Promise<boolean> {
    const ref = this.seenRef(key);
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
    await this.seenRef(key).delete();
  }

  async isRemembered(key: string, now: number): Promise<boolean> {
    const snap = await this.seenRef(key).get();
    return snap.exists && (snap.get('expiresAtMs') as number) > now;
  }

  async recordMention(mention: PendingMention, now: number, quietMs: number): Promise<RecordMentionResult> {
    const threadRef = this.threadRef(mention.request.threadKey);
    return this.transaction(async (tx) => {
      const [noteSnap, threadSnap] = await tx.getAll(this.noteRef(mention.noteId), threadRef);
      if (noteSnap?.exists) return { status: 'claimed', runId: noteSnap.get('runId') as string };
      const expireAt = expiresAfter(now, this.retentionMs);
      const thread = threadSnap?.exists ? (threadSnap.data() as ThreadDoc) : emptyThread(mention.request.threadKey, expireAt);
      const key = String(mention.noteId);
      const existing = thread.pending[key];
      if (existing) {
        // A redelivery or an edit: keep the note's place; an edit (newer update time) replaces the text.
        if (mention.request.note.updatedAt >= decodeMention(existing.mention).request.note.updatedAt) {
          thread.pending[key] = { seq: existing.seq, mention: encodeMention(mention) };
          tx.set(threadRef, { ...thread, hasPending: true, expireAt });
        }
        return { status: 'pending', seq: existing.seq, quietUntil: thread.quietUntil };
      }
      thread.lastSeq += 1;
      thread.quietUntil = Math.max(thread.quietUntil, now + quietMs);
      thread.pending[key] = { seq: thread.lastSeq, mention: encodeMention(mention) };
      tx.set(threadRef, { ...thread, hasPending: true, expireAt });
      return { status: 'pending', seq: thread.lastSeq, quietUntil: thread.quietUntil };
    });
  }

  async claimThread(threadKey: string, seq: number, noteId: number, runId: string, now: number, budgetWindowMs: number): Promise<ClaimThreadResult> {
    const threadRef = this.threadRef(threadKey);
    return this.transaction(async (tx): Promise<ClaimThreadResult> => {
      const [noteSnap, threadSnap] = await tx.getAll(this.noteRef(noteId), threadRef);
      // Checked first: a redelivery of a claimed note resumes the run that took it.
      if (noteSnap?.exists) return { status: 'claimed-by', runId: noteSnap.get('runId') as string };
      if (!threadSnap?.exists) return { status: 'superseded' };
      const thread = threadSnap.data() as ThreadDoc;
      const mine = thread.pending[String(noteId)];
      if (!mine || thread.lastSeq > seq) return { status: 'superseded' };
      if (now < thread.quietUntil) return { status: 'wait', quietUntil: thread.quietUntil };

      // The mentions whose notes no run has taken. recordMention refuses a claimed note in its own
      // transaction, so this filter should never drop one; it is read anyway (a few documents), because a
      // note in two runs is the one thing this store must never allow, whatever wrote the thread.
      // The note asking was read above; a window of one (the common case) costs no second read.
      const pending = Object.values(thread.pending).map((entry) => decodeMention(entry.mention));
      const others = pending.filter((mention) => mention.noteId !== noteId);
      const othersClaimed = others.length > 0 ? await tx.getAll(...others.map((mention) => this.noteRef(mention.noteId))) : [];
      const leftOut = others.filter((_, i) => othersClaimed[i]?.exists).map((mention) => mention.noteId);
      const mentions = pending.filter((mention) => !leftOut.includes(mention.noteId)).sort(byNoteOrder);
      const run: RunRecord = {
        runId,
        threadKey,
        projectId: decodeMention(mine.mention).request.project.id,
        mentions,
        state: 'claimed',
        trackingNoteId: null,
        pipelineId: null,
        pipelineUrl: null,
        error: null,
        createdAt: now,
        updatedAt: now,
      };
      const recent = thread.runCreatedAt.filter((at) => at > now - budgetWindowMs);
      const expireAt = expiresAfter(now, this.retentionMs);
      tx.create(this.runRef(runId), encodeRun(run, expireAt));
      for (const mention of mentions) tx.set(this.noteRef(mention.noteId), { runId, threadKey, expireAt });
      tx.set(threadRef, { ...thread, pending: {}, hasPending: false, runCreatedAt: [...recent, now], expireAt });
      return { status: 'claimed', run, recentRunCount: recent.length, leftOut };
    });
  }

  async stalledWork(before: number, limit: number): Promise<StalledWork> {
    // Equality queries on single fields only (Firestore's automatic indexes); the times are compared here.
    // Pending threads and unfinished runs are few at any moment, so reading them all stays small.
    const [threadSnap, runSnap] = await Promise.all([
      this.collection('threads').where('hasPending', '==', true).get(),
      this.collection('runs').where('state', 'in', ['claimed', 'announced', 'waiting']).get(),
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
    const [noteSnap, threadSnap] = await this.db.getAll(this.noteRef(noteId), this.threadRef(threadKey));
    if (noteSnap?.exists) return 'claimed';
    const pending = threadSnap?.exists ? (threadSnap.data() as ThreadDoc).pending : {};
    return pending[String(noteId)] ? 'pending' : 'unknown';
  }

  async runOfNote(noteId: number): Promise<string | null> {
    const snap = await this.noteRef(noteId).get();
    return snap.exists ? (snap.get('runId') as string) : null;
  }

  async getRun(runId: string): Promise<RunRecord | null> {
    const snap = await this.runRef(runId).get();
    return snap.exists ? decodeRun(snap.data() as RunDoc) : null;
  }

  async updateRun(runId: string, patch: Partial<Omit<RunRecord, 'runId'>>, now: number, expectedStates?: RunState[]): Promise<boolean> {
    const ref = this.runRef(runId);
    return this.transaction(async (tx) => {
      const snap = await tx.get(ref);
      if (!snap.exists) return false;
      const run = decodeRun(snap.data() as RunDoc);
      if (expectedStates && !expectedStates.includes(run.state)) return false;
      const updated: RunRecord = { ...run, ...patch, runId, updatedAt: now };
      tx.set(ref, encodeRun(updated, expiresAfter(now, this.retentionMs)));
      return true;
    });
  }

  async lockTrigger(runId: string, owner: string, now: number, staleMs: number): Promise<TriggerLockResult> {
    const ref = this.lockRef(runId);
    return this.transaction(async (tx) => {
      const snap = await tx.get(ref);
      const lock = snap.exists ? (snap.data() as { owner: string; at: number }) : null;
      if (lock && lock.owner !== owner && now - lock.at < staleMs) return 'busy';
      tx.set(ref, { owner, at: now, expireAt: expiresAfter(now, this.retentionMs) });
      return lockResult(lock?.owner, owner);
    });
  }

  async unlockTrigger(runId: string, owner: string, options: { abandoned?: boolean } = {}): Promise<void> {
    const ref = this.lockRef(runId);
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

  async listRecentRuns(limit: number): Promise<RunRecord[]> {
    // A single-field order: Firestore's automatic index serves it.
    const snap = await this.collection('runs').orderBy('updatedAt', 'desc').limit(limit).get();
    return snap.docs.map((doc) => decodeRun(doc.data() as RunDoc));
  }

  async listProjectSlots(now: number): Promise<ProjectSlotsView[]> {
    // One small document per project that ever ran.
    const snap = await this.collection('slots').get();
    return snap.docs.map((doc) => slots.view(Number(doc.id), doc.data() as SlotsDoc, now)).filter((view) => Number.isSafeInteger(view.projectId));
  }

  async pauseState(): Promise<PauseState> {
    const snap = await this.pauseRef().get();
    return snap.exists ? (snap.data() as PauseState) : { ...NOT_PAUSED };
  }

  async setPaused(paused: boolean, by: string, now: number): Promise<PauseState> {
    const ref = this.pauseRef();
    return this.transaction(async (tx) => {
      const snap = await tx.get(ref);
      const next = nextPauseState(snap.exists ? (snap.data() as PauseState) : NOT_PAUSED, paused, by, now);
      tx.set(ref, next);
      return next;
    });
  }

  async recordIncident(incident: Incident): Promise<void> {
    await this.collection('incidents').add({ ...incident, message: incident.message.slice(0, 2000), expireAt: expiresAfter(incident.at, INCIDENT_RETENTION_MS) });
  }

  async recentIncidents(limit: number): Promise<Incident[]> {
    const snap = await this.collection('incidents').orderBy('at', 'desc').limit(Math.min(limit, MAX_INCIDENTS)).get();
    return snap.docs.map((doc) => {
      const { at, kind, message } = doc.data() as Incident;
      return { at, kind, message };
    });
  }

  /** Read-modify-write of a project's slot document in one transaction (written back only if changed). */
  private async updateSlots<T>(projectId: number, change: (slots: SlotsDoc) => T): Promise<T> {
    const ref = this.slotsRef(projectId);
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
    const snap = await this.slotsRef(projectId).get();
    return snap.exists ? (snap.data() as SlotsDoc) : slots.emptySlots();
  }

  private transaction<T>(fn: (tx: Transaction) => Promise<T>): Promise<T> {
    return this.db.runTransaction(fn, { maxAttempts: this.maxAttempts });
  }

  private collection(name: string) {
    return this.db.collection(`${this.prefix}${name}`);
  }

  private ref(collection: string, key: string): DocumentReference {
    return this.collection(collection).doc(docId(key));
  }

  private seenRef = (key: string) => this.ref('deliveries', key);
  private threadRef = (threadKey: string) => this.ref('threads', threadKey);
  private noteRef = (noteId: number) => this.ref('notes', String(noteId));
  private runRef = (runId: string) => this.ref('runs', runId);
  private lockRef = (runId: string) => this.ref('trigger_locks', runId);
  private slotsRef = (projectId: number) => this.ref('slots', String(projectId));
  private pauseRef = () => this.ref('control', 'pause');
}

/** gRPC ALREADY_EXISTS: create() found the document there. */
function isAlreadyExists(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === 6;
}
