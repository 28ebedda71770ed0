import { GitLabApiError } from '../gitlab/errors.js';
import { trackingNoteBody } from '../tracking-note.js';

// What the tracking note says at each step. Every failure says what went wrong and what to check
// (mirrors docs/troubleshooting.md), so no thread is left with a silent spinner.

export function startingNote(runId: string): string {
  return trackingNoteBody('👀 Claude is on it: starting a pipeline…', { runId });
}

export function queuedNote(runId: string, position: number, limit: number): string {
  const ahead = position <= 1 ? 'next in line' : `${position - 1} request${position - 1 === 1 ? '' : 's'} ahead`;
  return trackingNoteBody(
    `⏳ Claude is queued (${ahead}): this project runs at most ${limit} Claude pipeline${limit === 1 ? '' : 's'} at once. This note changes when it starts.`,
    { runId },
  );
}

export function triggeredNote(runId: string, pipelineId: number, pipelineUrl: string, ref: string, options: { confidential?: boolean } = {}): string {
  const why = options.confidential ? ' This issue is confidential, so Claude answers here only: no branch, no merge request.' : '';
  return trackingNoteBody(`🤖 Claude is on it: [pipeline #${pipelineId}](${pipelineUrl}) on \`${ref}\`. This note will carry the answer.${why}`, { runId });
}

export function budgetNote(runId: string, budget: number): string {
  return trackingNoteBody(
    `✋ Claude was asked ${budget} times in this thread within the budget window (THREAD_RUN_BUDGET), so this request did not start a pipeline. Start a new thread, or ask again later.`,
    { runId, closed: true },
  );
}

/** To a project member whose role is below MIN_ACCESS_LEVEL: once per thread, so they know it is not broken. */
export function accessRefusedNote(username: string, minAccessLevel: number): string {
  return trackingNoteBody(
    `@${username}, only project members with at least the ${roleName(minAccessLevel)} role can ask Claude here. A member with that role can ask for you.`,
    { closed: true },
  );
}

export function dailyBudgetNote(runId: string, who: { author: string } | { project: string }, limit: number, resetsAt: number): string {
  const what = 'author' in who ? `for @${who.author} (AUTHOR_RUNS_PER_DAY)` : `in ${who.project} (PROJECT_RUNS_PER_DAY)`;
  const next = new Date(resetsAt).toISOString().replace('T', ' ').replace(/:\d{2}\.\d{3}Z$/, ' UTC');
  return trackingNoteBody(`✋ Claude has already run ${limit} times today ${what}, so this request did not start a pipeline. The next run is possible from ${next}.`, {
    runId,
    closed: true,
  });
}

/** `@claude help`: what may be asked here, by whom, and what is left today. */
export function helpNote(input: { phrase: string; minAccessLevel: number; username: string; runsLeftToday: number; runsPerDay: number; triggerLabel: string | null; reviewOnReady: boolean }): string {
  const { phrase } = input;
  const lines = [
    `Claude works in a pipeline and answers in the thread. Members with at least the ${roleName(input.minAccessLevel)} role can ask:`,
    '',
    `- \`${phrase} <what you want>\`: Claude works on it (answers, commits, or opens a merge request).`,
    `- \`${phrase} review\`: on a merge request, a review. Adding the bot as a reviewer asks for one too${input.reviewOnReady ? ', and so does marking a draft ready' : ''}.`,
    `- \`${phrase} stop\`: cancels the pipeline running for this thread.`,
    `- \`${phrase} help\`: this message.`,
    '',
    `Assigning the bot to an issue starts work on it${input.triggerLabel ? `; so does adding the label ~"${input.triggerLabel}" to an issue or merge request` : ''}.`,
    `@${input.username} can start ${input.runsLeftToday} more of ${input.runsPerDay} runs today (AUTHOR_RUNS_PER_DAY).`,
  ];
  return trackingNoteBody(lines.join('\n'), { closed: true });
}

export function didYouMeanNote(phrase: string, word: string, suggestion: string): string {
  return trackingNoteBody(`Did you mean \`${phrase} ${suggestion}\`? \`${word}\` is not a command, so nothing started. \`${phrase} help\` lists the commands.`, { closed: true });
}

export function stoppedNote(runId: string, pipelineId: number, pipelineUrl: string | null, by: string): string {
  const link = pipelineUrl ? `[pipeline #${pipelineId}](${pipelineUrl})` : `pipeline #${pipelineId}`;
  return trackingNoteBody(`⏹️ Stopped by @${by}: ${link} was canceled before Claude answered.`, { runId, closed: true });
}

export function nothingToStopNote(): string {
  return trackingNoteBody('Nothing is running for this thread, so there is nothing to stop.', { closed: true });
}

export function stopFailedNote(pipelineId: number, error: unknown): string {
  return trackingNoteBody(`❌ Could not cancel pipeline #${pipelineId}: ${error instanceof Error ? error.message : String(error)}. Cancel it from the pipeline's page.`, { closed: true });
}

function roleName(level: number): string {
  if (level <= 10) return 'Guest';
  if (level <= 20) return 'Reporter';
  if (level <= 30) return 'Developer';
  if (level <= 40) return 'Maintainer';
  return 'Owner';
}

export function triggerFailedNote(runId: string, error: unknown, ref: string): string {
  return trackingNoteBody(`❌ Claude could not start a pipeline on \`${ref}\`: ${describeTriggerFailure(error)}`, { runId, closed: true });
}

export function stalledNote(runId: string): string {
  return trackingNoteBody(
    '❌ Claude could not start a pipeline: GitLab kept failing for too long (the service log has each attempt). Nothing ran; ask again with @claude.',
    { runId, closed: true },
  );
}

export function pipelineEndedNote(pipelineId: number, url: string | null, status: string): string {
  const link = url ? `[pipeline #${pipelineId}](${url})` : `pipeline #${pipelineId}`;
  const text =
    status === 'success'
      ? `⚠️ Claude's ${link} finished without posting an answer. Check the job log.`
      : `❌ Claude's ${link} ended with status **${status}** before it could answer. Open the job log: a job timeout, a lost runner, or a failed Vertex AI / API authentication are the usual causes (docs/troubleshooting.md in claude-gitlab-flow).`;
  return trackingNoteBody(text, { closed: true });
}

/** Turns a trigger failure into the sentence a project maintainer can act on. */
export function describeTriggerFailure(error: unknown): string {
  if (!(error instanceof GitLabApiError)) return 'an unexpected error; the service log has the details.';
  const said = error.message.replace(/^GitLab \S+ \S+ answered \d+:?\s*/, '');
  switch (error.status) {
    case 400:
      return `GitLab refused the pipeline (${said}). Check that the branch exists and that its .gitlab-ci.yml includes the claude-gitlab-flow template, whose rules accept pipelines with AI_FLOW_EVENT.`;
    case 401:
      return 'GitLab rejected the credentials (401). Check that GITLAB_TOKEN (or GITLAB_TRIGGER_TOKEN) is valid and not expired.';
    case 403:
      return 'the bot user may not run pipelines here (403). Give it the Developer role, or Maintainer for protected branches.';
    case 404:
      return 'GitLab answered 404: the project is not visible to the bot user, or the trigger token does not belong to this project.';
    default:
      return `GitLab answered ${error.status || 'nothing'} (${said}).`;
  }
}
