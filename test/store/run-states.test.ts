import { describe, expect, it } from 'vitest';
import { MemoryStore } from '../../service/store/memory-store.js';
import { canTransition, guardedUpdateApplies, RUN_TRANSITIONS, TERMINAL_RUN_STATES, UNFINISHED_RUN_STATES } from '../../service/store/run-states.js';
import { mention } from '../contract/mentions.js';

// The run's transition table (service/store/run-states.ts) and the one check both stores make with it;
// the contract suite (test/contract/store.contract.test.ts) checks the same refusal on Firestore too.

describe('the run states', () => {
  it('allow the changes docs/architecture.md lists, and none out of a final state', () => {
    const allowed = Object.entries(RUN_TRANSITIONS).flatMap(([from, tos]) => tos.map((to) => `${from} → ${to}`));
    expect(allowed).toEqual([
      'claimed → announced',
      'claimed → skipped',
      'claimed → failed',
      'announced → waiting',
      'announced → triggered',
      'announced → failed',
      'waiting → triggered',
      'waiting → failed',
    ]);
    expect([...TERMINAL_RUN_STATES]).toEqual(['triggered', 'failed', 'skipped']);
    expect(UNFINISHED_RUN_STATES).toEqual(['claimed', 'announced', 'waiting']);
    expect(canTransition('waiting', 'announced')).toBe(false);
  });

  it('apply a guarded update only from an expected state and along the table', () => {
    expect(guardedUpdateApplies('claimed', 'announced', ['claimed'])).toBe(true);
    expect(guardedUpdateApplies('announced', 'triggered', ['claimed'])).toBe(false);
    expect(guardedUpdateApplies('claimed', 'triggered', ['claimed'])).toBe(false);
    expect(guardedUpdateApplies('failed', 'failed', ['failed'])).toBe(false);
    // Not a change of state: a counter or a touch.
    expect(guardedUpdateApplies('waiting', undefined, ['waiting'])).toBe(true);
    // Unguarded: a plain write.
    expect(guardedUpdateApplies('claimed', 'triggered')).toBe(true);
  });

  it('are enforced by the memory store', async () => {
    const store = new MemoryStore();
    await store.recordMention(mention(1), 0, 1000);
    await store.claimThread(mention(1).request.threadKey, 1, 1, 'run-1', 1000, 60_000);
    expect(await store.updateRun('run-1', { state: 'waiting' }, 2000, ['claimed'])).toBe(false);
    expect(await store.getRun('run-1')).toMatchObject({ state: 'claimed', updatedAt: 1000 });
    expect(await store.updateRun('run-1', { state: 'announced' }, 2100, ['claimed'])).toBe(true);
    expect(await store.updateRun('run-1', { state: 'waiting' }, 2200, ['announced'])).toBe(true);
  });
});
