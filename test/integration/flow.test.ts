import { afterEach, describe, expect, it } from 'vitest';
import type { FlowContextV1 } from '../../service/domain.js';
import { isClosedOut, SERVICE_NOTE_MARKER } from '../../service/tracking-note.js';
import { standInIssueNotePayload, webhookHeaders } from '../../devtools/payloads.js';
import { eventually, sleep } from '../../devtools/eventually.js';
import { startFlowWorld, type FlowWorld } from '../support/flow-harness.js';

// From a GitLab comment to a pipeline, end to end: the stand-in GitLab posts real Note Hooks to the
// running service (embedded queue and store), and every assertion reads the stand-in's records.

let world: FlowWorld;
afterEach(async () => {
  await world?.close();
});

function contextOf(variables: Record<string, string>): FlowContextV1 {
  return JSON.parse(variables.AI_FLOW_CONTEXT ?? 'null') as FlowContextV1;
}

async function quiet(ms = 900): Promise<void> {
  await world.gitlab.whenHooksIdle();
  await sleep(ms);
}

describe('a mention on an issue', () => {
  it('starts one pipeline on the default branch with the three variables, reacts 👀 and answers in the thread', async () => {
    world = await startFlowWorld();
    const { gitlab, project, users } = world;
    const issue = gitlab.addIssue(project.id, { title: 'Flaky test', authorId: users.dana.id });
    const note = gitlab.addNote(project.id, { type: 'Issue', iid: issue.iid }, { body: '@claude fix the flaky test', authorId: users.dana.id });

    const [pipeline] = await eventually('a pipeline', () => gitlab.pipelines(project.id).length === 1 && gitlab.pipelines(project.id));
    expect(pipeline?.ref).toBe('main');
    expect(pipeline?.source).toBe('api');
    expect(pipeline?.variables.AI_FLOW_INPUT).toBe('@claude fix the flaky test');
    expect(pipeline?.variables.AI_FLOW_EVENT).toBe('mention');
    const context = contextOf(pipeline!.variables);
    expect(context).toMatchObject({
      version: 1,
      gitlab_url: gitlab.url,
      project: { id: project.id, path: 'acme/app', default_branch: 'main' },
      noteable: { type: 'Issue', iid: issue.iid, title: 'Flaky test', state: 'opened', source_branch: null, fork: false, commit_sha: null },
      discussion_id: note.discussionId,
      trigger_note_ids: [note.id],
      author: { id: users.dana.id, username: 'dana' },
      position: null,
    });
    expect(Number.isNaN(Date.parse(context.triggered_at))).toBe(false);

    const thread = await eventually('the tracking note to name the pipeline', () => {
      const notes = gitlab.notes(project.id, { type: 'Issue', iid: issue.iid });
      return notes.some((n) => n.body.includes(`pipeline #${pipeline!.id}`)) && notes;
    });
    const tracking = thread.find((n) => n.id === context.tracking_note_id);
    expect(tracking?.discussionId).toBe(note.discussionId);
    expect(tracking?.authorUsername).toBe('claude-bot');
    expect(tracking?.body).toContain(SERVICE_NOTE_MARKER);
    expect(gitlab.awardEmoji(project.id, { type: 'Issue', iid: issue.iid }, note.id).map((award) => award.name)).toEqual(['eyes']);

    // The tracking note's own Note Hooks came back to the service and started nothing (loop guard).
    await quiet();
    expect(gitlab.pipelines(project.id)).toHaveLength(1);
  });

  it('uses the trigger API with a string map when GITLAB_TRIGGER_TOKEN is set', async () => {
    world = await startFlowWorld();
    const token = world.gitlab.addTriggerToken(world.project.id, { ownerId: world.users.bot.id });
    await world.close();
    world = await startFlowWorld({ env: { GITLAB_TRIGGER_TOKEN: token } });
    // A new world has its own ids; give it the same trigger token.
    const trigger = world.gitlab.addTriggerToken(world.project.id, { ownerId: world.users.bot.id, token });
    expect(trigger).toBe(token);
    const issue = world.gitlab.addIssue(world.project.id, { title: 'T', authorId: world.users.dana.id });
    world.gitlab.addNote(world.project.id, { type: 'Issue', iid: issue.iid }, { body: '@claude hello', authorId: world.users.dana.id });
    const [pipeline] = await eventually('a triggered pipeline', () => world.gitlab.pipelines(world.project.id)[0] && world.gitlab.pipelines(world.project.id));
    expect(pipeline?.source).toBe('trigger');
    expect(pipeline?.variables.AI_FLOW_INPUT).toBe('@claude hello');
  });
});

