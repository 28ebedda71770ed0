import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { FlowContextV1 } from '../domain.js';
import { GitLabApiError, isTransient } from '../gitlab/errors.js';
import { agentEnvironment } from './agent-env.js';
import { claudeArgs, effectiveTools } from './claude-args.js';
import { claudeFailure } from './claude-outcome.js';
import type { ClaudeProcessOptions, ClaudeProcessOutcome } from './claude-process.js';
import { secretValues, type RunnerConfig } from './config.js';
import { adviseDenials } from './denials.js';
import { deliver } from './deliver.js';
import { commentedLines, formatDiffs, isDiffPosition } from './diff.js';
import type { Git } from './git.js';
import type { RunnerGitLab } from './gitlab.js';
import { answerNote, failureNote, NO_RUN_NOTES, workingNote, type AnswerAudience, type Delivery, type Failure, type Links, type RunNotes } from './note-text.js';
import { ProgressReporter } from './progress-reporter.js';
import { buildPrompt, noteableLabel } from './prompt.js';
import { choosePushPlan, type PushPlan } from './push-plan.js';
import { readThread, type ThreadData } from './read-thread.js';
import { messageOf, RunFailure } from './run-failure.js';
import { redactSecrets } from './sanitize.js';
import { applyEvent, initialProgress, type RunResult } from './stream.js';
import { readTrustedConfig, type TrustedConfig } from './trusted-config.js';
import { chooseInstruction, trustedContext } from './trusted-context.js';
import { isolationNotice, type AgentIdentity } from './workspace/identity.js';
import type { AgentWorkspace } from './workspace/prepare.js';

// One run, top to bottom: read the thread from GitLab → decide where changes may go → build the prompt →
// lay out the agent's workspace → run Claude Code as the agent's user, through the model gateway, with
// progress in the tracking note → check, commit and push the changes through the runner's own git →
// close the note. Every exit path closes the note: with the answer (exit 0) or with what failed (exit 1).

/** The model gateway as the run uses it (gateway/): the agent's only way to the model. */
export interface RunGateway {
  agentEnv: Record<string, string>;
  usage(): { inputTokens: number; outputTokens: number; costUsd: number; budgetUsd: number | null; budgetExceeded: boolean };
  secretValues(): string[];
  close(): Promise<void>;
}

export interface AgentSandbox {
  identity: AgentIdentity;
  /** Makes the runner's own files root-only and lays out the agent's workspace. */
  prepare(): Promise<AgentWorkspace>;
  /** Ends whatever the agent left running, so its workspace holds still while the runner reads it. */
  stopAgent(): void;
  remove(layout: AgentWorkspace): Promise<void>;
}

