import { Timestamp } from '@google-cloud/firestore';
import type { PendingMention, RunRecord } from '../types.js';

// The shapes of the store's Firestore documents and their conversion to the contract's types. Request
// payloads (mentions) are stored as JSON strings: they round-trip exactly (GitLab's diff `position` may
// hold anything, and Firestore rejects `undefined` and nested arrays), and nothing queries inside them.

export interface ThreadDoc {
  threadKey: string;
  lastSeq: number;
  quietUntil: number;
  /** Mentions waiting for the thread to go quiet, by note id. */
  pending: Record<string, { seq: number; mention: string }>;
  /** Creation times of recent runs in the thread (pruned to the budget window on each claim). */
  runCreatedAt: number[];
  /** Whether `pending` has entries: what the stalled-work sweep queries (`pending` itself is not indexed). */
  hasPending?: boolean;
  expireAt: Timestamp;
}

export interface RunDoc {
  /** The RunRecord as JSON: the source of truth. */
  record: string;
  // Copies for people reading the console (and for queries infra may want); never read back.
  state: string;
  threadKey: string;
  projectId: number;
  pipelineId: number | null;
  updatedAt: number;
  expireAt: Timestamp;
}

/** A project's slots are stored as they are kept in memory (see slots.ts). */
export type { ProjectSlots as SlotsDoc } from '../slots.js';

export function encodeMention(mention: PendingMention): string {
  return JSON.stringify(mention);
}

export function decodeMention(json: string): PendingMention {
  return JSON.parse(json) as PendingMention;
}

export function encodeRun(run: RunRecord, expireAt: Timestamp): RunDoc {
  return {
    record: JSON.stringify(run),
    state: run.state,
    threadKey: run.threadKey,
    projectId: run.projectId,
    pipelineId: run.pipelineId,
    updatedAt: run.updatedAt,
    expireAt,
  };
}

export function decodeRun(doc: RunDoc): RunRecord {
  return JSON.parse(doc.record) as RunRecord;
}

export function emptyThread(threadKey: string, expireAt: Timestamp): ThreadDoc {
  return { threadKey, lastSeq: 0, quietUntil: 0, pending: {}, runCreatedAt: [], expireAt };
}

export function expiresAfter(now: number, ms: number): Timestamp {
  return Timestamp.fromMillis(now + ms);
}
