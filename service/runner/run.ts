import { GitLabApiError } from '../gitlab/errors.js';
import { claudeArgs } from './claude-args.js';
import { claudeFailure } from './claude-outcome.js';
import type { ClaudeProcessOptions, ClaudeProcessOutcome } from './claude-process.js';
import { claudeEnvironment, secretValues, type RunnerConfig } from './config.js';
import { deliver } from './deliver.js';
import { commentedLines, formatDiffs, isDiffPosition } from './diff.js';
import type { Git } from './git.js';
import type { RunnerGitLab } from './gitlab.js';
import { answerNote, failureNote, workingNote, type Delivery, type Links } from './note-text.js';
import { ProgressReporter } from './progress-reporter.js';
import { buildPrompt, noteableLabel } from './prompt.js';
import { choosePushPlan, type PushPlan } from './push-plan.js';
import { readThread, type ThreadData } from './read-thread.js';
import { messageOf, RunFailure } from './run-failure.js';
import { redactSecrets } from './sanitize.js';
import { applyEvent, initialProgress, type RunResult } from './stream.js';
import { readTrustedConfig } from './trusted-config.js';

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

interface Answered {
  answer: string;
  delivery: Delivery;
  result: RunResult;
}

export async function run(config: RunnerConfig, deps: RunnerDeps): Promise<number> {
  const { context } = config;
  const secrets = secretValues(deps.env);
  const links: Links = { jobUrl: config.jobUrl, pipelineUrl: config.pipelineUrl };
  const log = (message: string) => deps.log(redactSecrets(message, secrets));
  let runId: string | undefined;

  log(`answering ${noteableLabel(context)} in ${context.project.path} (tracking note ${context.tracking_note_id}, event ${config.event})`);
  try {
    const thread = await readThread(deps.gitlab, context);
    runId = thread.runId;
    const answered = await answer(config, deps, thread, secrets, links, log);
    await closeOut(config, deps, answerNote(answered.answer, answered.delivery, answered.result, links, secrets, runId), log);
    log(`done: ${answered.delivery.kind}`);
    return 0;
  } catch (error) {
    const failure = error instanceof RunFailure ? error.failure : { what: 'claude-gitlab-flow hit an unexpected error.', detail: messageOf(error) };
    const result = error instanceof RunFailure ? error.result : null;
    log(`failed: ${failure.what}${failure.detail ? `\n${failure.detail}` : ''}`);
    await closeOut(config, deps, failureNote(failure, result, links, secrets, runId), log).catch(() => {});
    return 1;
  }
}

async function answer(config: RunnerConfig, deps: RunnerDeps, thread: ThreadData, secrets: string[], links: Links, log: (message: string) => void): Promise<Answered> {
  const { context } = config;

  // Where changes may go, decided before the model runs, so it is told.
  let plan: PushPlan = choosePushPlan(context, deps.now());
  if (plan.kind === 'source-branch' && config.commitRef && config.commitRef !== plan.branch) {
    plan = { kind: 'reply-only', reason: `the job runs on \`${config.commitRef}\`, not on the merge request's source branch` };
  }
  if (plan.kind !== 'reply-only' && (await deps.git.status()).trim()) plan = { kind: 'reply-only', reason: 'the working tree had changes before Claude started' };
  const baselineHead = await deps.git.head();
  log(`push plan: ${plan.kind}${plan.kind === 'reply-only' ? ` (${plan.reason})` : ` → ${plan.branch}`}`);

  const trusted = await readTrustedConfig(config, deps.gitlab, deps.writeTempFile, log);

  let lines: string | null = null;
  if (context.noteable.type === 'MergeRequest' && isDiffPosition(context.position)) {
    const position = context.position;
    lines =
      commentedLines(thread.diffs, position) ??
      `The comment points at ${position.new_path ?? position.old_path} line ${position.new_line ?? position.old_line ?? '?'}, which is not part of the diff shown.`;
  }
  const built = buildPrompt({
    context,
    instruction: config.input,
    description: thread.description,
    selection: thread.selection,
    diff: context.noteable.type === 'MergeRequest' ? formatDiffs(thread.diffs, 60_000) : null,
    commentedLines: lines,
    plan,
    projectInstructions: trusted.projectInstructions,
    secrets,
    nonce: deps.nonce(),
  });
  for (const omission of built.omissions) log(`prompt: ${omission}`);

  // Claude Code, with progress in the tracking note.
  await deps.git.scrubOrigin();
  let progress = initialProgress();
  const reporter = new ProgressReporter({
    edit: (body) => deps.gitlab.editTrackingNote(context, body),
    minIntervalMs: config.progressIntervalMs,
    onError: (error) => log(`progress edit failed (ignored): ${messageOf(error)}`),
  });
  reporter.offer(workingNote(progress, links, secrets, thread.runId));
  log(`running ${config.claudePath} (max ${config.maxTurns} turns, timeout ${Math.round(config.timeoutMs / 1000)}s)`);
  const outcome = await deps.runClaude({
    command: config.claudePath,
    args: claudeArgs({
      allowedTools: config.allowedTools,
      canWrite: plan.kind !== 'reply-only',
      maxTurns: config.maxTurns,
      model: config.model,
      systemPrompt: built.systemPrompt,
      loadProjectSettings: trusted.loadProjectSettings,
      trustedSettingsFile: trusted.settingsFile,
    }),
    cwd: config.projectDir,
    env: claudeEnvironment(deps.env),
    stdin: built.prompt,
    timeoutMs: config.timeoutMs,
    signal: deps.signal,
    onEvent: (event) => {
      progress = applyEvent(progress, event, config.projectDir);
      if (event.kind === 'tool-use') log(`claude: ${progress.actions.at(-1)}`);
      if (event.kind !== 'result') reporter.offer(workingNote(progress, links, secrets, thread.runId));
    },
    onStderr: (chunk) => log(`claude stderr: ${chunk.trimEnd()}`),
  });
  await reporter.close();

  const failure = claudeFailure(outcome, { command: config.claudePath, maxTurns: config.maxTurns, timeoutMs: config.timeoutMs });
  if (failure || !outcome.result) throw new RunFailure(failure ?? { what: 'Claude Code gave no result.' }, outcome.result);
  const result = outcome.result;
  const answerText = result.text ?? '';
  const delivery = await deliver({ config, git: deps.git, gitlab: deps.gitlab, plan, baselineHead, answer: answerText, result, secrets, log });
  return { answer: answerText, delivery, result };
}

/** The final edit must land: retried on transient errors, honouring Retry-After. */
async function closeOut(config: RunnerConfig, deps: RunnerDeps, body: string, log: (message: string) => void, attempts = 4): Promise<void> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      await deps.gitlab.editTrackingNote(config.context, body);
      return;
    } catch (error) {
      const transient = error instanceof GitLabApiError ? error.transient : true;
      log(`closing the tracking note failed (attempt ${attempt}): ${messageOf(error)}`);
      if (!transient || attempt >= attempts) throw error;
      const wait = error instanceof GitLabApiError && error.retryAfterMs !== null ? error.retryAfterMs : 1000 * 2 ** attempt;
      await deps.sleep(Math.min(wait, 30_000));
    }
  }
}