export interface RunnerDeps {
  gitlab: RunnerGitLab;
  git: Git;
  runClaude: (options: ClaudeProcessOptions) => Promise<ClaudeProcessOutcome>;
  sandbox: AgentSandbox;
  startGateway: (budgetUsd: number | null) => Promise<RunGateway>;
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

/** Secrets grow during the run (the gateway mints access tokens), so redaction asks each time. */
type Secrets = () => string[];

export async function run(config: RunnerConfig, deps: RunnerDeps): Promise<number> {
  const jobSecrets = secretValues(deps.env);
  let gateway: RunGateway | null = null;
  const secrets: Secrets = () => [...jobSecrets, ...(gateway?.secretValues() ?? [])];
  const links: Links = { jobUrl: config.jobUrl, pipelineUrl: config.pipelineUrl };
  const log = (message: string) => deps.log(redactSecrets(message, secrets()));
  let runId: string | undefined;
  const notes: RunNotes = { ...NO_RUN_NOTES, isolation: isolationNotice(deps.sandbox.identity) };

  log(`answering ${noteableLabel(config.context)} in ${config.projectPath} (tracking note ${config.context.tracking_note_id}, event ${config.event})`);
  try {
    const thread = await readThread(deps.gitlab, config.context);
    runId = thread.runId;
    const context = trustedContext(config.context, thread.details, thread.triggerNotes, { serverUrl: config.gitlab.serverUrl, projectPath: config.projectPath, defaultBranch: config.defaultBranch });
    notes.audience = { requester: context.author.username, gitlabUrl: config.gitlab.serverUrl };
    const answered = await answer(config, deps, context, thread, notes, links, log, secrets, (started) => (gateway = started));
    await closeOut(config, deps, answerNote(answered.answer, answered.delivery, answered.result, links, secrets(), runId, notes), log);
    log(`done: ${answered.delivery.kind}`);
    return 0;
  } catch (error) {
    const failure: Failure = error instanceof RunFailure ? error.failure : { what: 'claude-gitlab-flow hit an unexpected error.', detail: messageOf(error) };
    const result = error instanceof RunFailure ? error.result : null;
    log(`failed: ${failure.what}${failure.detail ? `\n${failure.detail}` : ''}`);
    await closeOut(config, deps, failureNote(failure, result, links, secrets(), runId, notes), log).catch(() => {});
    return 1;
  }
}

function choosePlan(config: RunnerConfig, context: FlowContextV1, thread: ThreadData, identity: AgentIdentity, now: Date): PushPlan {
  const plan = choosePushPlan(context, now, thread.details.confidential);
  if (plan.kind === 'reply-only') return plan;
  if (identity.kind === 'unisolated' && !identity.allowedByProject) return { kind: 'reply-only', reason: `Claude Code could not run as a separate user (${identity.reason})` };
  if (plan.kind === 'source-branch' && config.commitRef && config.commitRef !== plan.branch) {
    return { kind: 'reply-only', reason: `the job runs on \`${config.commitRef}\`, not on the merge request's source branch` };
  }
  return plan;
}

function usageText(usage: ReturnType<RunGateway['usage']>): string {
  const tokens = `${usage.inputTokens.toLocaleString('en-US')} in / ${usage.outputTokens.toLocaleString('en-US')} out tokens`;
  return `${tokens} · $${usage.costUsd.toFixed(2)}${usage.budgetUsd !== null ? ` of $${usage.budgetUsd.toFixed(2)}` : ''}`;
}

async function writeTrustedSettings(layout: AgentWorkspace, trusted: TrustedConfig): Promise<string | null> {
  if (!trusted.claudeSettings) return null;
  const path = join(layout.config, 'settings.json');
  // Root's file in a root directory: the agent reads it and cannot change it.
  await writeFile(path, trusted.claudeSettings, { mode: 0o644 });
  return path;
}

async function answer(
  config: RunnerConfig,
  deps: RunnerDeps,
  context: FlowContextV1,
  thread: ThreadData,
  notes: RunNotes,
  links: Links,
  log: (message: string) => void,
  secrets: Secrets,
  onGateway: (gateway: RunGateway) => void,
): Promise<Answered> {
  const { identity } = deps.sandbox;
  const instruction = chooseInstruction(config.context, thread.triggerNotes, config.input);
  if (instruction.from === 'variable') log(`reading the request from AI_FLOW_INPUT: ${instruction.reason}`);

  // Where changes may go, decided before the model runs, so it is told.
  let plan = choosePlan(config, context, thread, identity, deps.now());
  if (plan.kind !== 'reply-only' && (await deps.git.status()).trim()) plan = { kind: 'reply-only', reason: 'the working tree had changes before Claude started' };
  const canWrite = plan.kind !== 'reply-only';
  const canRunCommands = identity.kind === 'isolated' || identity.allowedByProject;
  log(`push plan: ${plan.kind}${plan.kind === 'reply-only' ? ` (${plan.reason})` : ` → ${plan.branch}`}; agent: ${identity.kind === 'isolated' ? `uid ${identity.uid}` : `unisolated (${identity.reason})`}`);

  const trusted = await readTrustedConfig(config, deps.gitlab, log);
  let lines: string | null = null;
  if (context.noteable.type === 'MergeRequest' && isDiffPosition(context.position)) {
    const position = context.position;
    lines =
      commentedLines(thread.diffs, position) ??
      `The comment points at ${position.new_path ?? position.old_path} line ${position.new_line ?? position.old_line ?? '?'}, which is not part of the diff shown.`;
  }
  const recentCommits = await deps.git.recentCommits(20).catch((error: unknown) => {
    log(`could not read the recent commits: ${messageOf(error)}`);
    return null;
  });
  const built = buildPrompt({
    context,
    recentCommits,
    instruction: instruction.text,
    description: thread.description,
    selection: thread.selection,
    diff: context.noteable.type === 'MergeRequest' ? formatDiffs(thread.diffs, 60_000) : null,
    commentedLines: lines,
    plan,
    projectInstructions: trusted.projectInstructions,
    secrets: secrets(),
    nonce: deps.nonce(),
  });
  for (const omission of built.omissions) log(`prompt: ${omission}`);

  await deps.git.scrubOrigin();
  const layout = await deps.sandbox.prepare();
  try {
    const gateway = await deps.startGateway(config.budgetUsd);
    onGateway(gateway);
    let outcome: ClaudeProcessOutcome;
    try {
      outcome = await runAgent(config, deps, layout, gateway, built, trusted, { canWrite, canRunCommands }, links, log, secrets, thread.runId);
    } finally {
      deps.sandbox.stopAgent();
      await gateway.close();
      notes.usage = usageText(gateway.usage());
    }
    const usage = gateway.usage();
    notes.denials = adviseDenials(outcome.result?.permissionDenials ?? [], canWrite, canRunCommands, layout.workspace);
    if (usage.budgetExceeded) {
      throw new RunFailure({ what: `the model budget ended the run: $${usage.costUsd.toFixed(2)} spent of \`CLAUDE_FLOW_MAX_BUDGET_USD\` $${usage.budgetUsd?.toFixed(2)}; nothing was pushed.`, hint: 'Ask for a smaller step, or raise `CLAUDE_FLOW_MAX_BUDGET_USD`.' }, outcome.result);
    }
    const failure = claudeFailure(outcome, { command: config.claudePath, maxTurns: config.maxTurns, timeoutMs: config.timeoutMs });
    if (failure || !outcome.result) throw new RunFailure(failure ?? { what: 'Claude Code gave no result.' }, outcome.result);
    const result = outcome.result;
    const answerText = result.text ?? '';
    const audience: AnswerAudience = notes.audience ?? { requester: context.author.username, gitlabUrl: config.gitlab.serverUrl };
    const delivery = await deliver({ config, context, git: deps.git, gitlab: deps.gitlab, plan, workspaceDir: layout.workspace, instruction: instruction.text, answer: answerText, result, secrets: secrets(), trusted, audience, log });
    return { answer: answerText, delivery, result };
  } finally {
    await deps.sandbox.remove(layout).catch((error: unknown) => log(`could not remove the agent's workspace: ${messageOf(error)}`));
  }
}

async function runAgent(
  config: RunnerConfig,
  deps: RunnerDeps,
  layout: AgentWorkspace,
  gateway: RunGateway,
  built: { prompt: string; systemPrompt: string },
  trusted: TrustedConfig,
  may: { canWrite: boolean; canRunCommands: boolean },
  links: Links,
  log: (message: string) => void,
  secrets: Secrets,
  runId: string | undefined,
): Promise<ClaudeProcessOutcome> {
  const { context } = config;
  const { identity } = deps.sandbox;
  const tools = effectiveTools(config.allowedTools, may.canWrite, may.canRunCommands);
  if (tools.dropped.length > 0) log(`not allowed in this run: ${tools.dropped.join(', ')}`);
  let progress = initialProgress();
  const reporter = new ProgressReporter({
    edit: (body) => deps.gitlab.editTrackingNote(context, body),
    minIntervalMs: config.progressIntervalMs,
    onError: (error) => log(`progress edit failed (ignored): ${messageOf(error)}`),
  });
  reporter.offer(workingNote(progress, links, secrets(), runId));
  log(`running ${config.claudePath} (max ${config.maxTurns} turns, timeout ${Math.round(config.timeoutMs / 1000)}s)`);
  const outcome = await deps.runClaude({
    command: config.claudePath,
    args: claudeArgs({ allowedTools: config.allowedTools, ...may, maxTurns: config.maxTurns, model: config.model, systemPrompt: built.systemPrompt, trustedSettingsFile: await writeTrustedSettings(layout, trusted) }),
    cwd: layout.workspace,
    env: agentEnvironment({ jobEnv: deps.env, home: layout.home, gatewayEnv: gateway.agentEnv }),
    ...(identity.kind === 'isolated' ? { uid: identity.uid, gid: identity.gid } : {}),
    stdin: built.prompt,
    timeoutMs: config.timeoutMs,
    signal: deps.signal,
    onEvent: (event) => {
      progress = applyEvent(progress, event, layout.workspace);
      if (event.kind === 'tool-use') log(`claude: ${progress.actions.at(-1)}`);
      if (event.kind !== 'result') reporter.offer(workingNote(progress, links, secrets(), runId));
    },
    onStderr: (chunk) => log(`claude stderr: ${chunk.trimEnd()}`),
  });
  await reporter.close();
  return outcome;
}

/** The final edit must land: retried on transient errors, honouring Retry-After. */
async function closeOut(config: RunnerConfig, deps: RunnerDeps, body: string, log: (message: string) => void, attempts = 4): Promise<void> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      await deps.gitlab.editTrackingNote(config.context, body);
      return;
    } catch (error) {
            log(`closing the tracking note failed (attempt ${attempt}): ${messageOf(error)}`);
      if (!isTransient(error) || attempt >= attempts) throw error;
      const wait = error instanceof GitLabApiError && error.retryAfterMs !== null ? error.retryAfterMs : 1000 * 2 ** attempt;
      await deps.sleep(Math.min(wait, 30_000));
    }
  }
}
