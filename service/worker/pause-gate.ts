import type { Clock } from '../clock.js';
import type { FlowRequest } from '../domain.js';
import type { GitLabApi } from '../gitlab/api.js';
import { isTransient } from '../gitlab/errors.js';
import type { Logger } from '../log.js';
import { describeWork } from '../queue/describe-work.js';
import type { WorkHandler } from '../queue/types.js';
import type { CoordinationStore, PauseState } from '../store/types.js';
import { pausedNote } from './pause-note.js';

// While an operator has paused the service (`claude-gitlab-flow pause`, a flag in the store that every
// instance reads), work is acknowledged without being done: its mention stays pending in the store, a run
// stays unfinished there, and `resume` queues all of it again, oldest first (resume-held-work.ts). Nacking
// instead would count delivery attempts and dead-letter everything during a long pause. Pipeline Hooks
// still pass (they free slots and close notes out); the worker's trigger step checks the flag itself, so
// a run that was under way when the pause came stops before its pipeline.

export interface PauseGateDeps {
  store: Pick<CoordinationStore, 'pauseState' | 'recordMention' | 'rememberOnce' | 'forget'>;
  gitlab: Pick<GitLabApi, 'replyInThread'>;
  logger: Logger;
  clock: Clock;
  debounceMs: number;
}

/** How long a thread remembers it was told about a pause (the key names the pause). */
const TOLD_MEMORY_MS = 30 * 24 * 3600_000;

export function pauseGate(handler: WorkHandler, deps: PauseGateDeps): WorkHandler {
  return async (delivery) => {
    const { work } = delivery;
    if (work.kind === 'pipeline') return handler(delivery);
    const pause = await deps.store.pauseState();
    if (!pause.paused) return handler(delivery);
    const log = deps.logger.child({ messageId: delivery.messageId, ...describeWork(work) });
    if (work.kind === 'flow') {
      // A message queued without its place in the thread (an older version's): record it, so resume finds it.
      if (work.seq === undefined) await deps.store.recordMention({ noteId: work.request.note.id, request: work.request }, deps.clock.now(), deps.debounceMs);
      await tellPausedOnce(work.request, pause, deps, log);
    }
    log.info('paused by the operator: work kept in the store until resume');
    return { kind: 'ack' };
  };
}

/** One note per thread and pause, saying the request is kept; a failure to say it is retried (transient) or logged. */
async function tellPausedOnce(request: FlowRequest, pause: PauseState, deps: PauseGateDeps, log: Logger): Promise<void> {
  const key = `paused-told:${request.threadKey}:${pause.since ?? 0}`;
  if (!(await deps.store.rememberOnce(key, deps.clock.now(), TOLD_MEMORY_MS))) return;
  try {
    await deps.gitlab.replyInThread(request.project.id, request.noteable, request.note.discussionId, pausedNote(), { internal: request.note.internal });
    log.info('told the thread the service is paused');
  } catch (error) {
    await deps.store.forget(key).catch(() => undefined);
    if (isTransient(error)) throw error;
    log.warn({ err: error }, 'could not tell the thread the service is paused');
  }
}
