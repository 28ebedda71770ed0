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
} from './types.js';
import { ABANDONED_LOCK_AT, NOT_PAUSED, TERMINAL_RUN_STATES } from './types.js';
import { claimedRun } from './claimed-run.js';
import { guardedUpdateApplies } from './run-states.js';
import * as slots from './slots.js';

// The embedded store: one process, so every method is atomic by running to completion without an await
// in between. Semantics match the Firestore store exactly (the contract suite runs on both).

interface ThreadState {
  lastSeq: number;
  quietUntil: number;
  pending: Map<number, { seq: number; mention: PendingMention }>;
  runCreatedAt: number[];
}

const MAX_REMEMBERED_KEYS = 100_000;
/** Finished runs, their note claims and quiet threads are forgotten after this (Firestore: TTL on expireAt). */
const RETENTION_MS = 7 * 24 * 3600_000;
const SWEEP_EVERY_MS = 60_000;
/** Incidents kept for the status page (Firestore: a week, by TTL). */
export const MAX_INCIDENTS = 200;

export class MemoryStore implements CoordinationStore {
  private readonly seen = new Map<string, number>();
  private readonly threads = new Map<string, ThreadState>();
  private readonly noteRuns = new Map<number, string>();
  private readonly runs = new Map<string, RunRecord>();
  private readonly triggerLocks = new Map<string, { owner: string; at: number }>();
  private readonly slots = new Map<number, slots.ProjectSlots>();
  private lastSweep = 0;
  private pause: PauseState = NOT_PAUSED;
  private readonly incidents: Incident[] = [];

  async rememberOnce(key: string, now: number, ttlMs: number): Promise<boolean> {
    return this.remember(key, now, ttlMs);
  }

  private remember(key: string, now: number, ttlMs: number): boolean {
    const expiresAt = this.seen.get(key);
    if (expiresAt !== undefined && expiresAt > now) return false;
    this.seen.delete(key);
    this.seen.set(key, now + ttlMs);
    // A Map iterates in insertion order, so the first key is the oldest.
    if (this.seen.size > MAX_REMEMBERED_KEYS) this.seen.delete(this.seen.keys().next().value as string);
    return true;
  }

  async forget(key: string): Promise<void> {
    this.seen.delete(key);
  }

  async isRemembered(key: string, now: number): Promise<boolean> {
    return (this.seen.get(key) ?? -Infinity) > now;
  }

  async acceptMention(keys: string[], keysTtlMs: number, mention: PendingMention, now: number, quietMs: number): Promise<RecordMentionResult | { status: 'duplicate' }> {
    if (keys.some((key) => (this.seen.get(key) ?? -Infinity) > now)) return { status: 'duplicate' };
    for (const key of keys) this.remember(key, now, keysTtlMs);
    return this.record(mention, now, quietMs);
  }

  async recordMention(mention: PendingMention, now: number, quietMs: number): Promise<RecordMentionResult> {
    return this.record(mention, now, quietMs);
  }

  private record(mention: PendingMention, now: number, quietMs: number): RecordMentionResult {
    const claimedBy = this.noteRuns.get(mention.noteId);
    if (claimedBy) return { status: 'claimed', runId: claimedBy };
    const thread = this.thread(mention.request.threadKey);
    const existing = thread.pending.get(mention.noteId);
    if (existing) {
      // A redelivery or an edit: keep the note's place; an edit (newer update time) replaces the text.
      if (mention.request.note.updatedAt >= existing.mention.request.note.updatedAt) existing.mention = mention;
      return { status: 'pending', seq: existing.seq, quietUntil: thread.quietUntil };
    }
    thread.lastSeq += 1;
    thread.quietUntil = Math.max(thread.quietUntil, now + quietMs);
    thread.pending.set(mention.noteId, { seq: thread.lastSeq, mention });
    return { status: 'pending', seq: thread.lastSeq, quietUntil: thread.quietUntil };
  }

