import { afterEach, describe, expect, it } from 'vitest';
import type { FlowContextV1 } from '../../service/domain.js';
import { TEST_WEBHOOK_TOKEN } from '../../devtools/payloads.js';
import { eventually, sleep } from '../../devtools/eventually.js';
import { startFlowWorld, type FlowWorld } from '../support/flow-harness.js';

// Triggers beyond the typed mention, end to end: a person asks the bot to review, marks a draft ready,
// assigns the bot, or adds TRIGGER_LABEL in the stand-in GitLab, which sends the real Merge Request Hook or
// Issue Hook (sometimes twice) to the running service.

let world: FlowWorld;
afterEach(async () => {
  await world?.close();
});

async function start(env: Record<string, string> = {}): Promise<FlowWorld> {
  world = await startFlowWorld({ env });
  // Merge request and issues events on a hook of their own (the harness's hook has comments and pipelines).
  world.gitlab.registerWebhook(world.project.id, { url: `${world.service.url}/webhooks/gitlab`, token: TEST_WEBHOOK_TOKEN, pipelineEvents: false, mergeRequestsEvents: true, issuesEvents: true });
  // Ingest learns the bot's username just after start-up; events wait for it.
  await eventually('the bot user known', () => world.logText().includes('GitLab token works'));
  return world;
}

async function quiet(ms = 900): Promise<void> {
  await world.gitlab.whenHooksIdle();
  await sleep(ms);
}

const contextOf = (variables: Record<string, string>) => JSON.parse(variables.AI_FLOW_CONTEXT ?? 'null') as FlowContextV1;

describe('the bot asked to review a merge request', () => {
  it('starts one review pipeline on the source branch, even when GitLab sends the hook twice; a re-request one more', async () => {
    const { gitlab, project, users } = await start();
    const mr = gitlab.addMergeRequest(project.id, { sourceBranch: 'feature', targetBranch: 'main', title: 'Add feature', authorId: users.dana.id });
    gitlab.updateMergeRequest(project.id, mr.iid, { reviewerIds: [users.bot.id] }, { by: users.dana.id, copies: 2 });
    const [pipeline] = await eventually('a pipeline', () => gitlab.pipelines(project.id)[0] && gitlab.pipelines(project.id));
    await quiet();
    expect(gitlab.pipelines(project.id)).toHaveLength(1);
    expect(pipeline?.ref).toBe('feature');
    expect(pipeline?.variables.AI_FLOW_EVENT).toBe('assign_reviewer');
    expect(pipeline?.variables.AI_FLOW_INPUT).toContain('Review this merge request');
    const context = contextOf(pipeline!.variables);
    expect(context).toMatchObject({ noteable: { type: 'MergeRequest', iid: mr.iid }, author: { id: users.dana.id, username: 'dana' } });
    // The tracking note opens a discussion of its own, and the runner answers there.
    const tracking = gitlab.notes(project.id, { type: 'MergeRequest', iid: mr.iid }).find((note) => note.id === context.tracking_note_id);
    expect(tracking?.discussionId).toBe(context.discussion_id);
    expect(context.trigger_note_ids).toEqual([context.tracking_note_id]);

    // Removed, then asked again (a new hook, a later updated_at): exactly one more, once the first is done.
    await gitlab.finishPipeline(project.id, pipeline!.id, 'success');
    await sleep(1100);
    gitlab.updateMergeRequest(project.id, mr.iid, { reviewerIds: [] }, { by: users.dana.id });
    await sleep(1100);
    gitlab.updateMergeRequest(project.id, mr.iid, { reviewerIds: [users.bot.id] }, { by: users.dana.id, copies: 2 });
    await eventually('a second pipeline', () => gitlab.pipelines(project.id).length === 2);
    await quiet();
    expect(gitlab.pipelines(project.id).map((p) => p.variables.AI_FLOW_EVENT)).toEqual(['assign_reviewer', 'assign_reviewer']);
  });

  it('starts nothing when the person who asked may not (a Reporter, a non-member), nor when the bot is no longer a reviewer', async () => {
    const { gitlab, project, users } = await start();
    const mr = gitlab.addMergeRequest(project.id, { sourceBranch: 'feature', targetBranch: 'main', title: 'X', authorId: users.dana.id });
    gitlab.updateMergeRequest(project.id, mr.iid, { reviewerIds: [users.bot.id] }, { by: users.rita.id });
    await quiet(1200);
    gitlab.updateMergeRequest(project.id, mr.iid, { reviewerIds: [] }, { by: users.dana.id });
    await sleep(1100);
    gitlab.updateMergeRequest(project.id, mr.iid, { reviewerIds: [users.bot.id] }, { by: users.mallory.id });
    await quiet(1200);
    expect(gitlab.pipelines(project.id)).toHaveLength(0);
    expect(world.logText()).toContain('mention not authorised');
  });

  it('the bot removed again before the run: GitLab does not list it, nothing runs', async () => {
    const { gitlab, project, users } = await start({ DEBOUNCE_MS: '800' });
    const mr = gitlab.addMergeRequest(project.id, { sourceBranch: 'feature', targetBranch: 'main', title: 'X', authorId: users.dana.id });
    gitlab.updateMergeRequest(project.id, mr.iid, { reviewerIds: [users.bot.id] }, { by: users.dana.id });
    await gitlab.whenHooksIdle();
    // Seeded straight into the stand-in's state: the API says so, no hook tells the service.
    (gitlab as unknown as { state: { mergeRequests: Map<number, { iid: number; reviewerIds: number[] }> } }).state.mergeRequests.get(mr.id)!.reviewerIds = [];
    await quiet(1500);
    expect(gitlab.pipelines(project.id)).toHaveLength(0);
    expect(world.logText()).toContain('GitLab does not list the bot as a reviewer');
  });
});