describe('$ in what people write', () => {
  it('reaches the job literally (GitLab would expand it), and the hook that reads it back still closes the note', async () => {
    world = await startFlowWorld();
    const { gitlab, project, users } = world;
    gitlab.addCiVariable(project.id, 'GITLAB_TOKEN', 'glpat-project-secret');
    const title = 'Crash in ${GITLAB_TOKEN} costs $$5';
    const issue = gitlab.addIssue(project.id, { title, authorId: users.dana.id });
    const body = '@claude why does $GITLAB_TOKEN print ${HOME}?';
    gitlab.addNote(project.id, { type: 'Issue', iid: issue.iid }, { body, authorId: users.dana.id });
    const [pipeline] = await eventually('a pipeline', () => gitlab.pipelines(project.id)[0] && gitlab.pipelines(project.id));
    const seen = pipeline!.jobVariables;
    expect(seen.AI_FLOW_INPUT).toBe(body);
    expect(contextOf(seen).noteable.title).toBe(title);
    expect(JSON.stringify(seen)).not.toContain('glpat-project-secret');

    const spec = { type: 'Issue' as const, iid: issue.iid };
    await eventually('the tracking note naming the pipeline', () => gitlab.notes(project.id, spec).some((n) => n.body.includes(`#${pipeline!.id}`)));
    await gitlab.finishPipeline(project.id, pipeline!.id, 'failed');
    await eventually('a closed-out note', () => gitlab.notes(project.id, spec).find((n) => n.authorUsername === 'claude-bot' && isClosedOut(n.body)));
  });
});

