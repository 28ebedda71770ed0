import type { FlowRequest } from '../domain.js';
import type { RunState } from './run-states.js';

// The coordination store contract (docs/architecture.md, "What the store records"). Every guarantee the worker gives across instances rests
// on these operations being atomic: the in-memory store (embedded default) and Firestore implement the
// same semantics, checked by one contract test suite. Times are epoch milliseconds passed in by the
// caller, so the semantics are testable without sleeping.

/** A mention waiting for its thread to go quiet. */
export interface PendingMention {
  noteId: number;
  /** The latest text we have for the note (an edit before handling replaces it). */
  request: FlowRequest;
}

export type RecordMentionResult =
  /** Waiting in the thread's window. `seq` identifies this mention's place in the thread. */
  | { status: 'pending'; seq: number; quietUntil: number }
  /** Already taken by a run (handled, or being handled): an edit now changes nothing. */
  | { status: 'claimed'; runId: string };

export type ClaimThreadResult =
  | {
      status: 'claimed';
      run: RunRecord;
      recentRunCount: number;
      /** Notes that were in the window but another run had taken: left out (should never happen; logged). */
      leftOut: number[];
    }
  /** A later mention in the thread will carry this one. */
  | { status: 'superseded' }
  /** The thread is not quiet yet. */
  | { status: 'wait'; quietUntil: number }
  /** Another handler claimed it already. */
  | { status: 'claimed-by'; runId: string };

export type { RunState } from './run-states.js';
export { TERMINAL_RUN_STATES } from './run-states.js';

export interface RunRecord {
  runId: string;
  threadKey: string;
  projectId: number;
  /** Mentions in note order (creation time, then id). The last one's request is the run's context. */
  mentions: PendingMention[];
  state: RunState;
  trackingNoteId: number | null;
  /** The discussion the tracking note lives in (the trigger note's, or a new one when it had none). */
  trackingDiscussionId?: string | null;
  /**
   * Written by versions before 0.2 just before posting the tracking note and before the trigger call; still
   * honoured (an attempt then looks in GitLab first). Interrupted attempts now show as a taken-over lock.
   */
  announceStartedAt?: number | null;
  triggerStartedAt?: number | null;
  /** How many times the stalled-work sweep has resumed this run (it gives up after a few). */
  stalledResumes?: number;
  /** The ref the pipeline runs on, once chosen. */
  ref?: string | null;
  pipelineId: number | null;
  pipelineUrl: string | null;
  error: string | null;
  createdAt: number;
  updatedAt: number;
}

export type TriggerLockResult =
  /** Yours; nobody held it. */
  | 'acquired'
  /** Still yours: you held it and nobody took it since (its time is now the one you passed). */
  | 'renewed'
  /** Yours, but a previous holder took it and vanished: reconcile with GitLab before triggering. */
  | 'acquired-stale'
  /** Someone else holds it and is alive (as far as we can tell). */
  | 'busy';

/**
 * Work the store holds that nothing may be handling any more (its queue message dead-lettered, or lost):
 * see `stalledWork`.
 */
export interface StalledWork {
  /** Per thread, its latest pending mention (with its seq), when the thread's window ended long ago. */
  threads: Array<{ mention: PendingMention; seq: number }>;
  /** Unfinished runs (claimed, announced or waiting) not updated for long. */
  runs: RunRecord[];
}

/** An abandoned lock's time (see `unlockTrigger`): older than any stale limit, in both stores. */
export const ABANDONED_LOCK_AT = Number.MIN_SAFE_INTEGER;

export type SlotResult = { granted: true } | { granted: false; position: number };

/** Whether an operator paused the service (`claude-gitlab-flow pause`): every instance reads it before it triggers. */
export interface PauseState {
  paused: boolean;
  /** When it was paused (null when not paused): also names the pause, so each thread is told once per pause. */
  since: number | null;
  /** Who paused it or resumed it last, as the operator gave it (shown on the status page). */
  by: string | null;
  updatedAt: number | null;
}

export const NOT_PAUSED: PauseState = { paused: false, since: null, by: null, updatedAt: null };

/** A project's slots as the status page shows them. */
export interface ProjectSlotsView {
  projectId: number;
  /** Runs holding a live lease, with the pipeline once attached. */
  active: Array<{ runId: string; threadKey: string; pipelineId: number | null; expiresAt: number }>;
  /** The waiting line, first first. */
  waiting: string[];
}

/** Something an operator should see on the status page (a dead letter, a failure outside a run). */
export interface Incident {
  at: number;
  kind: 'dead-letter' | 'error';
  /** Ids and reasons only, never a note's text. */
  message: string;
}

export interface CoordinationStore {
  /** True the first time a key is seen within `ttlMs` (webhook delivery dedupe). */
  rememberOnce(key: string, now: number, ttlMs: number): Promise<boolean>;
  /** Undo `rememberOnce` (the delivery could not be stored, so its retry must get through). */
  forget(key: string): Promise<void>;
  /** Whether `rememberOnce` took this key and its TTL has not run out (a read: it remembers nothing). */
  isRemembered(key: string, now: number): Promise<boolean>;

