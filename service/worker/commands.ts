import type { FlowRequest } from '../domain.js';
import { isTransient } from '../gitlab/errors.js';
import type { Logger } from '../log.js';
import type { RunRecord } from '../store/types.js';
import { parseCommand } from './command-words.js';
import { dailyRunsTaken } from './daily-budget.js';
import { didYouMeanNote, helpNote, nothingToStopNote, stopFailedNote, stoppedNote } from './messages.js';
import { editTrackingNote, type WorkerContext } from './worker-context.js';

// The commands the service answers itself, with no pipeline (command-words.ts parses them): `help`, `stop`,
// and a near miss ("did you mean review?"). `review` is a run like any instruction: the runner reviews.
// Reached only with a confirmed mention from an authorised author (admit.ts), before the daily budget.

/** Marks a pipeline that `@claude stop` canceled, so its Pipeline Hook does not overwrite the stopped note. */
export const stoppedPipelineKey = (projectId: number, pipelineId: number) => `pipeline-stopped:${projectId}:${pipelineId}`;
const STOPPED_MEMORY_MS = 7 * 24 * 3600_000;

/** Answers the command in `request`, if it is one the service answers; returns what it was, or null for a run. */
export async function answerCommand(ctx: WorkerContext, request: FlowRequest, log: Logger): Promise<string | null> {
  if (request.event !== 'mention' || request.note.body === null) return null;
  const command = parseCommand(request.note.body, ctx.config.triggerPhrase);
  if (command.kind === 'instruction' || (command.kind === 'command' && command.word === 'review')) return null;
  if (command.kind === 'near-miss') {
    await reply(ctx, request, didYouMeanNote(ctx.config.triggerPhrase, command.word, command.suggestion));
    log.info({ word: command.word, suggestion: command.suggestion }, 'near miss of a command: asked what was meant');
    return `near miss of ${command.suggestion}`;
  }
  if (command.word === 'help') {
    await reply(ctx, request, await help(ctx, request));
    log.info('help answered');
    return 'help';
  }
  await stop(ctx, request, log);
  return 'stop';
}

async function help(ctx: WorkerContext, request: FlowRequest): Promise<string> {
  const { config, store, clock } = ctx;
  const taken = await dailyRunsTaken(store, `author:${request.author.id}`, config.authorRunsPerDay, clock.now());
  return helpNote({
    phrase: config.triggerPhrase,
    minAccessLevel: config.minAccessLevel,
    username: request.author.username,
    runsLeftToday: Math.max(0, config.authorRunsPerDay - taken),
    runsPerDay: config.authorRunsPerDay,
    triggerLabel: config.triggerLabel ?? null,
    reviewOnReady: config.reviewOnReady ?? false,
  });
}

/** Cancels the thread's running pipeline (its run in the store holds the id) and says so in its tracking note. */
async function stop(ctx: WorkerContext, request: FlowRequest, log: Logger): Promise<void> {
  const { store, clock, gitlab } = ctx;
  const running = await runningRunOf(ctx, request);
  if (!running || running.pipelineId === null) {
    await reply(ctx, request, nothingToStopNote());
    log.info('stop asked with nothing running in the thread');
    return;
  }
  const pipelineId = running.pipelineId;
  await store.rememberOnce(stoppedPipelineKey(running.projectId, pipelineId), clock.now(), STOPPED_MEMORY_MS);
  try {
    await gitlab.cancelPipeline(running.projectId, pipelineId);
  } catch (error) {
    await store.forget(stoppedPipelineKey(running.projectId, pipelineId)).catch(() => undefined);
    if (isTransient(error)) throw error;
    log.warn({ err: error, pipelineId }, 'GitLab refused to cancel the pipeline');
    await reply(ctx, request, stopFailedNote(pipelineId, error));
    return;
  }
  log.info({ pipelineId, stoppedRunId: running.runId, by: request.author.username }, 'pipeline stopped on request');
  await editTrackingNote(ctx, running, log, 'mark the tracking note stopped', stoppedNote(running.runId, pipelineId, running.pipelineUrl, request.author.username));
}

/**
 * The run whose pipeline holds a slot for this thread: the same thread, or the thread its tracking note
 * lives in (an event's tracking note opens a discussion of its own, where `stop` is typed).
 */
async function runningRunOf(ctx: WorkerContext, request: FlowRequest): Promise<RunRecord | null> {
  const { store, clock } = ctx;
  const ids = await store.activeRuns(request.project.id, clock.now());
  const runs = await Promise.all(ids.map((id) => store.getRun(id)));
  const discussionId = request.note.discussionId;
  return (
    runs.find(
      (run): run is RunRecord =>
        !!run && run.state === 'triggered' && run.pipelineId !== null && (run.threadKey === request.threadKey || (discussionId !== null && run.trackingDiscussionId === discussionId)),
    ) ?? null
  );
}

async function reply(ctx: WorkerContext, request: FlowRequest, body: string): Promise<void> {
  const { project, noteable, note } = request;
  await ctx.gitlab.replyInThread(project.id, noteable, note.discussionId, body, { internal: note.internal });
}
