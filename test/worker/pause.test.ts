import { randomUUID } from 'node:crypto';
import { Firestore } from '@google-cloud/firestore';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { systemClock } from '../../service/clock.js';
import type { QueuedWork } from '../../service/domain.js';
import { createGitLabApi } from '../../service/gitlab/lazy-api.js';
import type { WorkHandler } from '../../service/queue/types.js';
import { FirestoreStore } from '../../service/store/firestore/firestore-store.js';
import { pauseGate } from '../../service/worker/pause-gate.js';
import { heldWorkOldestFirst, resumeHeldWork } from '../../service/worker/resume-held-work.js';
import { sweepStalledWork } from '../../service/worker/stalled-sweep.js';
import { MemoryStore } from '../../service/store/memory-store.js';
import { mention } from '../contract/mentions.js';
import { eventually } from '../../devtools/eventually.js';
import { captureLogger } from '../support/logs.js';
import { startWorkerWorld, type WorkerWorld } from '../support/worker-world.js';

// Pause and resume across instances: two Firestore clients on one emulator stand for two instances. The
// operator pauses through one; the other's worker keeps each mention in the store, tells its thread once,
// triggers nothing; resume (through the first) queues what waited, oldest first, and it runs.

const firestores: Firestore[] = [];
const client = () => {
  const firestore = new Firestore({ projectId: 'pause-test', host: inject('firestoreEmulatorHost'), ssl: false, universeDomain: 'googleapis.com' });
  firestores.push(firestore);
  return firestore;
};
let world: WorkerWorld | undefined;

afterEach(async () => {
  await world?.close();
  world = undefined;
});
afterAll(async () => {
  await Promise.all(firestores.map((firestore) => firestore.terminate()));
});

