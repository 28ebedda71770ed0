import { GitLabApiError } from '../gitlab/errors.js';
import { runIdInNote } from '../tracking-note.js';
import { claudeArgs } from './claude-args.js';
import type { ClaudeProcessOptions, ClaudeProcessOutcome } from './claude-process.js';
import { claudeEnvironment, secretValues, type RunnerConfig } from './config.js';
import { commentedLines, formatDiffs, isDiffPosition } from './diff.js';
import type { Git } from './git.js';
import type { RunnerGitLab } from './gitlab.js';
import type { ApiDiff, ApiDiscussion } from './gitlab-types.js';
import { claudeHint, gitlabHint, pushHint } from './hints.js';
import { answerNote, failureNote, formatDuration, safeForNote, workingNote, type Delivery, type Failure, type Links } from './note-text.js';
import { ProgressReporter } from './progress-reporter.js';
import { buildPrompt, noteableLabel } from './prompt.js';
import { choosePushPlan, type PushPlan } from './push-plan.js';
import { redactSecrets, stripHiddenMarkdown } from './sanitize.js';
import { applyEvent, initialProgress, type RunResult } from './stream.js';
import { selectThread } from './thread.js';

// One run, top to bottom: read the thread → decide where changes may go → build the prompt → run
// Claude Code with progress in the tracking note → commit and push through our own git → close the
// note. Every exit path closes the note: with the answer (exit 0) or with what failed (exit 1).

export interface RunnerDeps {
  gitlab: RunnerGitLab;
  git: Git;
  runClaude: (options: ClaudeProcessOptions) => Promise<ClaudeProcessOutcome>;
  /** Writes a file outside the working tree (the model's changes are committed from there). */
  writeTempFile: (name: string, content: string) => Promise<string>;
  env: NodeJS.ProcessEnv;
  now: () => Date;
  nonce: () => string;
  log: (message: string) => void;
  sleep: (ms: number) => Promise<void>;
  signal?: AbortSignal;
}

class RunFailure extends Error {
  constructor(
    readonly failure: Failure,
    readonly result: RunResult | null = null,
  ) {
    super(failure.what);
  }
}

export async function run(config: RunnerConfig, deps: RunnerDeps): Promise<number> {
  const { context } = config;
  const secrets = secretValues(deps.env);
  const links: Links = { jobUrl: config.jobUrl, pipelineUrl: config.pipelineUrl };
  const log = (message: string) => deps.log(redactSecrets(message, secrets));
  let runId: string | undefined;

  log(`answering ${noteableLabel(context)} in ${context.project.path} (tracking note ${context.tracking_note_id}, event ${config.event})`);
  try {
    const outcome = await answer(config, deps, secrets, links, log, (id) => (runId = id));
    await closeOut(config, deps, answerNote(outcome.answer, outcome.delivery, outcome.result, links, secrets, runId), log);
    log(`done: ${outcome.delivery.kind}`);
    return 0;
  } catch (error) {
    const failure = error instanceof RunFailure ? error.failure : { what: 'claude-gitlab-flow hit an unexpected error.', detail: error instanceof Error ? error.message : String(error) };
    const result = error instanceof RunFailure ? error.result : null;
    log(`failed: ${failure.what}${failure.detail ? `\n${failure.detail}` : ''}`);
    await closeOut(config, deps, failureNote(failure, result, links, secrets, runId), log).catch(() => {});
    return 1;
  }
}

interface Outcome {
  answer: string;
  delivery: Delivery;
  result: RunResult;
}