  /**
   * Where a note stands, without a transaction: `pending` in its thread's window, `claimed` by a run, or
   * `unknown` (never recorded, or long gone).
   */
  mentionState(noteId: number, threadKey: string): Promise<'pending' | 'claimed' | 'unknown'>;

  /**
   * Ingest's write for a mention: takes the delivery's dedupe `keys` (for `keysTtlMs`) and records the
   * mention as `recordMention` does; `duplicate` when a key is taken and the mention is known. On Firestore,
   * one batch of creates then one transaction; a failed record gives the keys back, and keys whose mention
   * never landed (an attempt that died) do not turn a copy away.
   */
  acceptMention(keys: string[], keysTtlMs: number, mention: PendingMention, now: number, quietMs: number): Promise<RecordMentionResult | { status: 'duplicate' }>;

  /** Record a mention (or an edit of one) in its thread's debounce window. Idempotent per note id. */
  recordMention(mention: PendingMention, now: number, quietMs: number): Promise<RecordMentionResult>;

  /**
   * If note `noteId` (recorded as `seq`) is still the thread's latest mention and the thread has been
   * quiet, atomically move all pending mentions of the thread into a new run `runId`. A note that a run
   * already took answers `claimed-by` (checked first), so a redelivery resumes that run. `budgetWindowMs` sets how far back
   * `recentRunCount` (runs created in this thread before this one) looks.
   */
  claimThread(threadKey: string, seq: number, noteId: number, runId: string, now: number, budgetWindowMs: number): Promise<ClaimThreadResult>;

  /**
   * Threads whose pending mentions' window ended before `before`, and unfinished runs last updated
   * before `before`; at most `limit` of each.
   */
  stalledWork(before: number, limit: number): Promise<StalledWork>;

  /** The run that claimed a note, if any. */
  runOfNote(noteId: number): Promise<string | null>;
  getRun(runId: string): Promise<RunRecord | null>;
  /** Apply `patch` to a run; when `expectedStates` is given, only if the run is in one of them (returns false otherwise). */
  updateRun(runId: string, patch: Partial<Omit<RunRecord, 'runId'>>, now: number, expectedStates?: RunState[]): Promise<boolean>;

  /** Exclusive right to call GitLab's trigger for a run; a holder older than `staleMs` is presumed dead. */
  lockTrigger(runId: string, owner: string, now: number, staleMs: number): Promise<TriggerLockResult>;
  /**
   * Release the lock (only its owner can). `abandoned`: the holder's step failed midway, so GitLab may
   * hold what it did without the store knowing; the lock stays, already stale, and the next owner gets
   * `acquired-stale` (and reconciles with GitLab) however soon it comes.
   */
  unlockTrigger(runId: string, owner: string, options?: { abandoned?: boolean }): Promise<void>;

  /**
   * Take one of `limit` leased slots in a project for `runId`, first come first served: the line is
   * served in order, skipping only runs whose thread already holds a slot (runs in one thread never
   * overlap). Idempotent for a run that holds a slot (its lease is renewed). Expired leases are
   * reclaimed. A refused run joins the line (once); `position` counts from 1.
   */
  acquireSlot(projectId: number, runId: string, threadKey: string, limit: number, now: number, leaseMs: number): Promise<SlotResult>;
  /** Tie a held slot to the pipeline that uses it (so a Pipeline Hook can release it). */
  attachPipeline(projectId: number, runId: string, pipelineId: number): Promise<void>;
  /** Release the slot held by a run or a pipeline; returns the released run id, or null. Leaves the line. */
  releaseSlot(projectId: number, by: { runId: string } | { pipelineId: number }): Promise<string | null>;
  /** Run ids waiting for a slot in this project, first first. */
  waitingRuns(projectId: number): Promise<string[]>;
  /** Run ids holding a live slot in this project. */
  activeRuns(projectId: number, now: number): Promise<string[]>;

  // ── Read-only views and the operator's switch (the status page, `pause`/`resume`) ───────────────

  /** The runs updated most recently, newest first, at most `limit`. */
  listRecentRuns(limit: number): Promise<RunRecord[]>;
  /** Every project that has a slot document: live leases and the waiting line. */
  listProjectSlots(now: number): Promise<ProjectSlotsView[]>;
  pauseState(): Promise<PauseState>;
  /** Pause or resume; pausing an already paused service keeps its `since`. Returns the new state. */
  setPaused(paused: boolean, by: string, now: number): Promise<PauseState>;
  /** Keep an incident for the status page (the last few hundred, a week at most). */
  recordIncident(incident: Incident): Promise<void>;
  /** The latest incidents, newest first. */
  recentIncidents(limit: number): Promise<Incident[]>;
}