  async claimThread(threadKey: string, seq: number, noteId: number, runId: string, now: number, budgetWindowMs: number): Promise<ClaimThreadResult> {
    this.sweep(now);
    const claimedBy = this.noteRuns.get(noteId);
    if (claimedBy) return { status: 'claimed-by', runId: claimedBy };
    const thread = this.thread(threadKey);
    const mine = thread.pending.get(noteId);
    if (!mine || thread.lastSeq > seq) return { status: 'superseded' };
    if (now < thread.quietUntil) return { status: 'wait', quietUntil: thread.quietUntil };
    // A note another run took stays with that run, whatever put it back in a window (see firestore/threads.ts).
    const pending = [...thread.pending.values()].map((entry) => entry.mention);
    const mentions = pending.filter((mention) => !this.noteRuns.has(mention.noteId)).sort(byNoteOrder);
    const leftOut = pending.filter((mention) => this.noteRuns.has(mention.noteId)).map((mention) => mention.noteId);
    const run = claimedRun(runId, threadKey, mine.mention.request.project.id, mentions, now);
    const recentRunCount = thread.runCreatedAt.filter((at) => at > now - budgetWindowMs).length;
    thread.runCreatedAt = [...thread.runCreatedAt.filter((at) => at > now - budgetWindowMs), now];
    thread.pending.clear();
    this.runs.set(runId, run);
    for (const mention of mentions) this.noteRuns.set(mention.noteId, runId);
    return { status: 'claimed', run: structuredClone(run), recentRunCount, leftOut };
  }

  async stalledWork(before: number, limit: number): Promise<StalledWork> {
    const threads: StalledWork['threads'] = [];
    for (const thread of this.threads.values()) {
      if (threads.length >= limit) break;
      if (thread.pending.size === 0 || thread.quietUntil >= before) continue;
      const latest = [...thread.pending.values()].reduce((a, b) => (b.seq > a.seq ? b : a));
      threads.push({ mention: structuredClone(latest.mention), seq: latest.seq });
    }
    const runs = [...this.runs.values()].filter((run) => !TERMINAL_RUN_STATES.has(run.state) && run.updatedAt < before).slice(0, limit);
    return { threads, runs: structuredClone(runs) };
  }

  async mentionState(noteId: number, threadKey: string): Promise<'pending' | 'claimed' | 'unknown'> {
    if (this.noteRuns.has(noteId)) return 'claimed';
    return this.threads.get(threadKey)?.pending.has(noteId) ? 'pending' : 'unknown';
  }

  async runOfNote(noteId: number): Promise<string | null> {
    return this.noteRuns.get(noteId) ?? null;
  }

  async getRun(runId: string): Promise<RunRecord | null> {
    const run = this.runs.get(runId);
    return run ? structuredClone(run) : null;
  }

  async updateRun(runId: string, patch: Partial<Omit<RunRecord, 'runId'>>, now: number, expectedStates?: RunState[]): Promise<boolean> {
    const run = this.runs.get(runId);
    if (!run) return false;
    if (!guardedUpdateApplies(run.state, patch.state, expectedStates)) return false;
    Object.assign(run, structuredClone(patch), { updatedAt: now });
    return true;
  }

  async lockTrigger(runId: string, owner: string, now: number, staleMs: number): Promise<TriggerLockResult> {
    const lock = this.triggerLocks.get(runId);
    if (lock && lock.owner !== owner && now - lock.at < staleMs) return 'busy';
    this.triggerLocks.set(runId, { owner, at: now });
    return lockResult(lock?.owner, owner);
  }

  async unlockTrigger(runId: string, owner: string, options: { abandoned?: boolean } = {}): Promise<void> {
    if (this.triggerLocks.get(runId)?.owner !== owner) return;
    if (options.abandoned) this.triggerLocks.set(runId, { owner, at: ABANDONED_LOCK_AT });
    else this.triggerLocks.delete(runId);
  }

  async acquireSlot(projectId: number, runId: string, threadKey: string, limit: number, now: number, leaseMs: number): Promise<SlotResult> {
    return slots.acquire(this.projectSlots(projectId), runId, threadKey, limit, now, leaseMs);
  }