describe('pause and resume', () => {
  let operator: FirestoreStore;
  let instance: FirestoreStore;
  beforeAll(() => {
    const collectionPrefix = `p${randomUUID().slice(0, 8)}_`;
    operator = new FirestoreStore({ firestore: client(), collectionPrefix });
    instance = new FirestoreStore({ firestore: client(), collectionPrefix });
  });

  it('another instance keeps the mentions, tells each thread once, triggers nothing; resume runs them oldest first', async () => {
    world = await startWorkerWorld({ store: instance });
    const bot = world.bot as { id: number; token: string };
    const captured = captureLogger();
    const gated: WorkHandler = pauseGate(world.instance(new AbortController().signal), {
      store: instance,
      gitlab: createGitLabApi({ baseUrl: world.gitlab.url, token: bot.token }),
      logger: captured.logger,
      clock: systemClock,
      debounceMs: 0,
    });
    await operator.setPaused(true, 'ops', Date.now());
    expect((await instance.pauseState()).paused).toBe(true);

    const deliveries: QueuedWork[] = [];
    for (const body of ['@claude first', '@claude second']) {
      const request = world.mention(body);
      const recorded = await instance.recordMention({ noteId: request.note.id, request }, Date.now(), 0);
      if (recorded.status !== 'pending') throw new Error('not pending');
      deliveries.push({ kind: 'flow', request, seq: recorded.seq });
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    // Each message twice (a redelivery): acked, and each thread is told once.
    for (const work of [...deliveries, ...deliveries]) {
      expect(await gated({ messageId: randomUUID(), work, deliveryAttempt: 1 })).toEqual({ kind: 'ack' });
    }
    const issue = { type: 'Issue' as const, iid: world.issue.iid };
    const pausedNotes = world.gitlab.notes(world.project.id, issue).filter((note) => note.body.includes('paused by the operator'));
    expect(pausedNotes).toHaveLength(2);
    expect(new Set(pausedNotes.map((note) => note.discussionId)).size).toBe(2);
    expect(world.gitlab.pipelines(world.project.id)).toEqual([]);
    for (const work of deliveries) if (work.kind === 'flow') expect(await instance.mentionState(work.request.note.id, work.request.threadKey)).toBe('pending');

    const queued: QueuedWork[] = [];
    const { queued: resumed } = await resumeHeldWork({ store: operator, publish: async (work) => queued.push(work), clock: systemClock, logger: captured.logger }, 'ops');
    expect(resumed).toEqual(queued);
    expect(queued.map((work) => (work.kind === 'flow' ? work.request.note.id : work.kind))).toEqual(deliveries.map((work) => (work.kind === 'flow' ? work.request.note.id : 0)));
    expect((await instance.pauseState()).paused).toBe(false);

    for (const work of queued) expect(await gated({ messageId: randomUUID(), work, deliveryAttempt: 1 })).toEqual({ kind: 'ack' });
    const pipelines = await eventually('two pipelines', () => world!.gitlab.pipelines(world!.project.id).length === 2 && world!.gitlab.pipelines(world!.project.id));
    expect(pipelines.map((pipeline) => pipeline.variables.AI_FLOW_INPUT).sort()).toEqual(['@claude first', '@claude second']);
  });
});

describe('a run under way when the pause comes', () => {
  it('stops before its pipeline, keeping its state; resume carries it on', async () => {
    const store = new MemoryStore();
    world = await startWorkerWorld({ store });
    const worker = world.instance(new AbortController().signal);
    const request = world.mention('@claude under way');
    const recorded = await store.recordMention({ noteId: request.note.id, request }, Date.now() - 1000, 0);
    if (recorded.status !== 'pending') throw new Error('not pending');
    // Past the gate already (the raw worker), then paused.
    await store.setPaused(true, 'ops', Date.now());
    expect(await worker({ messageId: 'm1', work: { kind: 'flow', request, seq: recorded.seq }, deliveryAttempt: 1 })).toEqual({ kind: 'ack' });
    const runId = (await store.runOfNote(request.note.id)) as string;
    expect((await store.getRun(runId))?.state).toBe('announced');
    expect(world.gitlab.pipelines(world.project.id)).toEqual([]);
    expect(world.logs().some((line) => line.message === 'paused by the operator: the pipeline waits for resume')).toBe(true);

    const queued: QueuedWork[] = [];
    await resumeHeldWork({ store, publish: async (work) => queued.push(work), clock: systemClock, logger: captureLogger().logger }, 'ops');
    expect(queued).toEqual([{ kind: 'run', runId, projectId: world.project.id }]);
    expect(await worker({ messageId: 'm2', work: queued[0] as QueuedWork, deliveryAttempt: 1 })).toEqual({ kind: 'ack' });
    expect((await store.getRun(runId))?.state).toBe('triggered');
    expect(world.gitlab.pipelines(world.project.id)).toHaveLength(1);
  });
});

describe('what resume queues', () => {
  it('oldest first: a thread by its mention, a run by its creation, a line by its oldest waiting run', () => {
    const request = (noteId: number, receivedAt: string) => ({ note: { id: noteId }, receivedAt, threadKey: `t${noteId}` }) as never;
    const run = (runId: string, state: 'announced' | 'waiting', createdAt: number, projectId = 5) => ({ runId, state, createdAt, projectId, updatedAt: createdAt }) as never;
    const order = heldWorkOldestFirst({
      threads: [
        { mention: { noteId: 2, request: request(2, new Date(3000).toISOString()) }, seq: 1 },
        { mention: { noteId: 1, request: request(1, new Date(1000).toISOString()) }, seq: 1 },
      ],
      runs: [run('r-late', 'announced', 4000), run('r-waiting', 'waiting', 2000, 9), run('r-waiting-2', 'waiting', 500, 9)],
    });
    expect(order.map((work) => (work.kind === 'flow' ? `flow ${work.request.note.id}` : work.kind === 'run' ? `run ${work.runId}` : `${work.kind} ${'projectId' in work ? work.projectId : ''}`))).toEqual([
      'wake 9',
      'flow 1',
      'flow 2',
      'run r-late',
    ]);
  });

  it('the stalled-work sweep leaves held work alone while paused (its resumptions would give runs up)', async () => {
    const store = new MemoryStore();
    await store.recordMention(mention(1), 0, 0);
    const published: QueuedWork[] = [];
    const deps = { store, publish: async (work: QueuedWork) => published.push(work), logger: captureLogger().logger, clock: systemClock, stalledAfterMs: 1000, shutdown: new AbortController().signal };
    await store.setPaused(true, 'ops', Date.now());
    expect(await sweepStalledWork(deps, 1000)).toBe(0);
    await store.setPaused(false, 'ops', Date.now());
    expect(await sweepStalledWork(deps, 1000)).toBe(1);
    expect(published).toHaveLength(1);
  });
});
