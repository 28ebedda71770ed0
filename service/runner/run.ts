import type { FlowContextV1 } from '../domain.js';
import { GitLabApiError, isTransient } from '../gitlab/errors.js';
import { runAgent } from './agent-run.js';
import { attachmentsPrompt, fetchAttachments, type AttachmentSource } from './attachments/fetch-attachments.js';
import { claudeFailure } from './claude-outcome.js';
import type { ClaudeProcessOutcome } from './claude-process.js';
import { secretValues, type RunnerConfig } from './config.js';
import { ThreadSession } from './session/thread-session.js';
import { adviseDenials } from './denials.js';
import { deliver } from './deliver.js';
import { answerNote, failureNote, NO_RUN_NOTES, type AnswerAudience, type Delivery, type Failure, type Links, type RunNotes } from './note-text.js';
import { noteableLabel, type BuiltPrompt } from './prompt.js';
import { readThread, type ThreadData } from './read-thread.js';
import { prepareRequest } from './request.js';
import { postReview } from './review/post-review.js';
import { prepareReviewOutput, reviewSystemPrompt } from './review/review-mode.js';
import { messageOf, RunFailure } from './run-failure.js';
import type { RunGateway, RunnerDeps, Secrets } from './run-deps.js';
import { redactSecrets } from './sanitize.js';
import type { RunResult } from './stream.js';
import { trustedContext } from './trusted-context.js';
import { isolationNotice } from './workspace/identity.js';

// One run, top to bottom: read the thread from GitLab → decide where changes may go → build the prompt →
// lay out the agent's workspace → run Claude Code as the agent's user, through the model gateway, with
// progress in the tracking note → check, commit and push the changes through the runner's own git →
// close the note. Every exit path closes the note: with the answer (exit 0) or with what failed (exit 1).

export type { AgentSandbox, RunGateway, RunnerDeps } from './run-deps.js';

interface Answered {
  answer: string;
  delivery: Delivery;
  result: RunResult;
}

export async function run(config: RunnerConfig, deps: RunnerDeps): Promise<number> {
  const jobSecrets = secretValues(deps.env);
  let gateway: RunGateway | null = null;
  const secrets: Secrets = () => [...jobSecrets, ...(gateway?.secretValues() ?? [])];
  const links: Links = { jobUrl: config.jobUrl, pipelineUrl: config.pipelineUrl };
  const log = (message: string) => deps.log(redactSecrets(message, secrets()));
  let runId: string | undefined;
  let session: ThreadSession | undefined;
  const notes: RunNotes = { ...NO_RUN_NOTES, isolation: isolationNotice(deps.sandbox.identity) };

  log(`answering ${noteableLabel(config.context)} in ${config.projectPath} (tracking note ${config.context.tracking_note_id}, event ${config.event})`);
  try {
    const thread = await readThread(deps.gitlab, config.context);
    runId = thread.runId;
    const context = trustedContext(config.context, thread.details, thread.triggerNotes, { serverUrl: config.gitlab.serverUrl, projectPath: config.projectPath, defaultBranch: config.defaultBranch });
    notes.audience = { requester: context.author.username, gitlabUrl: config.gitlab.serverUrl };
    session = new ThreadSession({ gitlab: deps.gitlab, context, data: thread, env: deps.env, projectDir: config.projectDir, now: deps.now, log });
    notes.sessionNotice = await session.find();
    const answered = await answer(config, deps, context, thread, notes, links, log, secrets, (started) => (gateway = started), session);
    notes.keptSession = await session.keep();
    await closeOut(config, deps, answerNote(answered.answer, answered.delivery, answered.result, links, secrets(), runId, notes), log);
    log(`done: ${answered.delivery.kind}`);
    return 0;
  } catch (error) {
    const failure: Failure = error instanceof RunFailure ? error.failure : { what: 'claude-gitlab-flow hit an unexpected error.', detail: messageOf(error) };
    const result = error instanceof RunFailure ? error.result : null;
    log(`failed: ${failure.what}${failure.detail ? `\n${failure.detail}` : ''}`);
    notes.keptSession = (await session?.keep()) ?? null;
    await closeOut(config, deps, failureNote(failure, result, links, secrets(), runId, notes), log).catch(() => {});
    return 1;
  }
}

