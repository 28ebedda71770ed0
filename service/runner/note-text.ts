import { trackingNoteBody } from '../tracking-note.js';
import { redactSecrets, removeInvisible } from './sanitize.js';
import type { Progress, RunResult } from './stream.js';

// The tracking note's text at each stage of a run. Everything shown comes from the model or from user
// text, so it is made safe for a GitLab note first: no quick actions (`/merge` at a line start would run
// as the bot on update or on the MR we create), no secrets, no invisible characters.

export interface Links {
  jobUrl: string | null;
  pipelineUrl: string | null;
}

/** GitLab runs `/command` lines in notes and descriptions; `\/` renders the same and runs nothing. */
export function neutraliseQuickActions(text: string): string {
  let inFence = false;
  return text
    .split('\n')
    .map((line) => {
      if (/^ {0,3}(```|~~~)/.test(line)) inFence = !inFence;
      return !inFence && /^\s*\/[a-z_]/i.test(line) ? line.replace('/', '\\/') : line;
    })
    .join('\n');
}

export function safeForNote(text: string, secrets: readonly string[]): string {
  return neutraliseQuickActions(redactSecrets(removeInvisible(text), secrets));
}

export function inlineCode(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.includes('`') ? `\`\` ${flat} \`\`` : `\`${flat}\``;
}

function jobLink(links: Links): string {
  return links.jobUrl ? `[job log](${links.jobUrl})` : 'the job log';
}

export function workingNote(progress: Progress, links: Links, secrets: readonly string[], runId?: string, maxActions = 8): string {
  const lines = [`🤖 Claude is working on this. Follow along in the ${jobLink(links)}.`];
  if (progress.actions.length > 0) {
    const shown = progress.actions.slice(-maxActions);
    lines.push('');
    if (progress.actions.length > shown.length) lines.push(`- … ${progress.actions.length - shown.length} earlier step(s)`);
    for (const action of shown) {
      const [tool, ...rest] = action.split(' ');
      lines.push(`- ${tool}${rest.length > 0 ? ` ${inlineCode(safeForNote(rest.join(' '), secrets))}` : ''}`);
    }
  }
  return trackingNoteBody(lines.join('\n'), { runId });
}

export function formatDuration(ms: number): string {
  const seconds = Math.round(ms / 1000);
  if (seconds < 60) return `${seconds}s`;
  return `${Math.floor(seconds / 60)}m ${String(seconds % 60).padStart(2, '0')}s`;
}

export function statsLine(result: RunResult | null, links: Links): string {
  const parts: string[] = [];
  if (result) {
    parts.push(`${result.numTurns} turn${result.numTurns === 1 ? '' : 's'}`);
    parts.push(`$${result.totalCostUsd.toFixed(2)}`);
    if (result.durationMs > 0) parts.push(formatDuration(result.durationMs));
  }
  parts.push(jobLink(links));
  return `<sub>${parts.join(' · ')}</sub>`;
}

export type Delivery =
  | { kind: 'merge-request'; url: string; iid: number; branch: string }
  | { kind: 'commit'; sha: string; url: string | null; branch: string }
  | { kind: 'nothing-to-push' }
  | { kind: 'not-pushed'; reason: string };

export function answerNote(answer: string, delivery: Delivery, result: RunResult | null, links: Links, secrets: readonly string[], runId?: string, maxAnswer = 50_000): string {
  let text = safeForNote(answer.trim() || '_Claude finished without a written answer._', secrets);
  if (text.length > maxAnswer) text = `${text.slice(0, maxAnswer)}\n\n_[The answer was cut at ${maxAnswer} characters; the full text is in the job log.]_`;
  const lines = [text, ''];
  switch (delivery.kind) {
    case 'merge-request':
      lines.push(`Changes: draft merge request [!${delivery.iid}](${delivery.url}) from branch \`${delivery.branch}\`.`);
      break;
    case 'commit':
      lines.push(`Changes: commit ${delivery.url ? `[${delivery.sha.slice(0, 8)}](${delivery.url})` : delivery.sha.slice(0, 8)} on \`${delivery.branch}\`.`);
      break;
    case 'not-pushed':
      lines.push(`Claude changed files, but they were not pushed: ${delivery.reason}.`);
      break;
    case 'nothing-to-push':
      lines.pop();
      break;
  }
  lines.push('', '---', statsLine(result, links));
  return trackingNoteBody(lines.join('\n'), { runId, closed: true });
}

export interface Failure {
  /** What failed, in a sentence a project member can act on. */
  what: string;
  /** Optional detail (an error message, the end of stderr); shown in a code block. */
  detail?: string;
  hint?: string;
  /** Claude's answer, when it got that far (a push failed after it finished). */
  answer?: string;
}

export function failureNote(failure: Failure, result: RunResult | null, links: Links, secrets: readonly string[], runId?: string): string {
  const lines = [`❌ Claude could not finish this request: ${safeForNote(failure.what, secrets)}`];
  if (failure.detail) {
    const detail = redactSecrets(removeInvisible(failure.detail), secrets).replace(/```/g, "'''").slice(-2_000);
    lines.push('', '```text', detail, '```');
  }
  if (failure.hint) lines.push('', failure.hint);
  if (failure.answer && failure.answer.trim()) {
    lines.push('', '<details><summary>Claude\'s answer</summary>', '', safeForNote(failure.answer, secrets).slice(0, 40_000), '', '</details>');
  }
  lines.push('', `Where to look: the ${jobLink(links)}${links.pipelineUrl ? ` of [the pipeline](${links.pipelineUrl})` : ''}.`);
  lines.push('', '---', statsLine(result, links));
  return trackingNoteBody(lines.join('\n'), { runId, closed: true });
}
