import type { ProjectSlotsView, SlotResult } from './types.js';

// A project's pipeline slots as one plain document (leases and the waiting line) and the pure
// transitions on it. Both stores apply these same functions; they differ only in how they make a
// transition atomic (the memory store: no await inside; Firestore: a transaction around it).

export interface SlotLease {
  expiresAt: number;
  pipelineId: number | null;
  threadKey: string;
}

export interface WaitingRun {
  runId: string;
  threadKey: string;
}

export interface ProjectSlots {
  leases: Record<string, SlotLease>;
  waiting: WaitingRun[];
}

export function emptySlots(): ProjectSlots {
  return { leases: {}, waiting: [] };
}

/** Take (or renew) a slot for a run, first come first served; a refused run joins the line once. */
export function acquire(slots: ProjectSlots, runId: string, threadKey: string, limit: number, now: number, leaseMs: number): SlotResult {
  for (const [id, lease] of Object.entries(slots.leases)) if (lease.expiresAt <= now) delete slots.leases[id];
  const held = slots.leases[runId];
  if (held) {
    held.expiresAt = now + leaseMs;
    return { granted: true };
  }
  if (!slots.waiting.some((entry) => entry.runId === runId)) slots.waiting.push({ runId, threadKey });
  if (grantableRuns(slots, limit).includes(runId)) {
    slots.waiting = slots.waiting.filter((entry) => entry.runId !== runId);
    slots.leases[runId] = { expiresAt: now + leaseMs, pipelineId: null, threadKey };
    return { granted: true };
  }
  return { granted: false, position: slots.waiting.findIndex((entry) => entry.runId === runId) + 1 };
}

export function attach(slots: ProjectSlots, runId: string, pipelineId: number): void {
  const lease = slots.leases[runId];
  if (lease) lease.pipelineId = pipelineId;
}

/** Free the slot of a run or a pipeline, and take a run out of the line; the released run id, or null. */
export function release(slots: ProjectSlots, by: { runId: string } | { pipelineId: number }): string | null {
  let released: string | null = null;
  for (const [id, lease] of Object.entries(slots.leases)) {
    if ('runId' in by ? id === by.runId : lease.pipelineId === by.pipelineId) {
      delete slots.leases[id];
      released = id;
    }
  }
  if ('runId' in by && slots.waiting.some((entry) => entry.runId === by.runId)) {
    slots.waiting = slots.waiting.filter((entry) => entry.runId !== by.runId);
    released ??= by.runId;
  }
  return released;
}

export function liveRuns(slots: ProjectSlots, now: number): string[] {
  return Object.entries(slots.leases)
    .filter(([, lease]) => lease.expiresAt > now)
    .map(([id]) => id);
}

/**
 * Which waiting runs may take a slot now: the line in order, skipping runs whose thread already holds a
 * slot (or was just picked), until the free slots are used up.
 */
export function grantableRuns(slots: ProjectSlots, limit: number): string[] {
  let free = limit - Object.keys(slots.leases).length;
  const busyThreads = new Set(Object.values(slots.leases).map((lease) => lease.threadKey));
  const grantable: string[] = [];
  for (const entry of slots.waiting) {
    if (free <= 0) break;
    if (busyThreads.has(entry.threadKey)) continue;
    grantable.push(entry.runId);
    busyThreads.add(entry.threadKey);
    free -= 1;
  }
  return grantable;
}

/** What the status page shows of a project's slots: live leases and the line. */
export function view(projectId: number, slots: ProjectSlots, now: number): ProjectSlotsView {
  return {
    projectId,
    active: Object.entries(slots.leases)
      .filter(([, lease]) => lease.expiresAt > now)
      .map(([runId, lease]) => ({ runId, threadKey: lease.threadKey, pipelineId: lease.pipelineId, expiresAt: lease.expiresAt })),
    waiting: slots.waiting.map((entry) => entry.runId),
  };
}