  async attachPipeline(projectId: number, runId: string, pipelineId: number): Promise<void> {
    slots.attach(this.projectSlots(projectId), runId, pipelineId);
  }

  async releaseSlot(projectId: number, by: { runId: string } | { pipelineId: number }): Promise<string | null> {
    return slots.release(this.projectSlots(projectId), by);
  }

  async waitingRuns(projectId: number): Promise<string[]> {
    return this.projectSlots(projectId).waiting.map((entry) => entry.runId);
  }

  async activeRuns(projectId: number, now: number): Promise<string[]> {
    return slots.liveRuns(this.projectSlots(projectId), now);
  }

  async listRecentRuns(limit: number): Promise<RunRecord[]> {
    return structuredClone([...this.runs.values()].sort((a, b) => b.updatedAt - a.updatedAt).slice(0, limit));
  }

  async listProjectSlots(now: number): Promise<ProjectSlotsView[]> {
    return [...this.slots.entries()].map(([projectId, project]) => slots.view(projectId, project, now));
  }

  async pauseState(): Promise<PauseState> {
    return { ...this.pause };
  }

  async setPaused(paused: boolean, by: string, now: number): Promise<PauseState> {
    this.pause = nextPauseState(this.pause, paused, by, now);
    return { ...this.pause };
  }

  async recordIncident(incident: Incident): Promise<void> {
    this.incidents.unshift({ ...incident });
    this.incidents.splice(MAX_INCIDENTS);
  }

  async recentIncidents(limit: number): Promise<Incident[]> {
    return this.incidents.slice(0, limit).map((incident) => ({ ...incident }));
  }

  /** A long-running embedded process must not grow without bound: forget what is long finished. */
  private sweep(now: number): void {
    if (now - this.lastSweep < SWEEP_EVERY_MS) return;
    this.lastSweep = now;
    const horizon = now - RETENTION_MS;
    for (const [runId, run] of this.runs) {
      if (run.updatedAt < horizon && TERMINAL_RUN_STATES.has(run.state)) {
        this.runs.delete(runId);
        this.triggerLocks.delete(runId);
        for (const mention of run.mentions) this.noteRuns.delete(mention.noteId);
      }
    }
    for (const [key, thread] of this.threads) {
      if (thread.pending.size === 0 && thread.runCreatedAt.every((at) => at < horizon) && thread.quietUntil < horizon) this.threads.delete(key);
    }
  }

  private thread(threadKey: string): ThreadState {
    let thread = this.threads.get(threadKey);
    if (!thread) {
      thread = { lastSeq: 0, quietUntil: 0, pending: new Map(), runCreatedAt: [] };
      this.threads.set(threadKey, thread);
    }
    return thread;
  }

  private projectSlots(projectId: number): slots.ProjectSlots {
    let project = this.slots.get(projectId);
    if (!project) {
      project = slots.emptySlots();
      this.slots.set(projectId, project);
    }
    return project;
  }
}

/** Notes in the order people wrote them: creation time, then id (ids grow with time in GitLab). */
export function byNoteOrder(a: PendingMention, b: PendingMention): number {
  const at = a.request.note.createdAt.localeCompare(b.request.note.createdAt);
  return at !== 0 ? at : a.noteId - b.noteId;
}

/** What `lockTrigger` did, from the owner it found (none, the caller, or another) once it wrote the caller's. */
export function lockResult(previousOwner: string | undefined, owner: string): TriggerLockResult {
  if (previousOwner === undefined) return 'acquired';
  return previousOwner === owner ? 'renewed' : 'acquired-stale';
}

/** The pause flag after `setPaused`: a second pause keeps the first one's time (it names the pause). */
export function nextPauseState(current: PauseState, paused: boolean, by: string, now: number): PauseState {
  if (!paused) return { paused: false, since: null, by, updatedAt: now };
  return { paused: true, since: current.paused && current.since !== null ? current.since : now, by, updatedAt: now };
}
