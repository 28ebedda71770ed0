import { randomUUID } from 'node:crypto';
import type { Clock } from '../clock.js';
import type { Logger } from '../log.js';
import type { CoordinationStore, TriggerLockResult } from '../store/types.js';

// A run's lock (store.lockTrigger): one attempt at a time acts on a run in GitLab. A holder renews it
// while its step runs; a lock nobody renewed for `staleMs` belongs to a dead attempt and is taken over.
//
// Taken over is not always dead: a holder whose renewals stall (a store transaction that waits out a
// crashed client's document lock can take most of a minute, on the emulator as on Firestore) is alive,
// and would act on GitLab after the taker did. So before an action that must not happen twice, the
// holder confirms the lock: renewed, by itself, recently enough that nobody can take it over before the
// action ends. `freshMs` plus the longest GitLab call (its client's 10 s timeout) must stay below
// `staleMs`: 5 s + 10 s < 20 s by default.

export type StoreForRunLock = Pick<CoordinationStore, 'lockTrigger' | 'unlockTrigger'>;

export interface RunLockDeps {
  store: StoreForRunLock;
  clock: Clock;
  /** The process is shutting down: stop waiting for a busy lock. */
  shutdown: AbortSignal;
  logger: Logger;
  instanceId: string;
  staleMs: number;
}

/** The lock went to another attempt while this one held it: this attempt must stop acting on the run. */
export class RunLockLost extends Error {
  constructor(runId: string, found: TriggerLockResult) {
    super(`run ${runId}: another attempt took its lock over while this one was stalled (${found})`);
  }
}

/** One attempt's hold of a run's lock. */
export class RunLockHold {
  /** The time the lock was last written as ours (by taking it, or by a renewal that found it still ours). */
  private heldAt: number;
  private lost: RunLockLost | null = null;

  constructor(
    private readonly deps: RunLockDeps,
    readonly runId: string,
    private readonly owner: string,
    takenAt: number,
    /** Taken from a holder that died or failed midway: what it did in GitLab may not be recorded. */
    readonly takenOver: boolean,
  ) {
    this.heldAt = takenAt;
  }

  private get freshMs(): number {
    return this.deps.staleMs / 4;
  }

  /**
   * Resolves once the lock is ours and was renewed within `freshMs`; throws RunLockLost when another
   * attempt took it meanwhile. A store too slow to renew it in time fails (transiently) after a few tries.
   */
  async confirm(): Promise<void> {
    for (let tries = 0; ; tries++) {
      if (this.lost) throw this.lost;
      if (this.deps.clock.now() - this.heldAt < this.freshMs) return;
      if (tries === 3) throw new Error(`run ${this.runId}: the store is too slow to confirm the run's lock`);
      await this.renew();
    }
  }

  /** Renews the lock every third of its stale time until `until` aborts or the lock is lost. */
  async keepRenewing(until: AbortSignal): Promise<void> {
    while (!this.lost) {
      await this.deps.clock.sleep(this.deps.staleMs / 3, until);
      if (until.aborted) return;
      await this.renew().catch(() => undefined);
    }
  }

  private async renew(): Promise<void> {
    const at = this.deps.clock.now();
    const found = await this.deps.store.lockTrigger(this.runId, this.owner, at, this.deps.staleMs);
    if (found === 'renewed') {
      this.heldAt = Math.max(this.heldAt, at);
      return;
    }
    // Busy: another attempt holds it. Anything else: it was taken and let go (or abandoned) meanwhile, so
    // it is ours again only as a new lock, and what happened in between is not ours to know.
    this.lost ??= new RunLockLost(this.runId, found);
    this.deps.logger.warn({ runId: this.runId, found }, 'run lock lost: another attempt took it over while this one was stalled; this one stops');
  }
}

export class RunLocks {
  constructor(private readonly deps: RunLockDeps) {}

  /**
   * Runs a step of a run under its lock, renewed while the step runs. A busy lock is waited for, up to
   * its stale time, rather than handed back at once: every hand-back spends a delivery attempt, and a
   * crashed instance's lock would otherwise outlast the attempts of the run's redeliveries, which then
   * end in the dead-letter topic. `busy` when it stayed busy, or when the step lost the lock.
   */
  async with<T>(runId: string, step: (hold: RunLockHold) => Promise<T>): Promise<{ busy: true } | { value: T }> {
    const { store, clock, shutdown, staleMs } = this.deps;
    const owner = this.newOwner();
    const giveUpAt = clock.now() + staleMs + 2000;
    let pollMs = 250;
    let takenAt = clock.now();
    let found: TriggerLockResult;
    while ((found = await store.lockTrigger(runId, owner, takenAt, staleMs)) === 'busy') {
      if (clock.now() >= giveUpAt || shutdown.aborted) return { busy: true };
      await clock.sleep(pollMs, shutdown);
      pollMs = Math.min(pollMs * 2, 2000);
      takenAt = clock.now();
    }
    // Owners are new per attempt, so 'renewed' here means the client retried a take that had landed; what
    // it found the first time is unknown, so it counts as taken over (a reconcile costs a GitLab read or two).
    const hold = new RunLockHold(this.deps, runId, owner, takenAt, found !== 'acquired');
    const stepDone = new AbortController();
    const renewing = hold.keepRenewing(stepDone.signal);
    let finished = false;
    try {
      const value = await step(hold);
      finished = true;
      return { value };
    } catch (error) {
      if (error instanceof RunLockLost) return { busy: true };
      throw error;
    } finally {
      stepDone.abort();
      await renewing;
      // A step that failed midway may have acted on GitLab without recording it, and a lock taken over
      // means the holder before did: the lock stays, abandoned, so whoever takes it next looks in GitLab
      // first (instead of a marker written before every action, which would cost a store write on every
      // run). A step that took over but did not get to the trigger (no free slot) has not looked yet: the
      // crash test triggered a run twice when such a step released the lock clean. Once the run is
      // finished, nobody acts on it, so the mark costs nothing more. A lost lock is not ours to release.
      await store.unlockTrigger(runId, owner, { abandoned: !finished || hold.takenOver });
    }
  }

  /**
   * The run's lock for a short store-only step, without waiting: 'busy' if a live attempt holds it. A
   * lock taken over from a dead or failed holder goes back as it was found (abandoned), so the attempt
   * that next acts on GitLab still reconciles first.
   */
  async brief<T>(runId: string, step: () => Promise<T>): Promise<T | 'busy'> {
    const { store, clock, staleMs } = this.deps;
    const owner = this.newOwner();
    const found = await store.lockTrigger(runId, owner, clock.now(), staleMs);
    if (found === 'busy') return 'busy';
    try {
      return await step();
    } finally {
      await store.unlockTrigger(runId, owner, { abandoned: found !== 'acquired' });
    }
  }

  /** One owner per attempt, not per instance: two deliveries of one run in the same instance must exclude each other too. */
  private newOwner(): string {
    return `${this.deps.instanceId}:${randomUUID()}`;
  }
}
