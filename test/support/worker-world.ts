import { systemClock } from '../../service/clock.js';
import type { FlowRequest } from '../../service/domain.js';
import { createGitLabApi } from '../../service/gitlab/lazy-api.js';
import { classifyWebhook } from '../../service/ingest/classify.js';
import type { WorkHandler } from '../../service/queue/types.js';
import { MemoryQueue } from '../../service/queue/memory-queue.js';
import type { CoordinationStore } from '../../service/store/types.js';
import { createWorker } from '../../service/worker/worker.js';
import { AccessLevel, startGitLabStandIn, type GitLabStandIn, type LatencySettings } from '../../standins/gitlab/index.js';
import { standInIssueNotePayload } from '../../devtools/payloads.js';
import { captureLogger } from './logs.js';

// The worker alone, without the HTTP side: a stand-in GitLab with one project (the bot and dana, both
// Developers) and one issue, the embedded queue, and the store under test. Tests write mentions and
// publish them (or leave them in the store only) themselves.

export const WORKER_DEBOUNCE_MS = 50;

export interface WorkerWorld {
  gitlab: GitLabStandIn;
  queue: MemoryQueue;
  handler: WorkHandler;
  /** Another instance's worker on the same store and GitLab (its deliveries are made by hand). */
  instance(shutdown: AbortSignal): WorkHandler;
  project: { id: number };
  issue: { iid: number };
  bot: { id: number };
  logs(): Array<Record<string, unknown>>;
  /** Writes a note by dana on the issue and returns the request ingest would have made of its hook. */
  mention(body: string): FlowRequest;
  close(): Promise<void>;
}

export async function startWorkerWorld(options: { store: CoordinationStore; latency?: LatencySettings; runLockStaleMs?: number; shutdown?: AbortSignal }): Promise<WorkerWorld> {
  const gitlab = await startGitLabStandIn(options.latency ? { latency: options.latency } : {});
  const bot = gitlab.addUser({ username: 'claude-bot' });
  const dana = gitlab.addUser({ username: 'dana' });
  const project = gitlab.addProject({ path: 'acme/app', protectedBranches: [] });
  gitlab.addMember(project.id, bot.id, AccessLevel.developer);
  gitlab.addMember(project.id, dana.id, AccessLevel.developer);
  const issue = gitlab.addIssue(project.id, { title: 'Worker', authorId: dana.id });
  const queue = new MemoryQueue({ minBackoffMs: 20 });
  const captured = captureLogger();
  const instance = (shutdown: AbortSignal) =>
    createWorker({
      store: options.store,
      gitlab: createGitLabApi({ baseUrl: gitlab.url, token: bot.token }),
      config: {
        gitlabUrl: gitlab.url,
        triggerToken: null,
        debounceMs: WORKER_DEBOUNCE_MS,
        maxConcurrentPipelines: 2,
        minAccessLevel: 30,
        threadRunBudget: 20,
        threadRunWindowMs: 86_400_000,
        slotLeaseMs: 60_000,
        triggerPhrase: '@claude',
        allowConfidential: false,
        allowedProjects: [],
        scopedWebhookSecrets: [],
        authorRunsPerDay: 1000,
        projectRunsPerDay: 1000,
      },
      logger: captured.logger,
      clock: systemClock,
      shutdown,
      ...(options.runLockStaleMs !== undefined ? { runLockStaleMs: options.runLockStaleMs } : {}),
    });
  const handler = instance(options.shutdown ?? new AbortController().signal);
  await queue.start(handler);
  return {
    gitlab,
    queue,
    handler,
    instance,
    project,
    issue,
    bot,
    logs: () => captured.logs,
    mention(body) {
      const note = gitlab.addNote(project.id, { type: 'Issue', iid: issue.iid }, { body, authorId: dana.id });
      const payload = standInIssueNotePayload(project, { issueIid: issue.iid, noteId: note.id, discussionId: note.discussionId, body, author: { id: dana.id, username: 'dana' } });
      const classified = classifyWebhook({ eventHeader: 'Note Hook', deliveryId: `d${note.id}`, payload, receivedAt: new Date() }, { triggerPhrase: '@claude', allowConfidential: false, gitlabUrl: gitlab.url });
      if (classified.kind !== 'flow') throw new Error('expected a flow request');
      return classified.request;
    },
    async close() {
      await queue.stop();
      await gitlab.close();
    },
  };
}