describe('a draft merge request marked ready', () => {
  it('is a review with REVIEW_ON_READY=true, and nothing without it', async () => {
    const { gitlab, project, users } = await start({ REVIEW_ON_READY: 'true' });
    const mr = gitlab.addMergeRequest(project.id, { sourceBranch: 'feature', targetBranch: 'main', title: 'Draft: Add feature', authorId: users.dana.id });
    gitlab.updateMergeRequest(project.id, mr.iid, { title: 'Add feature' }, { by: users.dana.id, copies: 2 });
    const [pipeline] = await eventually('a pipeline', () => gitlab.pipelines(project.id)[0] && gitlab.pipelines(project.id));
    await quiet();
    expect(gitlab.pipelines(project.id)).toHaveLength(1);
    expect(pipeline?.variables.AI_FLOW_EVENT).toBe('ready');

    await world.close();
    await start();
    const other = world.gitlab.addMergeRequest(world.project.id, { sourceBranch: 'feature', targetBranch: 'main', title: 'Draft: B', authorId: world.users.dana.id });
    world.gitlab.updateMergeRequest(world.project.id, other.iid, { title: 'B' }, { by: world.users.dana.id });
    await quiet(1200);
    expect(world.gitlab.pipelines(world.project.id)).toHaveLength(0);
  });
});

describe('the bot assigned to an issue', () => {
  it('starts one run with the issue as the request, even when GitLab sends the hook twice', async () => {
    const { gitlab, project, users } = await start();
    const issue = gitlab.addIssue(project.id, { title: 'Crash on start', description: 'Fix the crash', authorId: users.dana.id });
    gitlab.updateIssue(project.id, issue.iid, { assigneeIds: [users.bot.id] }, { by: users.dana.id, copies: 2 });
    const [pipeline] = await eventually('a pipeline', () => gitlab.pipelines(project.id)[0] && gitlab.pipelines(project.id));
    await quiet();
    expect(gitlab.pipelines(project.id)).toHaveLength(1);
    expect(pipeline?.ref).toBe('main');
    expect(pipeline?.variables.AI_FLOW_EVENT).toBe('assign');
    expect(contextOf(pipeline!.variables).noteable).toMatchObject({ type: 'Issue', iid: issue.iid, title: 'Crash on start' });
  });

  it('a Reporter assigning the bot starts nothing', async () => {
    const { gitlab, project, users } = await start();
    const issue = gitlab.addIssue(project.id, { title: 'T', authorId: users.dana.id });
    gitlab.updateIssue(project.id, issue.iid, { assigneeIds: [users.bot.id] }, { by: users.rita.id });
    await quiet(1200);
    expect(gitlab.pipelines(project.id)).toHaveLength(0);
  });
});

describe('TRIGGER_LABEL', () => {
  it('newly on an issue or a merge request starts one run each (hooks sent twice); other labels nothing', async () => {
    const { gitlab, project, users } = await start({ TRIGGER_LABEL: 'claude' });
    const issue = gitlab.addIssue(project.id, { title: 'Labelled', authorId: users.dana.id });
    gitlab.updateIssue(project.id, issue.iid, { labels: ['bug'] }, { by: users.dana.id });
    await quiet(1200);
    expect(gitlab.pipelines(project.id)).toHaveLength(0);
    gitlab.updateIssue(project.id, issue.iid, { labels: ['bug', 'claude'] }, { by: users.dana.id, copies: 2 });
    const mr = gitlab.addMergeRequest(project.id, { sourceBranch: 'feature', targetBranch: 'main', title: 'M', authorId: users.dana.id });
    gitlab.updateMergeRequest(project.id, mr.iid, { labels: ['claude'] }, { by: users.dana.id, copies: 2 });
    const pipelines = await eventually('two pipelines', () => gitlab.pipelines(project.id).length === 2 && gitlab.pipelines(project.id));
    await quiet();
    expect(gitlab.pipelines(project.id)).toHaveLength(2);
    expect(pipelines.map((p) => p.variables.AI_FLOW_EVENT)).toEqual(['label', 'label']);
    expect(pipelines.map((p) => contextOf(p.variables).noteable.type).sort()).toEqual(['Issue', 'MergeRequest']);
  });
});
