import { afterEach, describe, expect, it } from 'vitest';
import { systemClock } from '../../service/clock.js';
import type { FlowRequest, QueuedWork } from '../../service/domain.js';
import { MemoryStore } from '../../service/store/memory-store.js';
import type { RunRecord } from '../../service/store/types.js';
import { isClosedOut } from '../../service/tracking-note.js';
import { requeueFor, sweepStalledWork } from '../../service/worker/stalled-sweep.js';
import { eventually } from '../../devtools/eventually.js';
import { captureLogger } from '../support/logs.js';
import { startWorkerWorld, WORKER_DEBOUNCE_MS, type WorkerWorld } from '../support/worker-world.js';

// Work whose queue message is gone (dead-lettered after its last attempt, or lost) stays in the store;
// the sweep queues it again. Here the messages are never sent at all: only the store knows the work.

const DEBOUNCE_MS = WORKER_DEBOUNCE_MS;
const STALLED_AFTER_MS = 200;

let world: WorkerWorld | undefined;
afterEach(async () => {
  await world?.close();
  world = undefined;
});

async function setUp() {
  const store = new MemoryStore();
  world = await startWorkerWorld({ store });
  const { gitlab, queue, project, issue, bot } = world;
  const captured = captureLogger();
  const sweep = () =>
    sweepStalledWork(
      { store, publish: (work) => queue.publish(work), logger: captured.logger, clock: systemClock, stalledAfterMs: STALLED_AFTER_MS, shutdown: new AbortController().signal },
      // A fresh interval per call, so each call sweeps.
      1 + Math.floor(Math.random() * 1e9),
    );
  return { gitlab, project, issue, bot, store, mentionOf: world.mention, sweep, logs: world.logs };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('the stalled-work sweep', () => {
  it('runs a mention recorded at ingest whose message never arrived', async () => {
    const { gitlab, project, store, mentionOf, sweep } = await setUp();
    const request = mentionOf('@claude recorded, never queued');
    await store.recordMention({ noteId: request.note.id, request }, Date.now(), DEBOUNCE_MS);
    expect(await sweep()).toBe(0); // not stalled yet
    await sleep(STALLED_AFTER_MS + DEBOUNCE_MS + 50);
    expect(await sweep()).toBe(1);
    const [pipeline] = await eventually('a pipeline', () => gitlab.pipelines(project.id)[0] && gitlab.pipelines(project.id));
    expect(pipeline?.variables.AI_FLOW_INPUT).toBe('@claude recorded, never queued');
  });

  it('carries on a claimed run whose messages are gone, and gives up on one resumed too often', async () => {
    const { gitlab, project, issue, bot, store, mentionOf, sweep, logs } = await setUp();
    const claim = async (body: string, runId: string): Promise<RunRecord> => {
      const request = mentionOf(body);
      const recorded = await store.recordMention({ noteId: request.note.id, request }, Date.now() - 10_000, DEBOUNCE_MS);
      if (recorded.status !== 'pending') throw new Error('expected pending');
      const claimed = await store.claimThread(request.threadKey, recorded.seq, request.note.id, runId, Date.now(), 86_400_000);
      if (claimed.status !== 'claimed') throw new Error('expected a claim');
      return claimed.run;
    };
    await claim('@claude claimed, then the instance died', 'run-orphan');
    await sleep(STALLED_AFTER_MS + 50);
    expect(await sweep()).toBe(1);
    await eventually('its pipeline', () => gitlab.pipelines(project.id).length === 1);
    expect((await store.getRun('run-orphan'))?.state).toBe('triggered');

    // A run the sweep already resumed three times (each time it stalled again), over an hour old, is
    // given up; it was announced, so its tracking note says so.
    const hopeless = await claim('@claude hopeless', 'run-hopeless');
    const request = hopeless.mentions[0]!.request;
    const tracking = gitlab.addNote(project.id, { type: 'Issue', iid: issue.iid }, { body: 'Claude is on it', authorId: bot.id, discussionId: request.note.discussionId ?? undefined });
    await store.updateRun(hopeless.runId, { state: 'announced', stalledResumes: 3, createdAt: Date.now() - 2 * 3600_000, trackingNoteId: tracking.id, trackingDiscussionId: tracking.discussionId }, Date.now() - 10_000);
    expect(await sweep()).toBe(1);
    await eventually('the run given up', async () => (await store.getRun('run-hopeless'))?.state === 'failed');
    expect(logs().some((line) => line.message === 'run stalled and was resumed too often: given up' && line.runId === 'run-hopeless')).toBe(true);
    expect(gitlab.pipelines(project.id)).toHaveLength(1);
    const closed = await eventually('the tracking note closed', () => gitlab.notes(project.id, { type: 'Issue', iid: issue.iid }).find((note) => note.id === tracking.id && note.body.includes('GitLab kept failing')));
    expect(isClosedOut(closed.body)).toBe(true);
  });
});

describe('the stalled-work sweep, for runs that hold a slot', () => {
  it('triggers a waiting run that got its slot but lost its message before triggering', async () => {
    const { gitlab, project, issue, bot, store, mentionOf, sweep } = await setUp();
    const request = mentionOf('@claude got a slot, then the instance died');
    const recorded = await store.recordMention({ noteId: request.note.id, request }, Date.now() - 10_000, DEBOUNCE_MS);
    if (recorded.status !== 'pending') throw new Error('expected pending');
    const claimed = await store.claimThread(request.threadKey, recorded.seq, request.note.id, 'run-leased', Date.now(), 86_400_000);
    if (claimed.status !== 'claimed') throw new Error('expected a claim');
    const tracking = gitlab.addNote(project.id, { type: 'Issue', iid: issue.iid }, { body: 'Claude is queued', authorId: bot.id, discussionId: request.note.discussionId ?? undefined });
    await store.updateRun('run-leased', { state: 'waiting', trackingNoteId: tracking.id, trackingDiscussionId: tracking.discussionId }, Date.now() - 10_000);
    expect(await store.acquireSlot(project.id, 'run-leased', request.threadKey, 2, Date.now(), 60_000)).toEqual({ granted: true });
    expect(await sweep()).toBe(1); // a wake for the project: the run is in no line
    await eventually('its pipeline', () => gitlab.pipelines(project.id).length === 1);
    expect((await store.getRun('run-leased'))?.state).toBe('triggered');
  });
});

describe('requeueFor', () => {
  const run = (runId: string, state: RunRecord['state'], projectId: number) => ({ runId, state, projectId }) as RunRecord;
  it('resumes claimed and announced runs, wakes the line of a project with waiting runs (once), and claims threads by their latest mention', () => {
    const request = { project: { id: 7 }, note: { id: 70 }, threadKey: '7:Issue:1:d' } as FlowRequest;
    const queued = requeueFor({
      threads: [{ mention: { noteId: 70, request }, seq: 4 }],
      runs: [run('a', 'claimed', 7), run('b', 'waiting', 8), run('c', 'waiting', 8), run('d', 'announced', 9)],
    });
    // Publishes carry no ordering key any more; the project comes from the work itself.
    const projectOf = (work: QueuedWork) =>
      String(work.kind === 'flow' ? work.request.project.id : work.kind === 'pipeline' ? work.event.projectId : work.projectId);
    expect(queued.map(({ work }) => [work.kind, projectOf(work), work.kind === 'run' ? work.runId : work.kind === 'flow' ? work.seq : null])).toEqual([
      ['flow', '7', 4],
      ['run', '7', 'a'],
      ['run', '9', 'd'],
      ['wake', '8', null],
    ]);
  });
});