describe('coalescing and idempotency', () => {
  it('turns a burst in one thread into one pipeline carrying every input in order', async () => {
    world = await startFlowWorld({ env: { DEBOUNCE_MS: '600' } });
    const { gitlab, project, users } = world;
    const issue = gitlab.addIssue(project.id, { title: 'Burst', authorId: users.dana.id });
    const first = gitlab.addNote(project.id, { type: 'Issue', iid: issue.iid }, { body: '@claude first', authorId: users.dana.id });
    const second = gitlab.addNote(project.id, { type: 'Issue', iid: issue.iid }, { body: '@claude second', authorId: users.dana.id, discussionId: first.discussionId });
    const third = gitlab.addNote(project.id, { type: 'Issue', iid: issue.iid }, { body: '@claude third', authorId: users.dana.id, discussionId: first.discussionId });
    const [pipeline] = await eventually('a pipeline', () => gitlab.pipelines(project.id)[0] && gitlab.pipelines(project.id));
    await quiet(1500);
    expect(gitlab.pipelines(project.id)).toHaveLength(1);
    expect(pipeline?.variables.AI_FLOW_INPUT).toBe('@claude first\n\n@claude second\n\n@claude third');
    expect(contextOf(pipeline!.variables).trigger_note_ids).toEqual([first.id, second.id, third.id]);
    const trackingNotes = gitlab.notes(project.id, { type: 'Issue', iid: issue.iid }).filter((n) => n.authorUsername === 'claude-bot');
    expect(trackingNotes).toHaveLength(1);
  });

  it('runs separate threads separately', async () => {
    world = await startFlowWorld();
    const { gitlab, project, users } = world;
    const issue = gitlab.addIssue(project.id, { title: 'Two threads', authorId: users.dana.id });
    gitlab.addNote(project.id, { type: 'Issue', iid: issue.iid }, { body: '@claude one', authorId: users.dana.id });
    gitlab.addNote(project.id, { type: 'Issue', iid: issue.iid }, { body: '@claude two', authorId: users.dana.id });
    const pipelines = await eventually('two pipelines', () => gitlab.pipelines(project.id).length === 2 && gitlab.pipelines(project.id));
    expect(pipelines.map((p) => p.variables.AI_FLOW_INPUT).sort()).toEqual(['@claude one', '@claude two']);
  });

  it('starts one pipeline for the same delivery sent twice, and for the same note resent', async () => {
    world = await startFlowWorld();
    const { gitlab, project, users } = world;
    const issue = gitlab.addIssue(project.id, { title: 'Dupes', authorId: users.dana.id });
    const note = gitlab.addNote(project.id, { type: 'Issue', iid: issue.iid }, { body: '@claude once', authorId: users.dana.id, hook: false });
    const payload = noteHookBody(note.id, issue.iid, note.discussionId);
    const send = (key: string) =>
      fetch(`${world.service.url}/webhooks/gitlab`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-gitlab-event': 'Note Hook', 'x-gitlab-token': 'test-webhook-secret', 'idempotency-key': key },
        body: payload,
      });
    const statuses = (await Promise.all([send('delivery-1'), send('delivery-1'), send('delivery-2')])).map((r) => r.status).sort();
    expect(statuses).toEqual([200, 200, 202]);
    await eventually('a pipeline', () => gitlab.pipelines(project.id).length === 1);
    await quiet(1200);
    expect(gitlab.pipelines(project.id)).toHaveLength(1);
  });

  it('takes an edit made before handling, and ignores one made after', async () => {
    world = await startFlowWorld({ env: { DEBOUNCE_MS: '800' } });
    const { gitlab, project, users } = world;
    const issue = gitlab.addIssue(project.id, { title: 'Edits', authorId: users.dana.id });
    const note = gitlab.addNote(project.id, { type: 'Issue', iid: issue.iid }, { body: '@claude draft', authorId: users.dana.id });
    await editNote(issue.iid, note.id, '@claude final wording');
    const [pipeline] = await eventually('a pipeline', () => gitlab.pipelines(project.id)[0] && gitlab.pipelines(project.id));
    expect(pipeline?.variables.AI_FLOW_INPUT).toBe('@claude final wording');
    await editNote(issue.iid, note.id, '@claude changed my mind');
    await quiet(1500);
    expect(gitlab.pipelines(project.id)).toHaveLength(1);
  });
});