async function answer(config: RunnerConfig, deps: RunnerDeps, secrets: string[], links: Links, log: (message: string) => void, setRunId: (id: string | undefined) => void): Promise<Outcome> {
  const { context } = config;

  // 1. The thread, as it was when @claude was written.
  let discussions: ApiDiscussion[];
  let details: { description: string | null };
  let diffs: ApiDiff[] = [];
  try {
    discussions = await deps.gitlab.discussions(context);
    details = await deps.gitlab.noteable(context);
    if (context.noteable.type === 'MergeRequest') diffs = await deps.gitlab.mergeRequestDiffs(context);
  } catch (error) {
    throw new RunFailure({ what: 'the runner could not read the thread from GitLab.', detail: error instanceof Error ? error.message : String(error), hint: gitlabHint(error) });
  }
  // The service may have tagged its note with a run id; every edit keeps it.
  const tracking = discussions.flatMap((discussion) => discussion.notes).find((note) => note.id === context.tracking_note_id);
  const runId = tracking ? runIdInNote(tracking.body) ?? undefined : undefined;
  setRunId(runId);
  const selection = selectThread(discussions, context);

  // 2. Where changes may go, before the model runs, so it is told.
  let plan: PushPlan = choosePushPlan(context, deps.now());
  if (plan.kind === 'source-branch' && config.commitRef && config.commitRef !== plan.branch) {
    plan = { kind: 'reply-only', reason: `the job runs on \`${config.commitRef}\`, not on the merge request's source branch` };
  }
  const baselineStatus = await deps.git.status();
  if (plan.kind !== 'reply-only' && baselineStatus.trim()) plan = { kind: 'reply-only', reason: 'the working tree had changes before Claude started' };
  const baselineHead = await deps.git.head();
  log(`push plan: ${plan.kind}${plan.kind === 'reply-only' ? ` (${plan.reason})` : ` → ${plan.branch}`}`);

  // 3. Trusted configuration comes from the default branch only (design §4).
  const onDefaultBranch = config.commitRef === config.defaultBranch;
  let projectInstructions: string | null = null;
  let trustedSettingsFile: string | null = null;
  if (!onDefaultBranch) {
    try {
      projectInstructions = await deps.gitlab.fileOnRef(context.project.id, 'CLAUDE.md', config.defaultBranch);
      const settings = await deps.gitlab.fileOnRef(context.project.id, '.claude/settings.json', config.defaultBranch);
      if (settings) trustedSettingsFile = await deps.writeTempFile('settings.json', settings);
    } catch (error) {
      log(`could not read CLAUDE.md or .claude/settings.json from ${config.defaultBranch}; going on without them: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  // 4. The prompt.
  let lines: string | null = null;
  if (context.noteable.type === 'MergeRequest' && isDiffPosition(context.position)) {
    const position = context.position;
    lines =
      commentedLines(diffs, position) ??
      `The comment points at ${position.new_path ?? position.old_path} line ${position.new_line ?? position.old_line ?? '?'}, which is not part of the diff shown.`;
  }
  const built = buildPrompt({
    context,
    instruction: config.input,
    description: details.description,
    selection,
    diff: context.noteable.type === 'MergeRequest' ? formatDiffs(diffs, 60_000) : null,
    commentedLines: lines,
    plan,
    projectInstructions,
    secrets,
    nonce: deps.nonce(),
  });
  for (const omission of built.omissions) log(`prompt: ${omission}`);

  // 5. Claude Code, with progress in the tracking note.
  await deps.git.scrubOrigin();
  let progress = initialProgress();
  const reporter = new ProgressReporter({
    edit: (body) => deps.gitlab.editTrackingNote(context, body),
    minIntervalMs: config.progressIntervalMs,
    onError: (error) => log(`progress edit failed (ignored): ${error instanceof Error ? error.message : String(error)}`),
  });
  reporter.offer(workingNote(progress, links, secrets, runId));
  const args = claudeArgs({
    allowedTools: config.allowedTools,
    canWrite: plan.kind !== 'reply-only',
    maxTurns: config.maxTurns,
    model: config.model,
    systemPrompt: built.systemPrompt,
    loadProjectSettings: onDefaultBranch,
    trustedSettingsFile,
  });
  log(`running ${config.claudePath} (max ${config.maxTurns} turns, timeout ${Math.round(config.timeoutMs / 1000)}s)`);
  const outcome = await deps.runClaude({
    command: config.claudePath,
    args,
    cwd: config.projectDir,
    env: claudeEnvironment(deps.env),
    stdin: built.prompt,
    timeoutMs: config.timeoutMs,
    signal: deps.signal,
    onEvent: (event) => {
      progress = applyEvent(progress, event, config.projectDir);
      if (event.kind === 'tool-use') log(`claude: ${progress.actions.at(-1)}`);
      if (event.kind !== 'result') reporter.offer(workingNote(progress, links, secrets, runId));
    },
    onStderr: (chunk) => log(`claude stderr: ${chunk.trimEnd()}`),
  });
  await reporter.close();

  const result = outcome.result;
  if (outcome.spawnError) {
    throw new RunFailure({ what: `Claude Code could not be started (\`${config.claudePath}\`).`, detail: outcome.spawnError, hint: 'Is Claude Code installed in the job image, or `CLAUDE_CODE_PATH` set to it?' });
  }
  if (outcome.aborted) throw new RunFailure({ what: 'the job was stopped while Claude was working; nothing was pushed.' }, result);
  if (outcome.timedOut) {
    throw new RunFailure({ what: `Claude Code did not finish within ${formatDuration(config.timeoutMs)} (\`CLAUDE_FLOW_TIMEOUT_SECONDS\`); nothing was pushed.` }, result);
  }
  if (!result) {
    const detail = outcome.stderrTail.trim() || undefined;
    throw new RunFailure({ what: `Claude Code exited with ${outcome.signal ? `signal ${outcome.signal}` : `status ${outcome.exitCode}`} without a result; nothing was pushed.`, detail, hint: claudeHint(detail ?? '') });
  }
  if (result.subtype === 'error_max_turns') {
    throw new RunFailure({ what: `Claude used all ${config.maxTurns} turns (\`CLAUDE_FLOW_MAX_TURNS\`) without finishing; nothing was pushed. Ask for a smaller step, or raise the limit.` }, result);
  }
  if (result.subtype !== 'success' || result.isError) {
    const detail = [result.text ?? '', ...result.errors, outcome.stderrTail].filter((part) => part.trim()).join('\n').trim() || undefined;
    // An API or login failure comes as a "success" result flagged is_error; the subtype says nothing then.
    const kind = result.subtype === 'success' ? '' : ` (\`${result.subtype}\`)`;
    throw new RunFailure({ what: `Claude Code stopped with an error${kind}; nothing was pushed.`, detail, hint: claudeHint(detail ?? '') }, result);
  }
  const answerText = result.text ?? '';

  // 6. Changes: committed and pushed by us, or reported as not pushed.
  const changed = (await deps.git.status()).trim() !== '' || (await deps.git.head()) !== baselineHead;
  if (!changed) return { answer: answerText, delivery: { kind: 'nothing-to-push' }, result };
  if (plan.kind === 'reply-only') return { answer: answerText, delivery: { kind: 'not-pushed', reason: plan.reason }, result };

  const requester = `@${context.author.username}`;
  const request = stripHiddenMarkdown(redactSecrets(config.input, secrets)).split('\n').find((line) => line.trim()) ?? '';
  const commitTitle = plan.kind === 'new-branch' ? `Address #${plan.issueIid}: ${context.noteable.title ?? 'changes requested'}` : `Apply ${requester}'s request on !${plan.mergeRequestIid}`;
  const message = [truncate(commitTitle, 72), '', `Requested by ${requester}: ${truncate(request, 200)}`, ...(config.jobUrl ? [`Job: ${config.jobUrl}`] : [])].join('\n');
  let sha: string;
  try {
    sha = (await deps.git.status()).trim() ? await deps.git.commitAll(message, config.gitAuthor) : await deps.git.head();
    log(`pushing ${sha.slice(0, 8)} to ${plan.branch}`);
    await deps.git.push(plan.branch);
  } catch (error) {
    throw new RunFailure({ what: `Claude finished, but its changes could not be pushed to \`${plan.branch}\`.`, detail: error instanceof Error ? error.message : String(error), hint: pushHint(error), answer: answerText }, result);
  }

  const projectUrl = `${context.gitlab_url.replace(/\/+$/, '')}/${context.project.path}`;
  if (plan.kind === 'source-branch') {
    return { answer: answerText, delivery: { kind: 'commit', sha, url: `${projectUrl}/-/commit/${sha}`, branch: plan.branch }, result };
  }
  try {
    const description = [
      `Closes #${plan.issueIid}`,
      '',
      safeForNote(answerText, secrets).slice(0, 20_000),
      '',
      '---',
      `Opened by claude-gitlab-flow for ${requester}${config.jobUrl ? ` ([job](${config.jobUrl}))` : ''}. Review it like any other change before merging.`,
    ].join('\n');
    const mr = await deps.gitlab.createMergeRequest(context.project.id, {
      sourceBranch: plan.branch,
      targetBranch: plan.targetBranch,
      title: truncate(`Draft: Resolve "${stripHiddenMarkdown(context.noteable.title ?? `issue #${plan.issueIid}`)}"`, 255),
      description,
    });
    return { answer: answerText, delivery: { kind: 'merge-request', iid: mr.iid, url: mr.webUrl, branch: plan.branch }, result };
  } catch (error) {
    throw new RunFailure(
      { what: `the changes were pushed to branch \`${plan.branch}\`, but the merge request could not be opened.`, detail: error instanceof Error ? error.message : String(error), hint: gitlabHint(error), answer: answerText },
      result,
    );
  }
}

function truncate(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** The final edit must land: retried on transient errors, honouring Retry-After. */
async function closeOut(config: RunnerConfig, deps: RunnerDeps, body: string, log: (message: string) => void, attempts = 4): Promise<void> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      await deps.gitlab.editTrackingNote(config.context, body);
      return;
    } catch (error) {
      const transient = error instanceof GitLabApiError ? error.transient : true;
      log(`closing the tracking note failed (attempt ${attempt}): ${error instanceof Error ? error.message : String(error)}`);
      if (!transient || attempt >= attempts) throw error;
      const wait = error instanceof GitLabApiError && error.retryAfterMs !== null ? error.retryAfterMs : 1000 * 2 ** attempt;
      await deps.sleep(Math.min(wait, 30_000));
    }
  }
}
