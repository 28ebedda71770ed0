import type { FlowRequest } from '../domain.js';
import type { Logger } from '../log.js';
import type { PendingMention, RunRecord } from '../store/types.js';
import { authorisedMentions, confirmedMentions, tellBelowAccessLevel } from './authorise.js';
import { answerCommand } from './commands.js';
import { returnDailyRun, takeDailyRun } from './daily-budget.js';
import { runRequest } from './decisions.js';
import { dailyBudgetNote } from './messages.js';
import { bestEffort, type WorkerContext } from './worker-context.js';

// Whether a claimed run may go on: GitLab confirms its mentions, their authors may ask, and the daily
// budgets have room. A run that may not is skipped here (before anything is posted but the refusals).

export interface Admitted {
  /** The request of the last confirmed mention: where the run speaks. */
  request: FlowRequest;
  /** The confirmed mentions of authorised authors, in note order. */
  allowed: PendingMention[];
}

export async function admitRun(ctx: WorkerContext, run: RunRecord, log: Logger): Promise<Admitted | null> {
  const { store, clock, gitlab } = ctx;
  const skip = (error: string) => store.updateRun(run.runId, { state: 'skipped', error }, clock.now(), ['claimed']);
  const verified = await confirmedMentions(ctx, run, log);
  if (verified.length === 0) {
    await skip('GitLab does not confirm the mentions');
    log.warn('GitLab does not confirm any mention of this run: nothing runs, nothing is posted');
    return null;
  }
  const request = runRequest({ ...run, mentions: verified });
  const { allowed, belowAccessLevel } = await authorisedMentions(ctx, { ...run, mentions: verified }, log);
  await tellBelowAccessLevel(ctx, run, belowAccessLevel, log);
  if (allowed.length === 0) {
    await skip('no authorised author');
    log.warn('no mention in this run comes from an authorised author: nothing runs');
    return null;
  }
  const last = allowed.at(-1) as PendingMention;
  // `help`, `stop` and near misses are answered here, with no pipeline and no daily run spent.
  const command = await answerCommand(ctx, last.request, log);
  if (command) {
    await skip(`answered by the service: ${command}`);
    return null;
  }
  const overBudget = await dailyBudgetRefusal(ctx, run, last.request);
  if (overBudget) {
    await skip('daily run budget reached');
    log.warn({ authorId: last.request.author.id }, 'daily run budget reached: no pipeline');
    const { project, noteable, note } = last.request;
    await bestEffort(log, 'post daily budget note', () => gitlab.replyInThread(project.id, noteable, note.discussionId, overBudget, { internal: note.internal }));
    return null;
  }
  return { request, allowed };
}

/**
 * The run's author's and the project's runs today, counted once per run (a retry of this step does not
 * count again). Null when both had room; otherwise the note that says which is spent and until when.
 */
async function dailyBudgetRefusal(ctx: WorkerContext, run: RunRecord, request: FlowRequest): Promise<string | null> {
  const { store, clock, config } = ctx;
  const now = clock.now();
  if (!(await store.rememberOnce(`daily-run-counted:${run.runId}`, now, 2 * 24 * 3600_000))) return null;
  const author = await takeDailyRun(store, `author:${request.author.id}`, config.authorRunsPerDay, now);
  if (!author.taken) return dailyBudgetNote(run.runId, { author: request.author.username }, config.authorRunsPerDay, author.resetsAt);
  const project = await takeDailyRun(store, `project:${run.projectId}`, config.projectRunsPerDay, now);
  if (project.taken) return null;
  await returnDailyRun(store, author);
  return dailyBudgetNote(run.runId, { project: request.project.path }, config.projectRunsPerDay, project.resetsAt);
}
