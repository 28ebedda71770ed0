import type { PendingMention, RunRecord } from './types.js';

/** The record `claimThread` creates, in both stores: every run starts `claimed` (run-states.ts). */
export function claimedRun(runId: string, threadKey: string, projectId: number, mentions: PendingMention[], now: number): RunRecord {
  return {
    runId,
    threadKey,
    projectId,
    mentions,
    state: 'claimed',
    trackingNoteId: null,
    pipelineId: null,
    pipelineUrl: null,
    error: null,
    createdAt: now,
    updatedAt: now,
  };
}
