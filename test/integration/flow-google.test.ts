import { afterEach, describe, expect, it } from 'vitest';
import { eventually, sleep } from '../../devtools/eventually.js';
import { emulatorEnv, startFlowWorld, type FlowWorld } from '../support/flow-harness.js';

// The same flow with production's parts: Pub/Sub (streaming pull) on the emulator and the Firestore
// store on its emulator. Each test has its own topic, subscription and collection prefix.

let world: FlowWorld;
afterEach(async () => {
  await world?.close();
});

describe('on Pub/Sub and Firestore (emulators)', () => {
  it('runs a mention, and coalesces a burst into one pipeline with every input in order', async () => {
    // The Firestore emulator makes contended transactions wait seconds (production: milliseconds), so the window here is longer than the default.
    world = await startFlowWorld({ env: { ...emulatorEnv('flow'), DEBOUNCE_MS: '6000' } });
    expect(world.config.store).toBe('firestore');
    const { gitlab, project, users } = world;
    const issue = gitlab.addIssue(project.id, { title: 'Burst', authorId: users.dana.id });
    const first = gitlab.addNote(project.id, { type: 'Issue', iid: issue.iid }, { body: '@claude first', authorId: users.dana.id });
    gitlab.addNote(project.id, { type: 'Issue', iid: issue.iid }, { body: '@claude second', authorId: users.dana.id, discussionId: first.discussionId });
    const [pipeline] = await eventually('a pipeline', () => gitlab.pipelines(project.id)[0] && gitlab.pipelines(project.id), 40_000);
    await gitlab.whenHooksIdle();
    await sleep(1500);
    expect(gitlab.pipelines(project.id)).toHaveLength(1);
    expect(pipeline?.variables.AI_FLOW_INPUT).toBe('@claude first\n\n@claude second');
  });

  it('keeps the per-project limit and drains the line through Pipeline Hooks', async () => {
    world = await startFlowWorld({ env: { ...emulatorEnv('flow'), DEBOUNCE_MS: '200', MAX_CONCURRENT_PIPELINES: '2' } });
    const { gitlab, project, users } = world;
    for (let i = 0; i < 4; i += 1) {
      const issue = gitlab.addIssue(project.id, { title: `T${i}`, authorId: users.dana.id });
      gitlab.addNote(project.id, { type: 'Issue', iid: issue.iid }, { body: `@claude task ${i}`, authorId: users.dana.id });
    }
    await eventually('two pipelines', () => gitlab.pipelines(project.id).length === 2, 30_000);
    await sleep(1000);
    expect(gitlab.pipelines(project.id)).toHaveLength(2);
    gitlab.setPipelineAutomation({ autoRunAfterMs: 10, autoFinishAfterMs: 100, hookOn: 'finish' });
    for (const pipeline of gitlab.pipelines(project.id)) await gitlab.finishPipeline(project.id, pipeline.id, 'success');
    await eventually('all four pipelines', () => gitlab.pipelines(project.id).length === 4, 30_000);
    expect(gitlab.maxConcurrentUnfinishedPipelines(project.id)).toBeLessThanOrEqual(2);
  });
});
