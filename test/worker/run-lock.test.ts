import { afterEach, describe, expect, it } from 'vitest';
import { systemClock } from '../../service/clock.js';
import { createLogger } from '../../service/log.js';
import { MemoryStore } from '../../service/store/memory-store.js';
import { RunLocks } from '../../service/worker/run-lock.js';
import type { TriggerLockResult } from '../../service/store/types.js';
import { eventually } from '../../devtools/eventually.js';
import type { LatencySettings } from '../../standins/gitlab/index.js';
import { startWorkerWorld, type WorkerWorld } from '../support/worker-world.js';

// The run lock: one attempt works on a run at a time. An attempt that finds it busy waits (its message
// is not handed back, which would spend a delivery attempt); a crashed holder's lock goes stale, a live
// holder renews its lock while its step runs, however long that step takes.

const STALE_MS = 600;

/** A store in which an instance that then died took the lock of the first run anybody tries to lock. */
class DeadHolderStore extends MemoryStore {
  planted = false;
  override async lockTrigger(runId: string, owner: string, now: number, staleMs: number): Promise<TriggerLockResult> {
    if (!this.planted) {
      this.planted = true;
      await super.lockTrigger(runId, 'dead-instance:attempt', now, staleMs);
    }
    return super.lockTrigger(runId, owner, now, staleMs);
  }
}

/**
 * A store in which the first attempt to take a lock is stalled, as behind a crashed client's document
 * lock, at its first slot request and at every lock call after the first: each waits `stallMs`, then
 * lands with the time it was made at.
 */
class StalledHolderStore extends MemoryStore {
  private holder: string | null = null;
  private slotRequests = 0;
  constructor(private readonly stallMs: number) {
    super();
  }
  override async lockTrigger(runId: string, owner: string, now: number, staleMs: number): Promise<TriggerLockResult> {
    if (this.holder === null) this.holder = owner;
    else if (owner === this.holder) await this.stall();
    return super.lockTrigger(runId, owner, now, staleMs);
  }
  override async acquireSlot(...args: Parameters<MemoryStore['acquireSlot']>) {
    if (++this.slotRequests === 1) await this.stall();
    return super.acquireSlot(...args);
  }
  private stall() {
    return new Promise((resolve) => setTimeout(resolve, this.stallMs));
  }
}

let world: WorkerWorld | undefined;
afterEach(async () => {
  await world?.close();
  world = undefined;
});

async function setUp(store: MemoryStore, latency?: LatencySettings) {
  world = await startWorkerWorld({ store, latency, runLockStaleMs: STALE_MS });
  const { gitlab, queue, project, issue } = world;
  return { gitlab, queue, project, issue, request: world.mention('@claude go'), logs: world.logs };
}

describe('the run lock', () => {
  it('a lock left by a crashed attempt is waited out on the same delivery, not handed back until dead-lettered', async () => {
    const { gitlab, queue, project, request, logs } = await setUp(new DeadHolderStore());
    const started = Date.now();
    await queue.publish({ kind: 'flow', request });
    await eventually('the run to finish', () => queue.depth === 0 && gitlab.pipelines(project.id).length > 0, 10_000);
    expect(gitlab.pipelines(project.id)).toHaveLength(1);
    // It waited for the dead holder's lock to go stale...
    expect(Date.now() - started).toBeGreaterThanOrEqual(STALE_MS);
    // ...within its first delivery: nothing was handed back.
    expect(logs().filter((line) => line.message === 'transient failure; will retry' || line.deliveryAttempt !== 1 && line.deliveryAttempt !== undefined)).toEqual([]);
  });

  it('a holder whose step outlasts the stale time keeps the lock: a concurrent delivery does not act twice', async () => {
    // Every GitLab call takes 400 ms: announcing (author checks, 👀, the tracking note) takes well over STALE_MS.
    const { gitlab, queue, project, issue, request } = await setUp(new MemoryStore(), { minMs: 400, maxMs: 400 });
    await Promise.all([queue.publish({ kind: 'flow', request }), queue.publish({ kind: 'flow', request })]);
    await eventually('the run to finish', () => queue.depth === 0 && gitlab.pipelines(project.id).length > 0, 20_000);
    const botNotes = gitlab.notes(project.id, { type: 'Issue', iid: issue.iid }).filter((note) => note.authorUsername === 'claude-bot');
    expect(botNotes).toHaveLength(1);
    expect(gitlab.pipelines(project.id)).toHaveLength(1);
  });

  it('a holder whose renewals stall is taken over, and does not trigger after the attempt that took over did', async () => {
    // The holder announces, then waits for its slot while its renewals hang: the second delivery takes
    // the lock over as stale, finds the run announced and triggers it. The holder's slot comes later.
    const { gitlab, queue, project, issue, request, logs } = await setUp(new StalledHolderStore(STALE_MS * 3));
    await Promise.all([queue.publish({ kind: 'flow', request }), queue.publish({ kind: 'flow', request })]);
    await eventually('the run to finish', () => queue.depth === 0 && gitlab.pipelines(project.id).length > 0, 20_000);
    await eventually('the stalled holder to find its lock lost', () => logs().some((line) => String(line.message).startsWith('run lock lost')), 10_000);
    expect(gitlab.pipelines(project.id)).toHaveLength(1);
    const botNotes = gitlab.notes(project.id, { type: 'Issue', iid: issue.iid }).filter((note) => note.authorUsername === 'claude-bot');
    expect(botNotes).toHaveLength(1);
  });
});

describe('RunLocks', () => {
  const runLocks = (store: MemoryStore) =>
    new RunLocks({ store, clock: systemClock, shutdown: new AbortController().signal, logger: createLogger('silent'), instanceId: 'test', staleMs: STALE_MS });

  it('keeps a lock it took over marked after a step that did not act, so the next holder still reconciles', async () => {
    // What the crash test met: the dead holder had triggered; the taker found no free slot and stepped
    // back; the next holder, told nothing, triggered a second pipeline.
    const store = new MemoryStore();
    await store.lockTrigger('run-1', 'dead-instance:attempt', Date.now() - 10 * STALE_MS, STALE_MS);
    const locks = runLocks(store);
    expect(await locks.with('run-1', async (hold) => hold.takenOver)).toEqual({ value: true });
    expect(await locks.with('run-1', async (hold) => hold.takenOver)).toEqual({ value: true });
  });

  it('releases a lock nobody held before clean', async () => {
    const locks = runLocks(new MemoryStore());
    expect(await locks.with('run-1', async (hold) => hold.takenOver)).toEqual({ value: false });
    expect(await locks.with('run-1', async (hold) => hold.takenOver)).toEqual({ value: false });
  });
});