describe('who may trigger', () => {
  it.each([
    ['a non-member', 'mallory'],
    ['a bot user', 'renovate'],
    ['the service itself', 'bot'],
  ] as const)('%s gets no pipeline and no reply', async (_label, who) => {
    world = await startFlowWorld();
    const { gitlab, project, users } = world;
    const issue = gitlab.addIssue(project.id, { title: 'Who', authorId: users.dana.id });
    gitlab.addNote(project.id, { type: 'Issue', iid: issue.iid }, { body: '@claude do something', authorId: users[who].id });
    await quiet(1200);
    expect(gitlab.pipelines(project.id)).toHaveLength(0);
    // Only the trigger note itself: no 👀, no tracking reply.
    expect(gitlab.notes(project.id, { type: 'Issue', iid: issue.iid })).toHaveLength(1);
    expect(gitlab.awardEmoji(project.id, { type: 'Issue', iid: issue.iid })).toHaveLength(0);
  });

  it('a Reporter (below MIN_ACCESS_LEVEL 30) gets no pipeline and one reply per thread saying who may ask', async () => {
    world = await startFlowWorld();
    const { gitlab, project, users } = world;
    const issue = gitlab.addIssue(project.id, { title: 'Who', authorId: users.dana.id });
    const spec = { type: 'Issue' as const, iid: issue.iid };
    const first = gitlab.addNote(project.id, spec, { body: '@claude do something', authorId: users.rita.id });
    const refusals = () => gitlab.notes(project.id, spec).filter((n) => n.authorUsername === 'claude-bot');
    await eventually('a reply to rita', () => refusals().length === 1);
    expect(refusals()[0]?.body).toContain('@rita, only project members with at least the Developer role can ask Claude here.');
    expect(refusals()[0]?.discussionId).toBe(first.discussionId);
    // Again in the same thread: no second reply. In another thread: one there.
    gitlab.addNote(project.id, spec, { body: '@claude please?', authorId: users.rita.id, discussionId: first.discussionId });
    gitlab.addNote(project.id, spec, { body: '@claude elsewhere', authorId: users.rita.id });
    await eventually('a reply in the second thread', () => refusals().length === 2);
    await quiet(1200);
    expect(refusals()).toHaveLength(2);
    expect(new Set(refusals().map((n) => n.discussionId)).size).toBe(2);
    expect(gitlab.pipelines(project.id)).toHaveLength(0);
    expect(gitlab.awardEmoji(project.id, spec)).toHaveLength(0);
  });

  it('checks membership again in the worker: removed while waiting means no run', async () => {
    world = await startFlowWorld({ env: { DEBOUNCE_MS: '800' } });
    const { gitlab, project, users } = world;
    const issue = gitlab.addIssue(project.id, { title: 'Removed', authorId: users.dana.id });
    gitlab.addNote(project.id, { type: 'Issue', iid: issue.iid }, { body: '@claude go', authorId: users.dana.id });
    await gitlab.whenHooksIdle();
    gitlab.removeMember(project.id, users.dana.id);
    await quiet(1500);
    expect(gitlab.pipelines(project.id)).toHaveLength(0);
  });

  it('honours MIN_ACCESS_LEVEL', async () => {
    world = await startFlowWorld({ env: { MIN_ACCESS_LEVEL: '20', ALLOW_LOW_ACCESS_LEVEL: 'true' } });
    const { gitlab, project, users } = world;
    const issue = gitlab.addIssue(project.id, { title: 'Reporter ok', authorId: users.dana.id });
    gitlab.addNote(project.id, { type: 'Issue', iid: issue.iid }, { body: '@claude go', authorId: users.rita.id });
    await eventually('a pipeline for a Reporter', () => gitlab.pipelines(project.id).length === 1);
  });

  it('ignores confidential issues unless ALLOW_CONFIDENTIAL=true', async () => {
    world = await startFlowWorld();
    const issue = world.gitlab.addIssue(world.project.id, { title: 'Secret', authorId: world.users.dana.id, confidential: true });
    world.gitlab.addNote(world.project.id, { type: 'Issue', iid: issue.iid }, { body: '@claude look', authorId: world.users.dana.id });
    await quiet(1000);
    expect(world.gitlab.pipelines(world.project.id)).toHaveLength(0);
    await world.close();

    world = await startFlowWorld({ env: { ALLOW_CONFIDENTIAL: 'true' } });
    const allowed = world.gitlab.addIssue(world.project.id, { title: 'Secret', authorId: world.users.dana.id, confidential: true });
    world.gitlab.addNote(world.project.id, { type: 'Issue', iid: allowed.iid }, { body: '@claude look', authorId: world.users.dana.id });
    const [pipeline] = await eventually('a pipeline for a confidential issue when allowed', () => world.gitlab.pipelines(world.project.id).length === 1 && world.gitlab.pipelines(world.project.id));
    expect(contextOf(pipeline!.variables).noteable.confidential).toBe(true);
    const tracking = await eventually('the tracking note naming the pipeline', () =>
      world.gitlab.notes(world.project.id, { type: 'Issue', iid: allowed.iid }).find((n) => n.body.includes(`#${pipeline!.id}`)),
    );
    expect(tracking.body).toContain('This issue is confidential, so Claude answers here only: no branch, no merge request.');
  });

  it('answers an internal note with an internal tracking note, only with ALLOW_CONFIDENTIAL=true', async () => {
    world = await startFlowWorld({ env: { ALLOW_CONFIDENTIAL: 'true' } });
    const { gitlab, project, users } = world;
    const issue = gitlab.addIssue(project.id, { title: 'Open issue', authorId: users.dana.id });
    const spec = { type: 'Issue' as const, iid: issue.iid };
    gitlab.addNote(project.id, spec, { body: '@claude look, internally', authorId: users.dana.id, internal: true });
    const [pipeline] = await eventually('a pipeline', () => gitlab.pipelines(project.id)[0] && gitlab.pipelines(project.id));
    const context = contextOf(pipeline!.variables);
    expect(context.noteable.confidential).toBe(false);
    const tracking = gitlab.notes(project.id, spec).find((n) => n.id === context.tracking_note_id);
    expect(tracking?.internal).toBe(true);
  });

  it('drops an internal note whose webhook says it is public, without ALLOW_CONFIDENTIAL', async () => {
    world = await startFlowWorld();
    const { gitlab, project, users } = world;
    const issue = gitlab.addIssue(project.id, { title: 'Open issue', authorId: users.dana.id });
    const spec = { type: 'Issue' as const, iid: issue.iid };
    const note = gitlab.addNote(project.id, spec, { body: '@claude look', authorId: users.dana.id, internal: true, hook: false });
    const payload = standInIssueNotePayload(project, { issueIid: issue.iid, noteId: note.id, discussionId: note.discussionId, body: '@claude look', author: { id: users.dana.id, username: 'dana' } });
    const response = await fetch(`${world.service.url}/webhooks/gitlab`, { method: 'POST', headers: webhookHeaders('Note Hook'), body: JSON.stringify(payload) });
    expect(response.status).toBe(202);
    await eventually('the mention to be dropped', () => world.logs().find((l) => l.message?.toString().startsWith('mention dropped') && l.noteId === note.id));
    await quiet(300);
    expect(gitlab.pipelines(project.id)).toHaveLength(0);
    expect(gitlab.notes(project.id, spec)).toHaveLength(1);
  });
});

