import { afterEach, describe, expect, it } from 'vitest';
import { MemoryStore } from '../../service/store/memory-store.js';
import { eventually } from '../../devtools/eventually.js';
import { startWorkerWorld, type WorkerWorld } from '../support/worker-world.js';

// What stays at rest: the queued request and the pending mention carry a digest of the note's text, not
// the text; the run holds GitLab's text only until its pipeline has it.

let world: WorkerWorld | undefined;
afterEach(async () => {
  await world?.close();
  world = undefined;
});

describe('note text at rest', () => {
  it('is in the pipeline, and neither in the queued work nor in the store once the run triggered', async () => {
    const store = new MemoryStore();
    world = await startWorkerWorld({ store });
    const request = world.mention('@claude the secret plan');
    expect(JSON.stringify(request)).not.toContain('secret plan');
    await store.recordMention({ noteId: request.note.id, request }, Date.now(), 50);
    world.queue.publish({ kind: 'flow', request });
    const [pipeline] = await eventually('a pipeline', () => world!.gitlab.pipelines(world!.project.id)[0] && world!.gitlab.pipelines(world!.project.id));
    expect(pipeline?.variables.AI_FLOW_INPUT).toBe('@claude the secret plan');
    const runId = await eventually('the run', () => store.runOfNote(request.note.id));
    const run = await eventually('the run triggered', async () => {
      const current = await store.getRun(runId);
      return current?.state === 'triggered' && current;
    });
    expect(JSON.stringify(run)).not.toContain('secret plan');
  });
});
