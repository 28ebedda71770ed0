import { afterEach, describe, expect, it } from 'vitest';
import type { FlowContextV1 } from '../../service/domain.js';
import { eventually, sleep } from '../../devtools/eventually.js';
import { startFlowWorld, type FlowWorld } from '../support/flow-harness.js';

// `@claude help`, `stop`, `review` and near misses, end to end against the stand-in GitLab: the service
// answers help and near misses itself, cancels a running pipeline through the API, and passes a review on.

let world: FlowWorld;
afterEach(async () => {
  await world?.close();
});

async function quiet(ms = 900): Promise<void> {
  await world.gitlab.whenHooksIdle();
  await sleep(ms);
}

const botNotes = (issueIid: number) => world.gitlab.notes(world.project.id, { type: 'Issue', iid: issueIid }).filter((note) => note.authorUsername === 'claude-bot');

describe('@claude help', () => {
  it('is answered in the thread by the service, with no pipeline', async () => {
    world = await startFlowWorld({ env: { TRIGGER_LABEL: 'claude' } });
    const { gitlab, project, users } = world;
    const issue = gitlab.addIssue(project.id, { title: 'Help', authorId: users.dana.id });
    const note = gitlab.addNote(project.id, { type: 'Issue', iid: issue.iid }, { body: '@claude help', authorId: users.dana.id });
    const [answer] = await eventually('the help reply', () => botNotes(issue.iid).length > 0 && botNotes(issue.iid));
    expect(answer?.discussionId).toBe(note.discussionId);
    expect(answer?.body).toContain('Members with at least the Developer role can ask');
    expect(answer?.body).toContain('`@claude stop`');
    expect(answer?.body).toContain('~"claude"');
    expect(answer?.body).toContain('@dana can start 50 more of 50 runs today');
    await quiet();
    expect(gitlab.pipelines(project.id)).toHaveLength(0);
    expect(botNotes(issue.iid)).toHaveLength(1);
  });

  it('is not answered for a non-member, and a Reporter is only told who may ask', async () => {
    world = await startFlowWorld();
    const { gitlab, project, users } = world;
    const issue = gitlab.addIssue(project.id, { title: 'Help', authorId: users.dana.id });
    gitlab.addNote(project.id, { type: 'Issue', iid: issue.iid }, { body: '@claude help', authorId: users.mallory.id });
    gitlab.addNote(project.id, { type: 'Issue', iid: issue.iid }, { body: '@claude help', authorId: users.rita.id });
    await quiet(1500);
    const said = botNotes(issue.iid).map((note) => note.body);
    expect(said).toHaveLength(1);
    expect(said[0]).toContain('@rita, only project members with at least the Developer role');
    expect(gitlab.pipelines(project.id)).toHaveLength(0);
  });
});

describe('@claude stop', () => {
  it("cancels the thread's running pipeline and its tracking note says who stopped it", async () => {
    world = await startFlowWorld();
    const { gitlab, project, users } = world;
    const issue = gitlab.addIssue(project.id, { title: 'Long job', authorId: users.dana.id });
    const first = gitlab.addNote(project.id, { type: 'Issue', iid: issue.iid }, { body: '@claude rewrite everything', authorId: users.dana.id });
    const [pipeline] = await eventually('a pipeline', () => gitlab.pipelines(project.id)[0] && gitlab.pipelines(project.id));
    const context = JSON.parse(pipeline!.variables.AI_FLOW_CONTEXT ?? '{}') as FlowContextV1;
    await eventually('the tracking note naming the pipeline', () => botNotes(issue.iid).some((note) => note.body.includes(`#${pipeline!.id}`)));
    gitlab.addNote(project.id, { type: 'Issue', iid: issue.iid }, { body: '@claude stop', authorId: users.dana.id, discussionId: first.discussionId });
    await eventually('the pipeline canceled', () => gitlab.pipelines(project.id)[0]?.status === 'canceled');
    await quiet(1200);
    const tracking = botNotes(issue.iid).find((note) => note.id === context.tracking_note_id);
    expect(tracking?.body).toContain('Stopped by @dana');
    expect(tracking?.body).toContain(`pipeline #${pipeline!.id}`);
    expect(gitlab.pipelines(project.id)).toHaveLength(1);
    expect(gitlab.requests.some((request) => request.method === 'POST' && request.path.endsWith(`/pipelines/${pipeline!.id}/cancel`))).toBe(true);
  });

  it('with nothing running says so, and starts nothing', async () => {
    world = await startFlowWorld();
    const { gitlab, project, users } = world;
    const issue = gitlab.addIssue(project.id, { title: 'Idle', authorId: users.dana.id });
    gitlab.addNote(project.id, { type: 'Issue', iid: issue.iid }, { body: '@claude stop', authorId: users.dana.id });
    await eventually('the reply', () => botNotes(issue.iid).some((note) => note.body.includes('nothing to stop')));
    await quiet();
    expect(gitlab.pipelines(project.id)).toHaveLength(0);
  });
});

describe('near misses and review', () => {
  it('a near miss of a command gets "did you mean", not a run', async () => {
    world = await startFlowWorld();
    const { gitlab, project, users } = world;
    const issue = gitlab.addIssue(project.id, { title: 'Typo', authorId: users.dana.id });
    gitlab.addNote(project.id, { type: 'Issue', iid: issue.iid }, { body: '@claude reveiw', authorId: users.dana.id });
    const [answer] = await eventually('the reply', () => botNotes(issue.iid).length > 0 && botNotes(issue.iid));
    expect(answer?.body).toContain('Did you mean `@claude review`?');
    await quiet();
    expect(gitlab.pipelines(project.id)).toHaveLength(0);
  });

  it('@claude review on a merge request reaches the runner as its instruction', async () => {
    world = await startFlowWorld();
    const { gitlab, project, users } = world;
    const mr = gitlab.addMergeRequest(project.id, { sourceBranch: 'feature', targetBranch: 'main', title: 'R', authorId: users.dana.id });
    gitlab.addNote(project.id, { type: 'MergeRequest', iid: mr.iid }, { body: '@claude review', authorId: users.dana.id });
    const [pipeline] = await eventually('a pipeline', () => gitlab.pipelines(project.id)[0] && gitlab.pipelines(project.id));
    expect(pipeline?.variables.AI_FLOW_INPUT).toBe('@claude review');
    expect(pipeline?.ref).toBe('feature');
  });
});
