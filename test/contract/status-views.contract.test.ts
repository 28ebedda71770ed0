import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { CoordinationStore } from '../../service/store/types.js';
import { mention } from './mentions.js';
import { storeKinds } from './stores.js';

// The store's read views (the status page) and the pause flag answer alike on every store.

describe.each(storeKinds)('status views and the pause flag: $name', (kind) => {
  let env: Awaited<ReturnType<typeof kind.setup>>;
  let store: CoordinationStore;

  beforeAll(async () => {
    env = await kind.setup();
  });
  afterAll(async () => {
    await env.close();
  });
  beforeEach(() => {
    store = env.fresh();
  });

  it('lists the runs updated last, newest first', async () => {
    for (const [index, noteId] of [1, 2, 3].entries()) {
      const thread = `5:Issue:${noteId}:d`;
      const recorded = await store.recordMention(mention(noteId, { threadKey: thread }), 1000, 10);
      if (recorded.status !== 'pending') throw new Error('not pending');
      await store.claimThread(thread, recorded.seq, noteId, `run-${noteId}`, 2000 + index, 60_000);
    }
    await store.updateRun('run-1', { state: 'announced' }, 5000);
    expect((await store.listRecentRuns(2)).map((run) => run.runId)).toEqual(['run-1', 'run-3']);
    expect(await store.listRecentRuns(10)).toHaveLength(3);
  });

  it('shows each project’s live leases and its line', async () => {
    await store.acquireSlot(7, 'run-a', 'thread-a', 1, 1000, 10_000);
    await store.acquireSlot(7, 'run-b', 'thread-b', 1, 1000, 10_000);
    await store.attachPipeline(7, 'run-a', 99);
    expect(await store.listProjectSlots(2000)).toEqual([
      { projectId: 7, active: [{ runId: 'run-a', threadKey: 'thread-a', pipelineId: 99, expiresAt: 11_000 }], waiting: ['run-b'] },
    ]);
    expect((await store.listProjectSlots(20_000))[0]?.active).toEqual([]);
  });

  it('pauses and resumes; a second pause keeps the first one’s time', async () => {
    expect(await store.pauseState()).toEqual({ paused: false, since: null, by: null, updatedAt: null });
    expect(await store.setPaused(true, 'ops', 1000)).toEqual({ paused: true, since: 1000, by: 'ops', updatedAt: 1000 });
    await store.setPaused(true, 'ops2', 2000);
    expect(await store.pauseState()).toEqual({ paused: true, since: 1000, by: 'ops2', updatedAt: 2000 });
    await store.setPaused(false, 'ops', 3000);
    expect(await store.pauseState()).toEqual({ paused: false, since: null, by: 'ops', updatedAt: 3000 });
  });

  it('keeps incidents, newest first', async () => {
    await store.recordIncident({ at: 1, kind: 'dead-letter', message: 'first' });
    await store.recordIncident({ at: 2, kind: 'error', message: 'second' });
    expect(await store.recentIncidents(1)).toEqual([{ at: 2, kind: 'error', message: 'second' }]);
    expect((await store.recentIncidents(10)).map((incident) => incident.message)).toEqual(['second', 'first']);
  });
});
