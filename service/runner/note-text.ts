import { trackingNoteBody, type KeptSession } from '../tracking-note.js';
import type { DenialAdvice } from './denials.js';
import { redactSecrets, removeInvisible } from './sanitize.js';
import type { RefusedChange } from './workspace/change-policy.js';
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

export interface AnswerAudience {
  /** The username of who asked: the one mention the answer may make. */
  requester: string;
  /** The GitLab instance: images from anywhere else become plain links. */
  gitlabUrl: string;
}

/** Splits a line into inline code spans (left alone) and text. */
function mapOutsideCode(text: string, map: (part: string) => string): string {
  let inFence = false;
  return text
    .split('\n')
    .map((line) => {
      if (/^ {0,3}(```|~~~)/.test(line)) {
        inFence = !inFence;
        return line;
      }
      if (inFence) return line;
      return line
        .split(/(`+[^`]*`+)/)
        .map((part, index) => (index % 2 === 1 ? part : map(part)))
        .join('');
    })
    .join('\n');
}

/** `@all`, `@here` and anyone but the requester become code, so the model's answer notifies nobody. */
export function neutraliseMentions(text: string, requester: string): string {
  return mapOutsideCode(text, (part) =>
    part.replace(/(^|[^\w`\\/.@-])@([A-Za-z0-9_][A-Za-z0-9_.\-/]*[A-Za-z0-9_])/g, (match, before: string, name: string) =>
      name.toLowerCase() === requester.toLowerCase() ? match : `${before}\`@${name}\``,
    ),
  );
}

function isForeign(url: string, gitlabUrl: string): boolean {
  if (!/^[a-z][a-z0-9+.-]*:|^\/\//i.test(url)) return false; // relative: an upload on this instance
  try {
    return new URL(url, gitlabUrl).origin !== new URL(gitlabUrl).origin;
  } catch {
    return true;
  }
}

/** An image from another host would load in every reader's browser (a tracking pixel): a link instead. */
export function unembedForeignImages(text: string, gitlabUrl: string): string {
  return mapOutsideCode(text, (part) =>
    part
      .replace(/!\[([^\]]*)\]\(\s*<?([^\s)>]+)>?[^)]*\)/g, (match, alt: string, url: string) => (isForeign(url, gitlabUrl) ? `[${alt || 'image'}](${url})` : match))
      .replace(/<img\b[^>]*\bsrc\s*=\s*["']?([^"'\s>]+)["']?[^>]*>/gi, (match, url: string) => (isForeign(url, gitlabUrl) ? `[image](${url})` : match)),
  );
}

/** For what the model wrote (the answer, a merge request's description). */
export function safeAnswer(text: string, secrets: readonly string[], audience: AnswerAudience): string {
  return unembedForeignImages(neutraliseMentions(safeForNote(text, secrets), audience.requester), audience.gitlabUrl);
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

/** `usage`: the gateway's own count (tokens and spend), which the agent cannot misreport. */
export function statsLine(result: RunResult | null, links: Links, usage: string | null = null): string {
  const parts: string[] = [];
  if (result) parts.push(`${result.numTurns} turn${result.numTurns === 1 ? '' : 's'}`);
  if (usage) parts.push(usage);
  else if (result) parts.push(`$${result.totalCostUsd.toFixed(2)}`);
  if (result && result.durationMs > 0) parts.push(formatDuration(result.durationMs));
  parts.push(jobLink(links));
  return `<sub>${parts.join(' · ')}</sub>`;
}

export interface Pushed {
  branch: string;
  /** Changes the policy kept out of the push. */
  refused: readonly RefusedChange[];
  /** Pushed with `-o ci.skip`: no pipeline ran Claude's code as the bot. */
  pipelineSkipped: boolean;
}

export type Delivery =
  | ({ kind: 'merge-request'; url: string; iid: number } & Pushed)
  | ({ kind: 'commit'; sha: string; url: string | null } & Pushed)
  | { kind: 'nothing-to-push' }
  | { kind: 'not-pushed'; reason: string; refused: readonly RefusedChange[] };

/** What else the closing note says: how the run was contained, and what it refused. */
export interface RunNotes {
  isolation: string | null;
  denials: readonly DenialAdvice[];
  usage: string | null;
  /** Who may be mentioned and where images may come from, for what the model wrote. */
  audience: AnswerAudience | null;
  /** Why an earlier session of this thread could not be resumed (session/), when there was one. */
  sessionNotice?: string | null;
  /** Where this run kept its session, for the hidden marker (session/keep.ts). */
  keptSession?: KeptSession | null;
}

export const NO_RUN_NOTES: RunNotes = { isolation: null, denials: [], usage: null, audience: null };

function refusedLines(refused: readonly RefusedChange[]): string[] {
  if (refused.length === 0) return [];
  const shown = refused.slice(0, 20).map(({ change, reason }) => `- ${inlineCode(change.path)} (${change.kind}): ${reason}`);
  if (refused.length > shown.length) shown.push(`- … and ${refused.length - shown.length} more`);
  return ['', 'Not pushed, for a person to change by hand if they want it:', ...shown];
}

function denialLines(denials: readonly DenialAdvice[]): string[] {
  if (denials.length === 0) return [];
  const shown = denials.slice(0, 15).map((denial) => {
    const what = `${denial.tool}${denial.target ? ` ${inlineCode(denial.target.slice(0, 200))}` : ''}`;
    return denial.rule ? `- ${what}: allow with ${inlineCode(denial.rule)} in \`CLAUDE_FLOW_ALLOWED_TOOLS\`` : `- ${what}: ${denial.why}`;
  });
  return ['', '<details><summary>Tool calls that were refused</summary>', '', ...shown, '', '</details>'];
}

function pipelineLine(pushed: Pushed): string[] {
  if (!pushed.pipelineSkipped) return [];
  return [
    '',
    `No pipeline ran for this push (\`ci.skip\`), so nothing Claude wrote ran with this project's CI variables. Review the change, then run the pipeline as yourself: Build > Pipelines > Run pipeline on \`${pushed.branch}\` (or Run pipeline on the merge request).`,
  ];
}

export function answerNote(answer: string, delivery: Delivery, result: RunResult | null, links: Links, secrets: readonly string[], runId?: string, notes: RunNotes = NO_RUN_NOTES, maxAnswer = 50_000): string {
  const raw = answer.trim() || '_Claude finished without a written answer._';
  let text = notes.audience ? safeAnswer(raw, secrets, notes.audience) : safeForNote(raw, secrets);
  if (text.length > maxAnswer) text = `${text.slice(0, maxAnswer)}\n\n_[The answer was cut at ${maxAnswer} characters; the full text is in the job log.]_`;
  const lines = [text, ''];
  switch (delivery.kind) {
    case 'merge-request':
      lines.push(`Changes: draft merge request [!${delivery.iid}](${delivery.url}) from branch \`${delivery.branch}\`.`, ...pipelineLine(delivery), ...refusedLines(delivery.refused));
      break;
    case 'commit':
      lines.push(`Changes: commit ${delivery.url ? `[${delivery.sha.slice(0, 8)}](${delivery.url})` : delivery.sha.slice(0, 8)} on \`${delivery.branch}\`.`, ...pipelineLine(delivery), ...refusedLines(delivery.refused));
      break;
    case 'not-pushed':
      lines.push(`Claude changed files, but they were not pushed: ${delivery.reason}.`, ...refusedLines(delivery.refused));
      break;
    case 'nothing-to-push':
      lines.pop();
      break;
  }
  if (notes.isolation) lines.push('', notes.isolation);
  if (notes.sessionNotice) lines.push('', notes.sessionNotice);
  lines.push(...denialLines(notes.denials));
  lines.push('', '---', statsLine(result, links, notes.usage));
  return trackingNoteBody(lines.join('\n'), { runId, closed: true, session: notes.keptSession ?? null });
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

export function failureNote(failure: Failure, result: RunResult | null, links: Links, secrets: readonly string[], runId?: string, notes: RunNotes = NO_RUN_NOTES): string {
  const lines = [`❌ Claude could not finish this request: ${safeForNote(failure.what, secrets)}`];
  if (failure.detail) {
    const detail = redactSecrets(removeInvisible(failure.detail), secrets).replace(/```/g, "'''").slice(-2_000);
    lines.push('', '```text', detail, '```');
  }
  if (failure.hint) lines.push('', failure.hint);
  if (failure.answer && failure.answer.trim()) {
    const answer = notes.audience ? safeAnswer(failure.answer, secrets, notes.audience) : safeForNote(failure.answer, secrets);
    lines.push('', '<details><summary>Claude\'s answer</summary>', '', answer.slice(0, 40_000), '', '</details>');
  }
  if (notes.isolation) lines.push('', notes.isolation);
  if (notes.sessionNotice) lines.push('', notes.sessionNotice);
  lines.push(...denialLines(notes.denials));
  lines.push('', `Where to look: the ${jobLink(links)}${links.pipelineUrl ? ` of [the pipeline](${links.pipelineUrl})` : ''}.`);
  lines.push('', '---', statsLine(result, links, notes.usage));
  return trackingNoteBody(lines.join('\n'), { runId, closed: true, session: notes.keptSession ?? null });
}
