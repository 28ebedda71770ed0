import type { Server } from 'node:http';
import express from 'express';
import { pino } from 'pino';
import { systemClock } from '../../service/clock.js';
import type { QueuedWork } from '../../service/domain.js';
import { statusRoute } from '../../service/status/status-route.js';
import type { CoordinationStore } from '../../service/store/types.js';
import { mention } from '../contract/mentions.js';

// A status page over a real store, on a free port, with three runs in it: one finished, one running (its
// pipeline holds the project's only slot) and one waiting for that slot, whose title and author are hostile.

export const STATUS_TOKEN = 'status-token-for-the-tests-0123456789';
export const HOSTILE_TITLE = '<script>document.title="pwned"</script><img src=x onerror="document.title=\'pwned\'">';
export const PROJECT = 77;

export interface StatusWorld {
  url: string;
  published: QueuedWork[];
  close(): Promise<void>;
}

export async function startStatusWorld(store: CoordinationStore, token: string | null = STATUS_TOKEN): Promise<StatusWorld> {
  const published: QueuedWork[] = [];
  const app = express();
  app.use(statusRoute({ token, store, publish: async (work) => published.push(work), clock: systemClock, logger: pino({ level: 'silent' }), stalledAfterMs: 600_000 }));
  app.use((_req, res) => {
    res.status(404).json({ error: 'not found' });
  });
  const server = await new Promise<Server>((resolve) => {
    const listening = app.listen(0, '127.0.0.1', () => resolve(listening));
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return { url: `http://127.0.0.1:${port}`, published, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

/** Three runs of project 77: `run-finished`, `run-running` (pipeline 902, the only slot) and `run-waiting` (hostile title). */
export async function seedRuns(store: CoordinationStore): Promise<void> {
  const now = Date.now();
  const claim = async (noteId: number, runId: string, at: number, edit?: (request: ReturnType<typeof mention>['request']) => void) => {
    const threadKey = `${PROJECT}:Issue:${noteId}:d${noteId}`;
    const pending = mention(noteId, { threadKey, projectId: PROJECT, createdAt: new Date(at).toISOString() });
    pending.request.noteable = { ...pending.request.noteable, type: 'Issue', iid: noteId, title: `Issue ${noteId}`, url: `https://gitlab.example/group/project/-/issues/${noteId}` };
    pending.request.note.url = `https://gitlab.example/group/project/-/issues/${noteId}#note_${noteId}`;
    edit?.(pending.request);
    const recorded = await store.recordMention(pending, at, 0);
    if (recorded.status !== 'pending') throw new Error('not pending');
    const claimed = await store.claimThread(threadKey, recorded.seq, noteId, runId, at, 86_400_000);
    if (claimed.status !== 'claimed') throw new Error(`not claimed: ${claimed.status}`);
    return threadKey;
  };
  const pipelineUrl = (id: number) => `https://gitlab.example/group/project/-/pipelines/${id}`;

  const finishedThread = await claim(1, 'run-finished', now - 600_000);
  await store.acquireSlot(PROJECT, 'run-finished', finishedThread, 1, now - 590_000, 3_600_000);
  await store.attachPipeline(PROJECT, 'run-finished', 901);
  await store.updateRun('run-finished', { state: 'triggered', pipelineId: 901, pipelineUrl: pipelineUrl(901), trackingNoteId: 11 }, now - 590_000);
  await store.releaseSlot(PROJECT, { pipelineId: 901 });

  const runningThread = await claim(2, 'run-running', now - 120_000);
  await store.acquireSlot(PROJECT, 'run-running', runningThread, 1, now - 110_000, 3_600_000);
  await store.attachPipeline(PROJECT, 'run-running', 902);
  await store.updateRun('run-running', { state: 'triggered', pipelineId: 902, pipelineUrl: pipelineUrl(902), trackingNoteId: 12 }, now - 110_000);

  const waitingThread = await claim(3, 'run-waiting', now - 60_000, (request) => {
    request.noteable.title = HOSTILE_TITLE;
    request.author = { id: 3, username: 'eve"><script>alert(1)</script>', name: 'Eve' };
  });
  await store.updateRun('run-waiting', { state: 'announced', trackingNoteId: 13 }, now - 55_000);
  const slot = await store.acquireSlot(PROJECT, 'run-waiting', waitingThread, 1, now - 50_000, 3_600_000);
  if (slot.granted) throw new Error('the waiting run got a slot');
  await store.updateRun('run-waiting', { state: 'waiting' }, now - 50_000);
  await store.recordIncident({ at: now - 30_000, kind: 'dead-letter', message: 'kind=flow noteId=4 (message m-4, 10 attempts): GitLab answered 503' });
}
