import { afterEach, describe, expect, it } from 'vitest';
import { MemoryStore } from '../../service/store/memory-store.js';
import type { RunRecord, RunState } from '../../service/store/types.js';
import { eventually } from '../../devtools/eventually.js';
import { startWorkerWorld, type WorkerWorld } from '../support/worker-world.js';

// An attempt that dies between acting on GitLab and recording it must not act twice: the next attempt
// asks GitLab (by the run marker in the tracking note, by AI_FLOW_CONTEXT in the pipeline's variables).

/** A store whose next update into `state` fails as if the process died right there. */
class CrashingStore extends MemoryStore {
  crashBefore = new Set<RunState>();
  /** Runs while the "dead" attempt is gone, before its message comes back. */
  meanwhile: ((patch: Partial<RunRecord>) => Promise<void>) | null = null;
  override async updateRun(runId: string, patch: Partial<Omit<RunRecord, 'runId'>>, now: number, expected?: RunState[]): Promise<boolean> {
    if (patch.state && this.crashBefore.delete(patch.state)) {
      await this.meanwhile?.(patch);
      throw new Error(`simulated crash before recording ${patch.state}`);
    }
    return super.updateRun(runId, patch, now, expected);
  }
}

let world: WorkerWorld | undefined;
afterEach(async () => {
  await world?.close();
  world = undefined;
});

async function setUp(crashBefore: RunState) {
  const store = new CrashingStore();
  store.crashBefore.add(crashBefore);
  world = await startWorkerWorld({ store });
  const { gitlab, queue, handler, project, issue } = world;
  return { gitlab, queue, project, issue, store, handler, request: world.mention('@claude go') };
}

describe('crash recovery', () => {
  it('a crash after the pipeline was created but before it was recorded does not start a second one', async () => {
    const { gitlab, queue, project, request } = await setUp('triggered');
    await queue.publish({ kind: 'flow', request });
    await eventually('the run to finish', () => queue.depth === 0 && gitlab.pipelines(project.id).length > 0);
    expect(gitlab.pipelines(project.id)).toHaveLength(1);
    expect(gitlab.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/pipeline'))).toHaveLength(1);
  });

  it('a crash after the pipeline was created, while it finishes, still frees the project slot', async () => {
    const { gitlab, queue, project, store, handler, request } = await setUp('triggered');
    // While the crashed attempt is gone, the pipeline ends and its Pipeline Hook is handled; the
    // message's next attempt then takes a slot again before it finds the pipeline.
    store.meanwhile = async (patch) => {
      const pipelineId = patch.pipelineId as number;
      await gitlab.finishPipeline(project.id, pipelineId, 'success');
      await handler({ messageId: 'hook', deliveryAttempt: 1, work: { kind: 'pipeline', event: { projectId: project.id, pipelineId, status: 'success', url: null, variables: {}, deliveryId: 'hook' } } });
    };
    await queue.publish({ kind: 'flow', request });
    await eventually('the run to be recorded as triggered', async () => queue.depth === 0 && (await store.runOfNote(request.note.id)) !== null && (await store.getRun((await store.runOfNote(request.note.id)) as string))?.state === 'triggered');
    expect(gitlab.pipelines(project.id)).toHaveLength(1);
    expect(await store.activeRuns(project.id, Date.now())).toEqual([]);
  });

  it('a crash after the pipeline was created, then a full project, does not start a second one once a slot frees', async () => {
    // The crash test's story: the next attempt takes the dead one's lock over, finds no free slot and
    // steps back; the attempt that later gets a slot must still look in GitLab first.
    const { gitlab, queue, project, store, request } = await setUp('triggered');
    const LIMIT = 2;
    store.meanwhile = async () => {
      const runId = (await store.runOfNote(request.note.id)) as string;
      await store.releaseSlot(project.id, { runId });
      for (const filler of ['filler-1', 'filler-2']) await store.acquireSlot(project.id, filler, `thread-of-${filler}`, LIMIT, Date.now(), 60_000);
    };
    await queue.publish({ kind: 'flow', request });
    const runId = await eventually('the run to queue for a slot', async () => {
      const id = await store.runOfNote(request.note.id);
      return id !== null && (await store.getRun(id))?.state === 'waiting' ? id : null;
    });
    await store.releaseSlot(project.id, { runId: 'filler-1' });
    await eventually('the run to be recorded as triggered', async () => queue.depth === 0 && (await store.getRun(runId as string))?.state === 'triggered');
    expect(gitlab.pipelines(project.id)).toHaveLength(1);
  });

  it('a crash after the tracking note was posted but before it was recorded does not post a second one', async () => {
    const { gitlab, queue, project, issue, request } = await setUp('announced');
    await queue.publish({ kind: 'flow', request });
    await eventually('the run to finish', () => queue.depth === 0 && gitlab.pipelines(project.id).length > 0);
    const botNotes = gitlab.notes(project.id, { type: 'Issue', iid: issue.iid }).filter((n) => n.authorUsername === 'claude-bot');
    expect(botNotes).toHaveLength(1);
    expect(gitlab.pipelines(project.id)).toHaveLength(1);
  });

  it('the same request delivered many times at once still starts one pipeline', async () => {
    const { gitlab, queue, project, request } = await setUp('skipped');
    await Promise.all(Array.from({ length: 8 }, () => queue.publish({ kind: 'flow', request })));
    await eventually('the run to finish', () => queue.depth === 0 && gitlab.pipelines(project.id).length > 0);
    expect(gitlab.pipelines(project.id)).toHaveLength(1);
  });
});
