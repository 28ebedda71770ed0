import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { noteDigest } from '../../service/note-digest.js';
import type { ClaimThreadResult, CoordinationStore, RunRecord } from '../../service/store/types.js';
import { mention } from './mentions.js';
import { storeKinds } from './stores.js';

// One contract, every store (docs/pubsub-firestore.md): the embedded memory store and Firestore (on its emulator) must
// answer every call the same way. Times are passed in, so nothing here sleeps.

const QUIET = 1000;
const WINDOW = 60_000;
const THREAD = '5:MergeRequest:1:d1';
const OTHER_THREAD = '5:MergeRequest:1:d2';

describe.each(storeKinds)('CoordinationStore contract: $name', (kind) => {
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

  async function claimed(result: Promise<ClaimThreadResult>): Promise<RunRecord> {
    const outcome = await result;
    if (outcome.status !== 'claimed') throw new Error(`expected a claim, got ${JSON.stringify(outcome)}`);
    return outcome.run;
  }

  describe('rememberOnce', () => {
    it('is true the first time, false within the TTL, true again once it expired', async () => {
      expect(await store.rememberOnce('delivery-1', 1000, 500)).toBe(true);
      expect(await store.rememberOnce('delivery-1', 1499, 500)).toBe(false);
      expect(await store.rememberOnce('delivery-2', 1499, 500)).toBe(true);
      expect(await store.rememberOnce('delivery-1', 1500, 500)).toBe(true);
      expect(await store.rememberOnce('delivery-1', 1600, 500)).toBe(false);
    });

    it('takes any string as a key, including slashes and long ones', async () => {
      const odd = ['a/b', '..', '__x__', 'x'.repeat(2000), 'ü ñ'];
      for (const key of odd) expect(await store.rememberOnce(key, 0, 1000)).toBe(true);
      for (const key of odd) expect(await store.rememberOnce(key, 1, 1000)).toBe(false);
    });

    it('forgets a key on request, so a retry of a delivery that could not be stored gets through', async () => {
      expect(await store.rememberOnce('delivery-1', 0, 1000)).toBe(true);
      await store.forget('delivery-1');
      expect(await store.rememberOnce('delivery-1', 1, 1000)).toBe(true);
      await store.forget('never-seen');
    });

    it('lets exactly one of many concurrent callers through', async () => {
      const results = await Promise.all(Array.from({ length: 10 }, () => store.rememberOnce('race', 0, 1000)));
      expect(results.filter(Boolean)).toHaveLength(1);
    });

    it('tells whether a key is remembered, without remembering it', async () => {
      expect(await store.isRemembered('mark', 0)).toBe(false);
      expect(await store.rememberOnce('mark', 0, 1000)).toBe(true);
      expect(await store.isRemembered('mark', 999)).toBe(true);
      expect(await store.isRemembered('mark', 1000)).toBe(false);
      expect(await store.isRemembered('never-marked', 1000)).toBe(false);
      expect(await store.rememberOnce('never-marked', 1000, 1000)).toBe(true);
    });
  });

  describe('acceptMention', () => {
    it('takes the keys and records the mention together; a taken key writes neither', async () => {
      const first = await store.acceptMention(['delivery:a', 'note:1:x'], 500, mention(1), 1000, QUIET);
      expect(first).toEqual({ status: 'pending', seq: 1, quietUntil: 1000 + QUIET });
      expect(await store.isRemembered('delivery:a', 1400)).toBe(true);
      // One key taken (a copy under another delivery key): a duplicate, and the other key is not taken.
      expect(await store.acceptMention(['delivery:b', 'note:1:x'], 500, mention(1), 1100, QUIET)).toEqual({ status: 'duplicate' });
      expect(await store.isRemembered('delivery:b', 1100)).toBe(false);
      // Once the keys expired they are free again; the note keeps its place.
      expect(await store.acceptMention(['delivery:a', 'note:1:x'], 500, mention(1), 1600, QUIET)).toMatchObject({ status: 'pending', seq: 1 });
    });

    it('places a thread\'s mentions one after another, so the latest supersedes the earlier ones', async () => {
      expect(await store.acceptMention(['note:1:x'], 500, mention(1), 0, QUIET)).toMatchObject({ status: 'pending', seq: 1 });
      expect(await store.acceptMention(['note:2:x'], 500, mention(2), 10, QUIET)).toMatchObject({ status: 'pending', seq: 2, quietUntil: 10 + QUIET });
      expect(await store.claimThread(THREAD, 1, 1, 'run-early', 10 + QUIET, WINDOW)).toEqual({ status: 'superseded' });
      const claim = await store.claimThread(THREAD, 2, 2, 'run-1', 10 + QUIET, WINDOW);
      expect(claim.status === 'claimed' && claim.run.mentions.map((m) => m.noteId)).toEqual([1, 2]);
    });

    it('answers claimed for a note a run took, as recordMention does', async () => {
      await store.acceptMention(['note:1:x'], 500, mention(1), 0, QUIET);
      await store.claimThread(THREAD, 1, 1, 'run-1', QUIET, WINDOW);
      expect(await store.acceptMention(['note:1:y'], 500, mention(1), QUIET + 1, QUIET)).toEqual({ status: 'claimed', runId: 'run-1' });
    });

    it('lets exactly one of many concurrent copies through', async () => {
      const results = await Promise.all(Array.from({ length: 6 }, () => store.acceptMention(['delivery:race'], 1000, mention(1), 0, QUIET)));
      expect(results.filter((result) => result.status !== 'duplicate')).toHaveLength(1);
    });
  });

  describe('mentionState', () => {
    it('tells an unknown note from one pending in its thread and one a run claimed', async () => {
      expect(await store.mentionState(1, THREAD)).toBe('unknown');
      await store.recordMention(mention(1), 0, QUIET);
      expect(await store.mentionState(1, THREAD)).toBe('pending');
      expect(await store.mentionState(1, OTHER_THREAD)).toBe('unknown');
      expect(await store.mentionState(2, THREAD)).toBe('unknown');
      await store.claimThread(THREAD, 1, 1, 'run-1', 1000, WINDOW);
      expect(await store.mentionState(1, THREAD)).toBe('claimed');
    });
  });

  describe('recordMention', () => {
    it('gives each new note in a thread the next seq and pushes the quiet time out', async () => {
      expect(await store.recordMention(mention(1), 0, QUIET)).toEqual({ status: 'pending', seq: 1, quietUntil: 1000 });
      expect(await store.recordMention(mention(2), 500, QUIET)).toEqual({ status: 'pending', seq: 2, quietUntil: 1500 });
      // Another thread counts on its own.
      expect(await store.recordMention(mention(3, { threadKey: OTHER_THREAD }), 600, QUIET)).toEqual({ status: 'pending', seq: 1, quietUntil: 1600 });
    });

    it('is idempotent per note id: a redelivery keeps its place and does not extend the window', async () => {
      await store.recordMention(mention(1), 0, QUIET);
      await store.recordMention(mention(2), 100, QUIET);
      expect(await store.recordMention(mention(1), 900, QUIET)).toEqual({ status: 'pending', seq: 1, quietUntil: 1100 });
      const run = await claimed(store.claimThread(THREAD, 2, 2, 'run-1', 1100, WINDOW));
      expect(run.mentions.map((m) => m.noteId)).toEqual([1, 2]);
    });

    it('an edit before the claim replaces the text; an older version arriving late does not', async () => {
      await store.recordMention(mention(1, { body: '@claude first' }), 0, QUIET);
      await store.recordMention(mention(1, { body: '@claude edited', updatedAt: '2026-11-26T03:05:00.000Z' }), 10, QUIET);
      await store.recordMention(mention(1, { body: '@claude first' }), 20, QUIET);
      const run = await claimed(store.claimThread(THREAD, 1, 1, 'run-1', 2000, WINDOW));
      expect(run.mentions).toHaveLength(1);
      expect(run.mentions[0]?.request.note.bodyDigest).toBe(noteDigest('@claude edited'));
    });

    it('after the claim an edit changes nothing and answers with the run that took the note', async () => {
      await store.recordMention(mention(1, { body: '@claude first' }), 0, QUIET);
      await store.claimThread(THREAD, 1, 1, 'run-1', 1000, WINDOW);
      const edit = mention(1, { body: '@claude edited', updatedAt: '2026-11-26T03:05:00.000Z' });
      expect(await store.recordMention(edit, 1100, QUIET)).toEqual({ status: 'claimed', runId: 'run-1' });
      expect((await store.getRun('run-1'))?.mentions[0]?.request.note.bodyDigest).toBe(noteDigest('@claude first'));
      // Nor does it open a new window in the thread.
      expect(await store.claimThread(THREAD, 1, 1, 'run-2', 5000, WINDOW)).toEqual({ status: 'claimed-by', runId: 'run-1' });
      expect(await store.getRun('run-2')).toBeNull();
    });

    it('hands out distinct seqs to concurrent mentions in one thread', async () => {
      const results = await Promise.all(Array.from({ length: 8 }, (_, i) => store.recordMention(mention(i + 1), 0, QUIET)));
      const seqs = results.map((result) => (result.status === 'pending' ? result.seq : -1));
      expect([...seqs].sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
      const last = results.findIndex((result) => result.status === 'pending' && result.seq === 8);
      const run = await claimed(store.claimThread(THREAD, 8, last + 1, 'run-1', QUIET, WINDOW));
      expect(run.mentions.map((m) => m.noteId)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    });
  });

  describe('stalledWork', () => {
    it('finds threads whose window ended long ago (their latest mention) and unfinished runs untouched since', async () => {
      await store.recordMention(mention(1), 0, QUIET);
      await store.recordMention(mention(2), 100, QUIET);
      await store.recordMention(mention(3, { threadKey: OTHER_THREAD }), 5000, QUIET);
      expect(await store.stalledWork(1000, 10)).toEqual({ threads: [], runs: [] });
      const found = await store.stalledWork(2000, 10);
      expect(found.threads.map((t) => [t.mention.noteId, t.seq])).toEqual([[2, 2]]);
      expect(found.runs).toEqual([]);

      const run = await claimed(store.claimThread(THREAD, 2, 2, 'run-1', 3000, WINDOW));
      const afterClaim = await store.stalledWork(4000, 10);
      expect(afterClaim.threads).toEqual([]);
      expect(afterClaim.runs.map((r) => [r.runId, r.state])).toEqual([[run.runId, 'claimed']]);
      // Touched since, or finished: not stalled.
      await store.updateRun('run-1', { state: 'waiting' }, 4500);
      expect((await store.stalledWork(4000, 10)).runs).toEqual([]);
      expect((await store.stalledWork(5000, 10)).runs.map((r) => r.state)).toEqual(['waiting']);
      await store.updateRun('run-1', { state: 'triggered' }, 4600);
      expect((await store.stalledWork(9000, 10)).runs).toEqual([]);
      expect((await store.stalledWork(9000, 10)).threads.map((t) => t.mention.noteId)).toEqual([3]);
    });
  });

  describe('claimThread', () => {
    it('waits until the thread is quiet', async () => {
      await store.recordMention(mention(1), 0, QUIET);
      expect(await store.claimThread(THREAD, 1, 1, 'run-1', 999, WINDOW)).toEqual({ status: 'wait', quietUntil: 1000 });
      expect(await store.runOfNote(1)).toBeNull();
      expect(await store.getRun('run-1')).toBeNull();
    });

    it('the latest mention takes the whole thread in note order; earlier ones are superseded', async () => {
      // Recorded out of order: note 3 was written first.
      await store.recordMention(mention(2), 0, QUIET);
      await store.recordMention(mention(3, { createdAt: '2026-11-26T02:00:00.000Z' }), 10, QUIET);
      await store.recordMention(mention(1), 20, QUIET);
      expect(await store.claimThread(THREAD, 1, 2, 'run-a', 5000, WINDOW)).toEqual({ status: 'superseded' });
      expect(await store.claimThread(THREAD, 2, 3, 'run-b', 5000, WINDOW)).toEqual({ status: 'superseded' });
      const run = await claimed(store.claimThread(THREAD, 3, 1, 'run-c', 5000, WINDOW));
      expect(run.mentions.map((m) => m.noteId)).toEqual([3, 1, 2]);
      expect(run).toEqual({
        runId: 'run-c',
        threadKey: THREAD,
        projectId: 5,
        mentions: [mention(3, { createdAt: '2026-11-26T02:00:00.000Z' }), mention(1), mention(2)],
        state: 'claimed',
        trackingNoteId: null,
        pipelineId: null,
        pipelineUrl: null,
        error: null,
        createdAt: 5000,
        updatedAt: 5000,
      });
      expect(await store.getRun('run-c')).toEqual(run);
      for (const noteId of [1, 2, 3]) expect(await store.runOfNote(noteId)).toBe('run-c');
      expect(await store.getRun('run-a')).toBeNull();
    });

    it('answers claimed-by for a note a run took, before anything else (a redelivery resumes that run)', async () => {
      await store.recordMention(mention(1), 0, QUIET);
      await claimed(store.claimThread(THREAD, 1, 1, 'run-1', 1000, WINDOW));
      // A new mention opens a new window: note 1 would be "superseded" and "wait", but it is claimed first.
      await store.recordMention(mention(2), 1100, QUIET);
      expect(await store.claimThread(THREAD, 1, 1, 'run-x', 1200, WINDOW)).toEqual({ status: 'claimed-by', runId: 'run-1' });
      expect(await store.claimThread(THREAD, 1, 1, 'run-1', 9999, WINDOW)).toEqual({ status: 'claimed-by', runId: 'run-1' });
    });

    it('supersedes a note it never saw, and continues seqs after a claim with only the new mentions', async () => {
      expect(await store.claimThread(THREAD, 1, 42, 'run-0', 0, WINDOW)).toEqual({ status: 'superseded' });
      await store.recordMention(mention(1), 0, QUIET);
      await claimed(store.claimThread(THREAD, 1, 1, 'run-1', 1000, WINDOW));
      expect(await store.recordMention(mention(2), 2000, QUIET)).toEqual({ status: 'pending', seq: 2, quietUntil: 3000 });
      const run = await claimed(store.claimThread(THREAD, 2, 2, 'run-2', 3000, WINDOW));
      expect(run.mentions.map((m) => m.noteId)).toEqual([2]);
    });

    it('never takes a note another run took, even one that got into a second window', async () => {
      // recordMention refuses a claimed note; this note got into a second thread's window before its
      // first claim (a thread key that changed between deliveries), which is the one way past that check.
      await store.recordMention(mention(1), 0, QUIET);
      await store.recordMention(mention(1, { threadKey: OTHER_THREAD }), 0, QUIET);
      await store.recordMention(mention(2, { threadKey: OTHER_THREAD }), 10, QUIET);
      await claimed(store.claimThread(THREAD, 1, 1, 'run-1', 1000, WINDOW));
      const second = await store.claimThread(OTHER_THREAD, 2, 2, 'run-2', 2000, WINDOW);
      expect(second.status === 'claimed' && second.run.mentions.map((m) => m.noteId)).toEqual([2]);
      expect(second.status === 'claimed' && second.leftOut).toEqual([1]);
      expect(await store.runOfNote(1)).toBe('run-1');
      expect(await store.runOfNote(2)).toBe('run-2');
    });

    it('counts the runs the thread started within the budget window', async () => {
      const counts: number[] = [];
      for (const [i, at] of [0, 1000, 2000, 2400].entries()) {
        await store.recordMention(mention(i + 1), at - QUIET, QUIET);
        const outcome = await store.claimThread(THREAD, i + 1, i + 1, `run-${i}`, at, 1500);
        counts.push(outcome.status === 'claimed' ? outcome.recentRunCount : -1);
      }
      // At 2000 only the run at 1000 is within 1500 ms (0 is not); at 2400, those at 1000 and 2000.
      expect(counts).toEqual([0, 1, 1, 2]);
      // Another thread has its own budget.
      await store.recordMention(mention(9, { threadKey: OTHER_THREAD }), 2000, QUIET);
      const other = await store.claimThread(OTHER_THREAD, 1, 9, 'run-other', 3000, 1500);
      expect(other.status === 'claimed' && other.recentRunCount).toBe(0);
    });

    it('lets exactly one of many concurrent claims win; the others see the winner', async () => {
      await store.recordMention(mention(1), 0, QUIET);
      await store.recordMention(mention(2), 0, QUIET);
      const outcomes = await Promise.all(Array.from({ length: 12 }, (_, i) => store.claimThread(THREAD, 2, 2, `run-${i}`, 1000, WINDOW)));
      const winners = outcomes.filter((outcome) => outcome.status === 'claimed');
      expect(winners).toHaveLength(1);
      const winner = (winners[0] as { run: RunRecord }).run.runId;
      expect(outcomes.filter((outcome) => outcome.status !== 'claimed')).toEqual(Array(11).fill({ status: 'claimed-by', runId: winner }));
      expect(await store.runOfNote(1)).toBe(winner);
      expect(await store.runOfNote(2)).toBe(winner);
      for (let i = 0; i < 12; i += 1) {
        const run = await store.getRun(`run-${i}`);
        expect(run === null).toBe(`run-${i}` !== winner);
      }
    });
  });

  describe('runs', () => {
    it('updates a run, stamps updatedAt, and keeps its id', async () => {
      await store.recordMention(mention(1), 0, QUIET);
      const run = await claimed(store.claimThread(THREAD, 1, 1, 'run-1', 1000, WINDOW));
      expect(await store.updateRun('run-1', { state: 'announced', trackingNoteId: 77, trackingDiscussionId: 'd1', announceStartedAt: 1500 }, 2000)).toBe(true);
      expect(await store.getRun('run-1')).toEqual({ ...run, state: 'announced', trackingNoteId: 77, trackingDiscussionId: 'd1', announceStartedAt: 1500, updatedAt: 2000 });
    });

    it('applies a guarded update only from the expected states', async () => {
      await store.recordMention(mention(1), 0, QUIET);
      await claimed(store.claimThread(THREAD, 1, 1, 'run-1', 1000, WINDOW));
      expect(await store.updateRun('run-1', { state: 'triggered', pipelineId: 9 }, 2000, ['announced', 'waiting'])).toBe(false);
      expect(await store.getRun('run-1')).toMatchObject({ state: 'claimed', pipelineId: null, updatedAt: 1000 });
      expect(await store.updateRun('run-1', { state: 'announced' }, 2100, ['claimed'])).toBe(true);
      expect(await store.updateRun('run-1', { state: 'triggered', pipelineId: 9, pipelineUrl: 'https://p/9' }, 2200, ['announced', 'waiting'])).toBe(true);
      expect(await store.getRun('run-1')).toMatchObject({ state: 'triggered', pipelineId: 9, pipelineUrl: 'https://p/9', updatedAt: 2200 });
      expect(await store.updateRun('missing', { state: 'failed' }, 2300)).toBe(false);
      expect(await store.getRun('missing')).toBeNull();
    });

    it('refuses a guarded change of state that the transition table does not allow', async () => {
      await store.recordMention(mention(1), 0, QUIET);
      await claimed(store.claimThread(THREAD, 1, 1, 'run-1', 1000, WINDOW));
      // Expected state right, change wrong: claimed cannot skip announcing.
      expect(await store.updateRun('run-1', { state: 'triggered', pipelineId: 9 }, 2000, ['claimed'])).toBe(false);
      expect(await store.getRun('run-1')).toMatchObject({ state: 'claimed', pipelineId: null, updatedAt: 1000 });
      expect(await store.updateRun('run-1', { state: 'skipped' }, 2100, ['claimed'])).toBe(true);
      // A final state is left by no guarded update, and a guarded patch without a state still applies.
      expect(await store.updateRun('run-1', { state: 'claimed' }, 2200, ['skipped'])).toBe(false);
      expect(await store.updateRun('run-1', { error: 'why' }, 2300, ['skipped'])).toBe(true);
      expect(await store.getRun('run-1')).toMatchObject({ state: 'skipped', error: 'why', updatedAt: 2300 });
    });

    it('lets only one of concurrent guarded updates through', async () => {
      await store.recordMention(mention(1), 0, QUIET);
      await claimed(store.claimThread(THREAD, 1, 1, 'run-1', 1000, WINDOW));
      const results = await Promise.all(
        Array.from({ length: 6 }, (_, i) => store.updateRun('run-1', { state: 'announced', trackingNoteId: i }, 2000 + i, ['claimed'])),
      );
      expect(results.filter(Boolean)).toHaveLength(1);
      expect((await store.getRun('run-1'))?.trackingNoteId).toBe(results.indexOf(true));
    });
  });

  describe('trigger lock', () => {
    it('is exclusive while fresh, renewable by its owner, and taken over (stale) once old', async () => {
      expect(await store.lockTrigger('run-1', 'a', 0, 1000)).toBe('acquired');
      expect(await store.lockTrigger('run-1', 'b', 999, 1000)).toBe('busy');
      expect(await store.lockTrigger('run-1', 'a', 999, 1000)).toBe('renewed');
      // a renewed at 999: still fresh at 1500.
      expect(await store.lockTrigger('run-1', 'b', 1500, 1000)).toBe('busy');
      expect(await store.lockTrigger('run-1', 'b', 1999, 1000)).toBe('acquired-stale');
      expect(await store.lockTrigger('run-1', 'a', 2000, 1000)).toBe('busy');
      // Locks are per run.
      expect(await store.lockTrigger('run-2', 'a', 2000, 1000)).toBe('acquired');
    });

    it('tells a holder whose lock was taken over, even once the taker let it go, that it is no longer renewing its own', async () => {
      await store.lockTrigger('run-1', 'a', 0, 1000);
      expect(await store.lockTrigger('run-1', 'b', 1000, 1000)).toBe('acquired-stale');
      await store.unlockTrigger('run-1', 'b');
      // a was stalled all along: its late renewal finds no lock, and takes a new one, not its old one back.
      expect(await store.lockTrigger('run-1', 'a', 1100, 1000)).toBe('acquired');
      await store.unlockTrigger('run-1', 'a', { abandoned: true });
      expect(await store.lockTrigger('run-1', 'c', 1200, 1000)).toBe('acquired-stale');
      expect(await store.lockTrigger('run-1', 'a', 1300, 1000)).toBe('busy');
    });

    it('is released only by its owner', async () => {
      await store.lockTrigger('run-1', 'a', 0, 1000);
      await store.unlockTrigger('run-1', 'b');
      expect(await store.lockTrigger('run-1', 'b', 10, 1000)).toBe('busy');
      await store.unlockTrigger('run-1', 'a');
      expect(await store.lockTrigger('run-1', 'b', 20, 1000)).toBe('acquired');
    });

    it('stays, already stale, when its owner abandons it: the next owner knows to reconcile', async () => {
      await store.lockTrigger('run-1', 'a', 0, 1000);
      await store.unlockTrigger('run-1', 'b', { abandoned: true }); // not b's: nothing happens
      expect(await store.lockTrigger('run-1', 'b', 10, 1000)).toBe('busy');
      await store.unlockTrigger('run-1', 'a', { abandoned: true });
      expect(await store.lockTrigger('run-1', 'b', 20, 1000)).toBe('acquired-stale');
      await store.unlockTrigger('run-1', 'b');
      expect(await store.lockTrigger('run-1', 'c', 30, 1000)).toBe('acquired');
    });

    it('goes to exactly one of many concurrent owners', async () => {
      const results = await Promise.all(Array.from({ length: 6 }, (_, i) => store.lockTrigger('run-1', `owner-${i}`, 0, 1000)));
      expect(results.filter((result) => result === 'acquired')).toHaveLength(1);
      expect(results.filter((result) => result === 'busy')).toHaveLength(5);
    });
  });

  describe('project slots', () => {
    const LEASE = 10_000;
    const thread = (n: number) => `5:Issue:${n}:d`;

    it('grants up to the limit, then queues in order; re-asking keeps the place and renews a held lease', async () => {
      expect(await store.acquireSlot(5, 'a', thread(1), 2, 0, LEASE)).toEqual({ granted: true });
      expect(await store.acquireSlot(5, 'b', thread(2), 2, 0, LEASE)).toEqual({ granted: true });
      expect(await store.acquireSlot(5, 'c', thread(3), 2, 1, LEASE)).toEqual({ granted: false, position: 1 });
      expect(await store.acquireSlot(5, 'd', thread(4), 2, 2, LEASE)).toEqual({ granted: false, position: 2 });
      expect(await store.acquireSlot(5, 'c', thread(3), 2, 3, LEASE)).toEqual({ granted: false, position: 1 });
      expect(await store.waitingRuns(5)).toEqual(['c', 'd']);
      expect((await store.activeRuns(5, 4)).sort()).toEqual(['a', 'b']);
      // a renews at 5000 (until 15000); b's lease ends at 10000.
      expect(await store.acquireSlot(5, 'a', thread(1), 2, 5000, LEASE)).toEqual({ granted: true });
      expect(await store.activeRuns(5, 12_000)).toEqual(['a']);
      // Another project is independent.
      expect(await store.acquireSlot(6, 'z', thread(1), 1, 0, LEASE)).toEqual({ granted: true });
      expect(await store.waitingRuns(6)).toEqual([]);
    });

    it('serves the line first come first served when a slot frees', async () => {
      await store.acquireSlot(5, 'a', thread(1), 1, 0, LEASE);
      await store.acquireSlot(5, 'b', thread(2), 1, 1, LEASE);
      await store.acquireSlot(5, 'c', thread(3), 1, 2, LEASE);
      expect(await store.releaseSlot(5, { runId: 'a' })).toBe('a');
      // c asks first, but b is ahead of it.
      expect(await store.acquireSlot(5, 'c', thread(3), 1, 3, LEASE)).toEqual({ granted: false, position: 2 });
      expect(await store.acquireSlot(5, 'b', thread(2), 1, 4, LEASE)).toEqual({ granted: true });
      expect(await store.waitingRuns(5)).toEqual(['c']);
      expect(await store.acquireSlot(5, 'c', thread(3), 1, 5, LEASE)).toEqual({ granted: false, position: 1 });
    });

    it('never runs two runs of one thread at once, and lets other threads pass the blocked one', async () => {
      expect(await store.acquireSlot(5, 'a', thread(1), 3, 0, LEASE)).toEqual({ granted: true });
      expect(await store.acquireSlot(5, 'b', thread(1), 3, 1, LEASE)).toEqual({ granted: false, position: 1 });
      expect(await store.acquireSlot(5, 'c', thread(2), 3, 2, LEASE)).toEqual({ granted: true });
      expect(await store.waitingRuns(5)).toEqual(['b']);
      await store.releaseSlot(5, { runId: 'a' });
      expect(await store.acquireSlot(5, 'b', thread(1), 3, 3, LEASE)).toEqual({ granted: true });
      expect((await store.activeRuns(5, 4)).sort()).toEqual(['b', 'c']);
    });

    it('reclaims expired leases', async () => {
      await store.acquireSlot(5, 'a', thread(1), 1, 0, 1000);
      expect(await store.acquireSlot(5, 'b', thread(2), 1, 999, 1000)).toEqual({ granted: false, position: 1 });
      expect(await store.activeRuns(5, 999)).toEqual(['a']);
      expect(await store.activeRuns(5, 1000)).toEqual([]);
      expect(await store.acquireSlot(5, 'b', thread(2), 1, 1000, 1000)).toEqual({ granted: true });
      // a's lease is gone for good: asking again puts it in the line.
      expect(await store.acquireSlot(5, 'a', thread(1), 1, 1001, 1000)).toEqual({ granted: false, position: 1 });
    });

    it('releases by pipeline id once attached; releasing twice or an unknown one returns null', async () => {
      await store.acquireSlot(5, 'a', thread(1), 2, 0, LEASE);
      await store.acquireSlot(5, 'b', thread(2), 2, 0, LEASE);
      await store.attachPipeline(5, 'a', 77);
      // Attaching to a run that holds no slot does nothing.
      await store.attachPipeline(5, 'nobody', 88);
      expect(await store.releaseSlot(5, { pipelineId: 88 })).toBeNull();
      expect(await store.releaseSlot(6, { pipelineId: 77 })).toBeNull();
      expect(await store.releaseSlot(5, { pipelineId: 77 })).toBe('a');
      expect(await store.releaseSlot(5, { pipelineId: 77 })).toBeNull();
      expect(await store.activeRuns(5, 1)).toEqual(['b']);
      expect(await store.releaseSlot(5, { runId: 'b' })).toBe('b');
      expect(await store.releaseSlot(5, { runId: 'b' })).toBeNull();
    });

    it('release by run id also takes a waiting run out of the line', async () => {
      await store.acquireSlot(5, 'a', thread(1), 1, 0, LEASE);
      await store.acquireSlot(5, 'b', thread(2), 1, 0, LEASE);
      await store.acquireSlot(5, 'c', thread(3), 1, 0, LEASE);
      expect(await store.releaseSlot(5, { runId: 'b' })).toBe('b');
      expect(await store.waitingRuns(5)).toEqual(['c']);
      expect(await store.activeRuns(5, 1)).toEqual(['a']);
    });

    it('grants no more than the limit to concurrent requests, and queues the rest once each', async () => {
      const results = await Promise.all(Array.from({ length: 6 }, (_, i) => store.acquireSlot(5, `r${i}`, thread(i), 3, 0, LEASE)));
      expect(results.filter((result) => result.granted)).toHaveLength(3);
      const positions = results.flatMap((result) => (result.granted ? [] : [result.position]));
      expect(positions.sort()).toEqual([1, 2, 3]);
      expect(await store.activeRuns(5, 1)).toHaveLength(3);
      expect(await store.waitingRuns(5)).toHaveLength(3);
    });
  });
});
