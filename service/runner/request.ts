import type { FlowContextV1 } from '../domain.js';
import type { RunnerConfig } from './config.js';
import { commentedLines, formatDiffs, isDiffPosition } from './diff.js';
import { readPipelineContext } from './pipeline-context.js';
import { isReviewRequest } from './review/review-mode.js';
import { buildPrompt, type BuiltPrompt } from './prompt.js';
import { choosePushPlan, type PushPlan } from './push-plan.js';
import type { ThreadData } from './read-thread.js';
import { messageOf } from './run-failure.js';
import type { RunnerDeps, Secrets } from './run-deps.js';
import { readTrustedConfig, type TrustedConfig } from './trusted-config.js';
import { chooseInstruction, type InstructionSource } from './trusted-context.js';
import { notesSince } from './session/prompt-since.js';
import type { AgentIdentity } from './workspace/identity.js';

// What the run asks of Claude and where its changes may go, decided before the model runs (so it is
// told): the instruction, the push plan, what the agent may do, the trusted configuration, the prompt.

export interface PreparedRequest {
  instruction: InstructionSource;
  plan: PushPlan;
  may: { canWrite: boolean; canRunCommands: boolean };
  trusted: TrustedConfig;
  built: BuiltPrompt;
  /** A review of the merge request (review/): comments on the diff, nothing pushed. */
  review: boolean;
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

function commentedLinesOf(context: FlowContextV1, thread: ThreadData): string | null {
  if (context.noteable.type !== 'MergeRequest' || !isDiffPosition(context.position)) return null;
  const position = context.position;
  return (
    commentedLines(thread.diffs, position) ??
    `The comment points at ${position.new_path ?? position.old_path} line ${position.new_line ?? position.old_line ?? '?'}, which is not part of the diff shown.`
  );
}

export async function prepareRequest(
  config: RunnerConfig,
  deps: RunnerDeps,
  context: FlowContextV1,
  thread: ThreadData,
  log: (message: string) => void,
  secrets: Secrets,
  /** Resuming the thread's session: the previous run's tracking note was created then; only later notes are new. */
  since: string | null = null,
): Promise<PreparedRequest> {
  const { identity } = deps.sandbox;
  const instruction = chooseInstruction(config.context, thread.triggerNotes, config.input);
  if (instruction.from === 'variable') log(`reading the request from AI_FLOW_INPUT: ${instruction.reason}`);
  const review = isReviewRequest(config.event, context, instruction.text);
  let plan = review ? { kind: 'reply-only' as const, reason: 'a review pushes nothing: its comments go on the diff' } : choosePlan(config, context, thread, identity, deps.now());
  if (plan.kind !== 'reply-only' && (await deps.git.status()).trim()) plan = { kind: 'reply-only', reason: 'the working tree had changes before Claude started' };
  const may = { canWrite: plan.kind !== 'reply-only', canRunCommands: identity.kind === 'isolated' || identity.allowedByProject };
  log(`push plan: ${plan.kind}${plan.kind === 'reply-only' ? ` (${plan.reason})` : ` → ${plan.branch}`}; agent: ${identity.kind === 'isolated' ? `uid ${identity.uid}` : `unisolated (${identity.reason})`}`);

  const trusted = await readTrustedConfig(config, deps.gitlab, log, review);
  const recentCommits = await deps.git.recentCommits(20).catch((error: unknown) => {
    log(`could not read the recent commits: ${messageOf(error)}`);
    return null;
  });
  const pipelineFailures = await readPipelineContext({
    gitlab: deps.gitlab,
    context,
    details: thread.details,
    texts: [instruction.text, thread.description ?? ''],
    secrets: secrets(),
    log,
  });
  // A resumed session already holds the description, the diff and the thread up to its last answer.
  const continued = since !== null;
  const built = buildPrompt({
    context,
    recentCommits,
    pipelineFailures,
    instruction: instruction.text,
    description: continued ? null : thread.description,
    selection: continued ? notesSince(thread.selection, since) : thread.selection,
    diff: context.noteable.type === 'MergeRequest' && !continued ? formatDiffs(thread.diffs, 60_000) : null,
    commentedLines: continued ? null : commentedLinesOf(context, thread),
    continued,
    plan,
    projectInstructions: trusted.projectInstructions,
    secrets: secrets(),
    nonce: deps.nonce(),
  });
  for (const omission of built.omissions) log(`prompt: ${omission}`);
  return { instruction, plan, may, trusted, built, review };
}