function usageText(usage: ReturnType<RunGateway['usage']>): string {
  const tokens = `${usage.inputTokens.toLocaleString('en-US')} in / ${usage.outputTokens.toLocaleString('en-US')} out tokens`;
  return `${tokens} · $${usage.costUsd.toFixed(2)}${usage.budgetUsd !== null ? ` of $${usage.budgetUsd.toFixed(2)}` : ''}`;
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
  session: ThreadSession,
): Promise<Answered> {
  const request = await prepareRequest(config, deps, context, thread, log, secrets, session.since);
  const { plan, may, trusted, instruction } = request;
  await deps.git.scrubOrigin();
  const layout = await deps.sandbox.prepare();
  try {
    // What this run adds to any prompt it builds (a fresh start after a failed resume builds another).
    const added = { system: '', prompt: '' };
    let outputDir: string | null = null;
    if (request.review) {
      outputDir = await prepareReviewOutput(layout, deps.sandbox.identity);
      added.system = `\n${reviewSystemPrompt(outputDir, trusted.reviewInstructions, config.maxReviewComments)}`;
      log(`review: Claude writes its review to ${outputDir}`);
    }
    const attachments = await fetchAttachments(deps.gitlab, attachmentSource(config, context, thread), layout.base);
    for (const skipped of attachments.skipped) log(`attachment not handed to Claude: ${redactSecrets(skipped, secrets())}`);
    if (attachments.files.length > 0) {
      added.prompt = attachmentsPrompt(attachments);
      log(`attachments: ${attachments.files.length} image(s) for Claude in ${attachments.dir}`);
    }
    const withRunParts = (prompt: BuiltPrompt): BuiltPrompt => ({
      ...prompt,
      systemPrompt: redactSecrets(`${prompt.systemPrompt}${added.system}`, secrets()),
      prompt: `${prompt.prompt}${added.prompt}`,
    });
    const built = withRunParts(request.built);
    const gateway = await deps.startGateway(config.budgetUsd);
    onGateway(gateway);
    let outcome: ClaudeProcessOutcome;
    try {
      outcome = await runAgent(config, deps, layout, gateway, built, trusted, may, links, log, secrets, thread.runId, outputDir, attachments.dir, session);
      if (session.couldNotResume(outcome)) {
        notes.sessionNotice = session.startFresh('Claude Code could not load it');
        const fresh = await prepareRequest(config, deps, context, thread, log, secrets, null);
        outcome = await runAgent(config, deps, layout, gateway, withRunParts(fresh.built), trusted, may, links, log, secrets, thread.runId, outputDir, attachments.dir, session);
      }
    } finally {
      deps.sandbox.stopAgent();
      await session.capture(layout, deps.sandbox.identity);
      await gateway.close();
      notes.usage = usageText(gateway.usage());
    }
    notes.denials = adviseDenials(outcome.result?.permissionDenials ?? [], may.canWrite, may.canRunCommands, layout.workspace);
    const result = checkedResult(config, outcome, gateway.usage());
    const audience: AnswerAudience = notes.audience ?? { requester: context.author.username, gitlabUrl: config.gitlab.serverUrl };
    if (outputDir) {
      const refs = thread.details.mergeRequest?.diffRefs ?? null;
      const reviewed = await postReview({ gitlab: deps.gitlab, context, outputDir, diffs: thread.diffs, refs, answer: result.text ?? '', maxComments: config.maxReviewComments, secrets: secrets(), audience, result, log });
      return { answer: reviewed, delivery: { kind: 'nothing-to-push' }, result };
    }
    const answerText = result.text ?? '';
    const asker = thread.triggerNotes.findLast((note) => note.author.id === context.author.id)?.author;
    const requester = { id: context.author.id, username: context.author.username, name: asker?.name ?? null };
    const delivery = await deliver({ config, context, git: deps.git, gitlab: deps.gitlab, plan, workspaceDir: layout.workspace, instruction: instruction.text, answer: answerText, result, secrets: secrets(), trusted, audience, requester, log });
    return { answer: answerText, delivery, result };
  } finally {
    await deps.sandbox.remove(layout).catch((error: unknown) => log(`could not remove the agent's workspace: ${messageOf(error)}`));
  }
}

/** Where the request's images may be linked: its notes, and the description when the prompt shows it. */
function attachmentSource(config: RunnerConfig, context: FlowContextV1, thread: ThreadData): AttachmentSource {
  const texts = thread.triggerNotes.map((note) => note.body);
  if (thread.description && !thread.selection.descriptionEditedAfterTrigger) texts.push(thread.description);
  return { texts, serverUrl: config.gitlab.serverUrl, projectPath: config.projectPath, projectId: context.project.id };
}

/** The run's result, or the failure that ends it: the budget first (its refusal is why Claude stopped). */
function checkedResult(config: RunnerConfig, outcome: ClaudeProcessOutcome, usage: ReturnType<RunGateway['usage']>): RunResult {
  if (usage.budgetExceeded) {
    throw new RunFailure(
      { what: `the model budget ended the run: $${usage.costUsd.toFixed(2)} spent of \`CLAUDE_FLOW_MAX_BUDGET_USD\` $${usage.budgetUsd?.toFixed(2)}; nothing was pushed.`, hint: 'Ask for a smaller step, or raise `CLAUDE_FLOW_MAX_BUDGET_USD`.' },
      outcome.result,
    );
  }
  const failure = claudeFailure(outcome, { command: config.claudePath, maxTurns: config.maxTurns, timeoutMs: config.timeoutMs });
  if (failure || !outcome.result) throw new RunFailure(failure ?? { what: 'Claude Code gave no result.' }, outcome.result);
  return outcome.result;
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
