import { afterEach, describe, expect, it } from 'vitest';
import { systemClock } from '../../service/clock.js';
import type { FlowRequest } from '../../service/domain.js';
import { RestGitLabApi } from '../../service/gitlab/api.js';
import { GitLabHttp } from '../../service/gitlab/http.js';
import { classifyWebhook } from '../../service/ingest/classify.js';
import { MemoryQueue } from '../../service/queue/memory-queue.js';
import { MemoryStore } from '../../service/store/memory-store.js';
import type { TriggerLockResult } from '../../service/store/types.js';
import { createWorker } from '../../service/worker/worker.js';
import { eventually } from '../support/flow-harness.js';
import { AccessLevel, startGitLabStandIn, type GitLabStandIn, type LatencySettings } from '../support/gitlab-standin/index.js';
import { noteOnIssuePayload } from '../support/payloads.js';
import { captureLogger } from '../support/service-app.js';

// The run lock: one attempt works on a run at a time. An attempt that finds it busy waits (its message
// is not handed back, which would spend a delivery attempt); a crashed holder's lock goes stale, a live
// holder renews its lock while its step runs, however long that step takes.

const STALE_MS = 600;

/** A store in which an instance that then died took the lock of the first run anybody tries to lock. */
class DeadHolderStore extends MemoryStore {
  planted = false;
  override async lockTrigger(runId: string, owner: string, now: number, staleMs: number): Promise<TriggerLockResult> {
    if (!this.planted) {
      this.planted = true;
      await super.lockTrigger(runId, 'dead-instance:attempt', now, staleMs);
    }
    return super.lockTrigger(runId, owner, now, staleMs);
  }
}

let gitlab: GitLabStandIn;
let queue: MemoryQueue;
afterEach(async () => {
  await queue?.stop();
  await gitlab?.close();
});

async function setUp(store: MemoryStore, latency?: LatencySettings) {
  gitlab = await startGitLabStandIn(latency ? { latency } : {});
  const bot = gitlab.addUser({ username: 'claude-bot' });
  const dana = gitlab.addUser({ username: 'dana' });
  const project = gitlab.addProject({ path: 'acme/app', protectedBranches: [] });
  gitlab.addMember(project.id, bot.id, AccessLevel.developer);
  gitlab.addMember(project.id, dana.id, AccessLevel.developer);
  const issue = gitlab.addIssue(project.id, { title: 'Locks', authorId: dana.id });
  const note = gitlab.addNote(project.id, { type: 'Issue', iid: issue.iid }, { body: '@claude go', authorId: dana.id });
  queue = new MemoryQueue({ minBackoffMs: 20 });
  const captured = captureLogger();
  const handler = createWorker({
    store,
    gitlab: new RestGitLabApi(new GitLabHttp({ baseUrl: gitlab.url, token: bot.token })),
    config: { gitlabUrl: gitlab.url, triggerToken: null, debounceMs: 50, maxConcurrentPipelines: 2, minAccessLevel: 30, threadRunBudget: 20, threadRunWindowMs: 86_400_000, slotLeaseMs: 60_000 },
    logger: captured.logger,
    clock: systemClock,
    shutdown: new AbortController().signal,
    runLockStaleMs: STALE_MS,
  });
  const payload = noteOnIssuePayload({ projectId: project.id, projectPath: project.path, projectWebUrl: project.webUrl, defaultBranch: 'main', issueIid: issue.iid, noteId: note.id, discussionId: note.discussionId, body: '@claude go', author: { id: dana.id, username: 'dana' } });
  const classified = classifyWebhook({ eventHeader: 'Note Hook', deliveryId: 'd1', payload, receivedAt: new Date() }, { triggerPhrase: '@claude', allowConfidential: false, gitlabUrl: gitlab.url });
  if (classified.kind !== 'flow') throw new Error('expected a flow request');
  await queue.start(handler);
  return { project, issue, request: classified.request as FlowRequest, logs: () => captured.logs };
}

describe('the run lock', () => {
  it('a lock left by a crashed attempt is waited out on the same delivery, not handed back until dead-lettered', async () => {
    const { project, request, logs } = await setUp(new DeadHolderStore());
    const started = Date.now();
    await queue.publish({ kind: 'flow', request }, String(project.id));
    await eventually('the run to finish', () => queue.depth === 0 && gitlab.pipelines(project.id).length > 0, 10_000);
    expect(gitlab.pipelines(project.id)).toHaveLength(1);
    // It waited for the dead holder's lock to go stale...
    expect(Date.now() - started).toBeGreaterThanOrEqual(STALE_MS);
    // ...within its first delivery: nothing was handed back.
    expect(logs().filter((line) => line.message === 'transient failure; will retry' || line.deliveryAttempt !== 1 && line.deliveryAttempt !== undefined)).toEqual([]);
  });

  it('a holder whose step outlasts the stale time keeps the lock: a concurrent delivery does not act twice', async () => {
    // Every GitLab call takes 400 ms: announcing (author checks, 👀, the tracking note) takes well over STALE_MS.
    const { project, issue, request } = await setUp(new MemoryStore(), { minMs: 400, maxMs: 400 });
    await Promise.all([queue.publish({ kind: 'flow', request }, String(project.id)), queue.publish({ kind: 'flow', request }, String(project.id))]);
    await eventually('the run to finish', () => queue.depth === 0 && gitlab.pipelines(project.id).length > 0, 20_000);
    const botNotes = gitlab.notes(project.id, { type: 'Issue', iid: issue.iid }).filter((note) => note.authorUsername === 'claude-bot');
    expect(botNotes).toHaveLength(1);
    expect(gitlab.pipelines(project.id)).toHaveLength(1);
  });
});