describe('daily budgets', () => {
  const tomorrow = () => {
    const next = new Date();
    next.setUTCHours(24, 0, 0, 0);
    return `${next.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
  };

  it('an author over AUTHOR_RUNS_PER_DAY is told in the thread when the next run is possible', async () => {
    world = await startFlowWorld({ env: { AUTHOR_RUNS_PER_DAY: '1' } });
    const { gitlab, project, users } = world;
    const [a, b] = [1, 2].map((i) => gitlab.addIssue(project.id, { title: `Budget ${i}`, authorId: users.dana.id }));
    gitlab.addNote(project.id, { type: 'Issue', iid: a!.iid }, { body: '@claude one', authorId: users.dana.id });
    await eventually('a pipeline', () => gitlab.pipelines(project.id).length === 1);
    gitlab.addNote(project.id, { type: 'Issue', iid: b!.iid }, { body: '@claude two', authorId: users.dana.id });
    const note = await eventually('the budget note', () => gitlab.notes(project.id, { type: 'Issue', iid: b!.iid }).find((n) => n.authorUsername === 'claude-bot'));
    expect(note.body).toContain('Claude has already run 1 times today for @dana (AUTHOR_RUNS_PER_DAY)');
    expect(note.body).toContain(`The next run is possible from ${tomorrow()}.`);
    expect(isClosedOut(note.body)).toBe(true);
    await quiet(500);
    expect(gitlab.pipelines(project.id)).toHaveLength(1);
  });

  it('a project over PROJECT_RUNS_PER_DAY is told too', async () => {
    world = await startFlowWorld({ env: { PROJECT_RUNS_PER_DAY: '1', AUTHOR_RUNS_PER_DAY: '1' } });
    const { gitlab, project, users } = world;
    const erin = gitlab.addUser({ username: 'erin' });
    gitlab.addMember(project.id, erin.id, 30);
    const [a, b] = [1, 2].map((i) => gitlab.addIssue(project.id, { title: `Budget ${i}`, authorId: users.dana.id }));
    gitlab.addNote(project.id, { type: 'Issue', iid: a!.iid }, { body: '@claude one', authorId: erin.id });
    await eventually('a pipeline', () => gitlab.pipelines(project.id).length === 1);
    gitlab.addNote(project.id, { type: 'Issue', iid: b!.iid }, { body: '@claude two', authorId: users.dana.id });
    const note = await eventually('the budget note', () => gitlab.notes(project.id, { type: 'Issue', iid: b!.iid }).find((n) => n.authorUsername === 'claude-bot'));
    expect(note.body).toContain('Claude has already run 1 times today in acme/app (PROJECT_RUNS_PER_DAY)');
    expect(gitlab.pipelines(project.id)).toHaveLength(1);
  });
});

describe('merge requests', () => {
  it('runs an open same-project merge request on its source branch, and a review-thread comment keeps its position', async () => {
    world = await startFlowWorld();
    const { gitlab, project, users } = world;
    const mr = gitlab.addMergeRequest(project.id, { sourceBranch: 'feature', targetBranch: 'main', title: 'Feature', authorId: users.dana.id });
    const position = { base_sha: 'a'.repeat(40), start_sha: 'a'.repeat(40), head_sha: 'b'.repeat(40), position_type: 'text', new_path: 'src/app.ts', old_path: 'src/app.ts', new_line: 12, old_line: null };
    gitlab.addNote(project.id, { type: 'MergeRequest', iid: mr.iid }, { body: '@claude rename this', authorId: users.dana.id, position });
    const [pipeline] = await eventually('a pipeline', () => gitlab.pipelines(project.id)[0] && gitlab.pipelines(project.id));
    expect(pipeline?.ref).toBe('feature');
    const context = contextOf(pipeline!.variables);
    expect(context.noteable).toMatchObject({ type: 'MergeRequest', iid: mr.iid, source_branch: 'feature', target_branch: 'main', fork: false, state: 'opened' });
    expect(context.position).toMatchObject({ new_path: 'src/app.ts', new_line: 12 });
  });

  it('never runs fork code: a fork merge request runs on the default branch with fork: true', async () => {
    world = await startFlowWorld();
    const { gitlab, project, users } = world;
    const fork = gitlab.addProject({ path: 'mallory/app', branches: ['main', 'evil'], forkedFromProjectId: project.id });
    const mr = gitlab.addMergeRequest(project.id, { sourceBranch: 'evil', targetBranch: 'main', title: 'From a fork', authorId: users.dana.id, sourceProjectId: fork.id });
    gitlab.addNote(project.id, { type: 'MergeRequest', iid: mr.iid }, { body: '@claude review', authorId: users.dana.id });
    const [pipeline] = await eventually('a pipeline', () => gitlab.pipelines(project.id)[0] && gitlab.pipelines(project.id));
    expect(pipeline?.ref).toBe('main');
    expect(contextOf(pipeline!.variables).noteable.fork).toBe(true);
    expect(gitlab.pipelines(fork.id)).toHaveLength(0);
  });

  it('runs a merged merge request on the default branch', async () => {
    world = await startFlowWorld();
    const { gitlab, project, users } = world;
    const mr = gitlab.addMergeRequest(project.id, { sourceBranch: 'feature', targetBranch: 'main', title: 'Done', authorId: users.dana.id, state: 'merged' });
    gitlab.addNote(project.id, { type: 'MergeRequest', iid: mr.iid }, { body: '@claude summarise', authorId: users.dana.id });
    const [pipeline] = await eventually('a pipeline', () => gitlab.pipelines(project.id)[0] && gitlab.pipelines(project.id));
    expect(pipeline?.ref).toBe('main');
    expect(contextOf(pipeline!.variables).noteable.state).toBe('merged');
  });
});

describe('per-project concurrency', () => {
  it('five threads with a limit of 2: never more than 2 running, all 5 run, queued threads are told', async () => {
    world = await startFlowWorld({ env: { MAX_CONCURRENT_PIPELINES: '2', DEBOUNCE_MS: '200' } });
    const { gitlab, project, users } = world;
    const issues = Array.from({ length: 5 }, (_, i) => gitlab.addIssue(project.id, { title: `Thread ${i}`, authorId: users.dana.id }));
    for (const [i, issue] of issues.entries()) {
      gitlab.addNote(project.id, { type: 'Issue', iid: issue.iid }, { body: `@claude task ${i}`, authorId: users.dana.id });
    }
    await eventually('two pipelines', () => gitlab.pipelines(project.id).length === 2);
    await quiet(1000);
    expect(gitlab.pipelines(project.id)).toHaveLength(2);
    const queuedTold = issues.filter((issue) => gitlab.notes(project.id, { type: 'Issue', iid: issue.iid }).some((n) => n.body.includes('queued')));
    expect(queuedTold).toHaveLength(3);

    // Finish pipelines one by one (GitLab sends the Pipeline Hook); the line moves in order.
    const finished = new Set<number>();
    while (finished.size < 5) {
      const running = gitlab.pipelines(project.id).filter((p) => !finished.has(p.id));
      const next = running[0];
      if (!next) throw new Error('nothing running while work remains');
      await gitlab.finishPipeline(project.id, next.id, 'success');
      finished.add(next.id);
      if (finished.size < 5) await eventually('the next pipeline', () => gitlab.pipelines(project.id).length >= Math.min(5, finished.size + 2));
    }
    expect(gitlab.pipelines(project.id)).toHaveLength(5);
    expect(gitlab.maxConcurrentUnfinishedPipelines(project.id)).toBe(2);
    expect(new Set(gitlab.pipelines(project.id).map((p) => p.variables.AI_FLOW_INPUT))).toEqual(new Set([0, 1, 2, 3, 4].map((i) => `@claude task ${i}`)));
  });
});

describe('a pipeline that ends at once', () => {
  it('still frees its slot when its Pipeline Hook beats the worker', async () => {
    world = await startFlowWorld({ env: { MAX_CONCURRENT_PIPELINES: '1', DEBOUNCE_MS: '100' } });
    const { gitlab, project, users } = world;
    // GitLab sends the hook while the trigger call is still returning (a pipeline whose jobs all fail at once).
    gitlab.onPipelineCreated((pipeline) => void gitlab.finishPipeline(project.id, pipeline.id, 'failed'));
    for (let i = 0; i < 3; i += 1) {
      const issue = gitlab.addIssue(project.id, { title: `Fast ${i}`, authorId: users.dana.id });
      gitlab.addNote(project.id, { type: 'Issue', iid: issue.iid }, { body: `@claude fast ${i}`, authorId: users.dana.id });
    }
    await eventually('all three pipelines, one at a time', () => gitlab.pipelines(project.id).length === 3);
    expect(gitlab.maxConcurrentUnfinishedPipelines(project.id)).toBe(1);
  });
});

describe('GitLab failures', () => {
  it('retries a 429 on the trigger call after Retry-After, and a 500, and still starts exactly one pipeline', async () => {
    world = await startFlowWorld();
    const { gitlab, project, users } = world;
    gitlab.queueFault({ status: 429, path: /\/pipeline$/, retryAfterSeconds: 1 });
    gitlab.queueFault({ status: 500, path: /\/pipeline$/ });
    const issue = gitlab.addIssue(project.id, { title: 'Busy', authorId: users.dana.id });
    gitlab.addNote(project.id, { type: 'Issue', iid: issue.iid }, { body: '@claude try', authorId: users.dana.id });
    await eventually('a pipeline despite 429 and 500', () => gitlab.pipelines(project.id).length === 1, 20_000);
    const triggerCalls = gitlab.requests.filter((r) => r.method === 'POST' && /\/pipeline$/.test(r.path)).map((r) => r.status);
    expect(triggerCalls).toEqual([429, 500, 201]);
    await quiet(800);
    expect(gitlab.pipelines(project.id)).toHaveLength(1);
  });

  it('says in the thread what went wrong when GitLab refuses the pipeline for good', async () => {
    // The default branch protected and the bot only a Developer: GitLab refuses with 400.
    world = await startFlowWorld({ protectDefaultBranch: true });
    const { gitlab, project, users } = world;
    const issue = gitlab.addIssue(project.id, { title: 'Refused', authorId: users.dana.id });
    gitlab.addNote(project.id, { type: 'Issue', iid: issue.iid }, { body: '@claude try', authorId: users.dana.id });
    const note = await eventually('a failure note', () =>
      gitlab.notes(project.id, { type: 'Issue', iid: issue.iid }).find((n) => n.authorUsername === 'claude-bot' && n.body.includes('could not start')),
    );
    expect(note.body).toContain('GitLab refused the pipeline');
    expect(note.body).toContain('sufficient permission');
    expect(isClosedOut(note.body)).toBe(true);
    expect(gitlab.pipelines(project.id)).toHaveLength(0);
  });

  it('closes out the tracking note when a pipeline fails before the runner answered', async () => {
    world = await startFlowWorld();
    const { gitlab, project, users } = world;
    const issue = gitlab.addIssue(project.id, { title: 'Timeout', authorId: users.dana.id });
    gitlab.addNote(project.id, { type: 'Issue', iid: issue.iid }, { body: '@claude long job', authorId: users.dana.id });
    const [pipeline] = await eventually('a pipeline', () => gitlab.pipelines(project.id)[0] && gitlab.pipelines(project.id));
    await eventually('the tracking note naming the pipeline', () => gitlab.notes(project.id, { type: 'Issue', iid: issue.iid }).some((n) => n.body.includes(`#${pipeline!.id}`)));
    // GitLab fails the first attempt at the edit: the hook is retried, not given up.
    gitlab.queueFault({ status: 500, method: 'PUT', path: /\/notes\/\d+$/ });
    await gitlab.finishPipeline(project.id, pipeline!.id, 'failed');
    const closed = await eventually('a closed-out note', () =>
      gitlab.notes(project.id, { type: 'Issue', iid: issue.iid }).find((n) => n.authorUsername === 'claude-bot' && isClosedOut(n.body)),
    );
    expect(closed.body).toContain('failed');
    expect(gitlab.requests.filter((r) => r.method === 'PUT' && /\/notes\/\d+$/.test(r.path)).map((r) => r.status).slice(-2)).toEqual([500, 200]);
  });
});

async function editNote(issueIid: number, noteId: number, body: string): Promise<void> {
  const response = await fetch(`${world.gitlab.url}/api/v4/projects/${world.project.id}/issues/${issueIid}/notes/${noteId}`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json', 'private-token': world.users.dana.token },
    body: JSON.stringify({ body }),
  });
  expect(response.status).toBe(200);
}

/** The Note Hook GitLab sends for a seeded note, built from GitLab's documented payload. */
function noteHookBody(noteId: number, issueIid: number, discussionId: string): string {
  return JSON.stringify(standInIssueNotePayload(world.project, { issueIid, noteId, discussionId, body: '@claude once', author: { id: world.users.dana.id, username: 'dana' } }));
}
