import { afterEach, describe, expect, it } from 'vitest';
import { systemClock } from '../../service/clock.js';
import type { FlowRequest } from '../../service/domain.js';
import { RestGitLabApi } from '../../service/gitlab/api.js';
import { GitLabHttp } from '../../service/gitlab/http.js';
import { classifyWebhook } from '../../service/ingest/classify.js';
import { MemoryQueue } from '../../service/queue/memory-queue.js';
import { MemoryStore } from '../../service/store/memory-store.js';
import type { RunRecord, RunState } from '../../service/store/types.js';
import { createWorker } from '../../service/worker/worker.js';
import { eventually } from '../support/flow-harness.js';
import { AccessLevel, startGitLabStandIn, type GitLabStandIn } from '../support/gitlab-standin/index.js';
import { noteOnIssuePayload } from '../support/payloads.js';
import { captureLogger } from '../support/service-app.js';

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

let gitlab: GitLabStandIn;
let queue: MemoryQueue;
afterEach(async () => {
  await queue?.stop();
  await gitlab?.close();
});

async function setUp(crashBefore: RunState) {
  gitlab = await startGitLabStandIn();
  const bot = gitlab.addUser({ username: 'claude-bot' });
  const dana = gitlab.addUser({ username: 'dana' });
  const project = gitlab.addProject({ path: 'acme/app', protectedBranches: [] });
  gitlab.addMember(project.id, bot.id, AccessLevel.developer);
  gitlab.addMember(project.id, dana.id, AccessLevel.developer);
  const issue = gitlab.addIssue(project.id, { title: 'Crash', authorId: dana.id });
  const note = gitlab.addNote(project.id, { type: 'Issue', iid: issue.iid }, { body: '@claude go', authorId: dana.id });
  const store = new CrashingStore();
  store.crashBefore.add(crashBefore);
  queue = new MemoryQueue({ minBackoffMs: 20 });
  const { logger } = captureLogger();
  const handler = createWorker({
    store,
    gitlab: new RestGitLabApi(new GitLabHttp({ baseUrl: gitlab.url, token: bot.token })),
    config: { gitlabUrl: gitlab.url, triggerToken: null, debounceMs: 50, maxConcurrentPipelines: 2, minAccessLevel: 30, threadRunBudget: 20, threadRunWindowMs: 86_400_000, slotLeaseMs: 60_000 },
    logger,
    clock: systemClock,
    shutdown: new AbortController().signal,
  });
  const payload = noteOnIssuePayload({ projectId: project.id, projectPath: project.path, projectWebUrl: project.webUrl, defaultBranch: 'main', issueIid: issue.iid, noteId: note.id, discussionId: note.discussionId, body: '@claude go', author: { id: dana.id, username: 'dana' } });
  const classified = classifyWebhook({ eventHeader: 'Note Hook', deliveryId: 'd1', payload, receivedAt: new Date() }, { triggerPhrase: '@claude', allowConfidential: false, gitlabUrl: gitlab.url });
  if (classified.kind !== 'flow') throw new Error('expected a flow request');
  await queue.start(handler);
  return { project, issue, store, handler, request: classified.request as FlowRequest };
}

describe('crash recovery', () => {
  it('a crash after the pipeline was created but before it was recorded does not start a second one', async () => {
    const { project, request } = await setUp('triggered');
    await queue.publish({ kind: 'flow', request }, String(project.id));
    await eventually('the run to finish', () => queue.depth === 0 && gitlab.pipelines(project.id).length > 0);
    expect(gitlab.pipelines(project.id)).toHaveLength(1);
    expect(gitlab.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/pipeline'))).toHaveLength(1);
  });

  it('a crash after the pipeline was created, while it finishes, still frees the project slot', async () => {
    const { project, store, handler, request } = await setUp('triggered');
    // While the crashed attempt is gone, the pipeline ends and its Pipeline Hook is handled; the
    // message's next attempt then takes a slot again before it finds the pipeline.
    store.meanwhile = async (patch) => {
      const pipelineId = patch.pipelineId as number;
      await gitlab.finishPipeline(project.id, pipelineId, 'success');
      await handler({ messageId: 'hook', deliveryAttempt: 1, work: { kind: 'pipeline', event: { projectId: project.id, pipelineId, status: 'success', url: null, variables: {}, deliveryId: 'hook' } } });
    };
    await queue.publish({ kind: 'flow', request }, String(project.id));
    await eventually('the run to be recorded as triggered', async () => queue.depth === 0 && (await store.runOfNote(request.note.id)) !== null && (await store.getRun((await store.runOfNote(request.note.id)) as string))?.state === 'triggered');
    expect(gitlab.pipelines(project.id)).toHaveLength(1);
    expect(await store.activeRuns(project.id, Date.now())).toEqual([]);
  });

  it('a crash after the tracking note was posted but before it was recorded does not post a second one', async () => {
    const { project, issue, request } = await setUp('announced');
    await queue.publish({ kind: 'flow', request }, String(project.id));
    await eventually('the run to finish', () => queue.depth === 0 && gitlab.pipelines(project.id).length > 0);
    const botNotes = gitlab.notes(project.id, { type: 'Issue', iid: issue.iid }).filter((n) => n.authorUsername === 'claude-bot');
    expect(botNotes).toHaveLength(1);
    expect(gitlab.pipelines(project.id)).toHaveLength(1);
  });

  it('the same request delivered many times at once still starts one pipeline', async () => {
    const { project, request } = await setUp('skipped');
    await Promise.all(Array.from({ length: 8 }, () => queue.publish({ kind: 'flow', request }, String(project.id))));
    await eventually('the run to finish', () => queue.depth === 0 && gitlab.pipelines(project.id).length > 0);
    expect(gitlab.pipelines(project.id)).toHaveLength(1);
  });
});
