import { afterEach, describe, expect, it } from 'vitest';
import type { Delivery } from '../../service/queue/types.js';
import { MemoryStore } from '../../service/store/memory-store.js';
import { eventually } from '../../devtools/eventually.js';
import { startWorkerWorld, type WorkerWorld } from '../support/worker-world.js';

// A worker whose instance is stopping ends its waits (debounce, project slot) at once and hands the
// message back: not a failed attempt, so it never counts toward the dead letter. Another instance then
// carries it on, and its log says where the redelivery ended.

let world: WorkerWorld | undefined;
afterEach(async () => {
  await world?.close();
  world = undefined;
});

const LIMIT = 2; // the worker world's MAX_CONCURRENT_PIPELINES

async function setUp() {
  const store = new MemoryStore();
  const stopping = new AbortController();
  world = await startWorkerWorld({ store, shutdown: stopping.signal });
  const request = world.mention('@claude go');
  const delivery: Delivery = { messageId: 'm-1', work: { kind: 'flow', request }, deliveryAttempt: 1 };
  return { world, store, stopping, request, delivery };
}

function linesAbout(world: WorkerWorld, messageId: string, message: string) {
  return world.logs().filter((line) => line.messageId === messageId && line.message === message);
}

describe('a worker shutting down', () => {
  it('hands back a mention waiting for its thread to be quiet; another instance runs it', async () => {
    const { world, stopping, delivery } = await setUp();
    const outcome = world.handler(delivery);
    stopping.abort();
    expect(await outcome).toEqual({ kind: 'hand-back', reason: 'shutting down' });
    expect(linesAbout(world, 'm-1', 'shutting down: message handed back for redelivery')).toHaveLength(1);
    expect(world.gitlab.pipelines(world.project.id)).toHaveLength(0);

    const other = world.instance(new AbortController().signal);
    expect(await other({ ...delivery, deliveryAttempt: 2 })).toEqual({ kind: 'ack' });
    expect(world.gitlab.pipelines(world.project.id)).toHaveLength(1);
    expect(linesAbout(world, 'm-1', 'redelivered message handled').map((line) => [line.deliveryAttempt, line.outcome])).toEqual([[2, 'ack']]);
  });

  it('hands back a run waiting for a project slot, instead of counting a failed attempt', async () => {
    const { world, store, stopping, request, delivery } = await setUp();
    const projectId = world.project.id;
    for (const filler of ['filler-1', 'filler-2']) await store.acquireSlot(projectId, filler, `thread-of-${filler}`, LIMIT, Date.now(), 60_000);
    const outcome = world.handler(delivery);
    await eventually('the run to queue for a slot', async () => {
      const runId = await store.runOfNote(request.note.id);
      return runId !== null && (await store.getRun(runId))?.state === 'waiting';
    });
    stopping.abort();
    expect(await outcome).toEqual({ kind: 'hand-back', reason: 'shutting down' });
    expect(world.gitlab.pipelines(projectId)).toHaveLength(0);

    await store.releaseSlot(projectId, { runId: 'filler-1' });
    const other = world.instance(new AbortController().signal);
    expect(await other({ ...delivery, deliveryAttempt: 2 })).toEqual({ kind: 'ack' });
    expect(world.gitlab.pipelines(projectId)).toHaveLength(1);
    expect(linesAbout(world, 'm-1', 'redelivered message handled').map((line) => [line.deliveryAttempt, line.outcome])).toEqual([[2, 'ack']]);
  });

  it('hands back a run whose lock another live attempt holds, instead of counting a failed attempt', async () => {
    const { world, store, stopping, request, delivery } = await setUp();
    // The run is claimed, and another attempt holds its lock (and keeps it fresh).
    const recorded = await store.recordMention({ noteId: request.note.id, request }, Date.now(), 0);
    if (recorded.status !== 'pending') throw new Error('expected a pending mention');
    const claim = await store.claimThread(request.threadKey, recorded.seq, request.note.id, 'run-held-elsewhere', Date.now() + 1000, 86_400_000);
    expect(claim.status).toBe('claimed');
    expect(await store.lockTrigger('run-held-elsewhere', 'another-attempt', Date.now(), 20_000)).toBe('acquired');

    const outcome = world.handler(delivery);
    await new Promise((resolve) => setTimeout(resolve, 300)); // waiting for the lock
    stopping.abort();
    expect(await outcome).toEqual({ kind: 'hand-back', reason: 'shutting down' });
    expect(world.gitlab.pipelines(world.project.id)).toHaveLength(0);
  });
});
