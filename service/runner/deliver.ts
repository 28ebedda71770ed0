import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { FlowContextV1 } from '../domain.js';
import type { RunnerConfig } from './config.js';
import type { Git } from './git.js';
import type { RunnerGitLab } from './gitlab.js';
import { gitlabHint, pushHint } from './hints.js';
import { safeAnswer, type AnswerAudience, type Delivery } from './note-text.js';
import type { PushPlan } from './push-plan.js';
import { messageOf, RunFailure } from './run-failure.js';
import { redactSecrets, stripHiddenMarkdown } from './sanitize.js';
import type { RunResult } from './stream.js';
import { applyChanges } from './workspace/apply.js';
import { decideChanges, PROTECTED_PATHS, type ChangePolicy } from './workspace/change-policy.js';
import { localIncludes } from './workspace/ci-includes.js';
import { workspaceChanges } from './workspace/tree.js';

// After a successful run: what the agent changed in its workspace, checked against the change policy,
// copied into the runner's own checkout, committed and pushed by the runner's git (with `ci.skip`
// unless the project opts out), or reported as not pushed. Every text here is built from what the
// runner read through the API (the trusted context), never from AI_FLOW_CONTEXT's strings.

export interface DeliverInput {
  config: RunnerConfig;
  /** The trusted context (trusted-context.ts). */
  context: FlowContextV1;
  git: Git;
  gitlab: RunnerGitLab;
  plan: PushPlan;
  workspaceDir: string;
  instruction: string;
  answer: string;
  result: RunResult;
  secrets: readonly string[];
  /** The default branch's CI configuration and its allowed paths (trusted-config.ts). */
  trusted: { ciConfig: string | null; allowedChangePaths: readonly string[] };
  audience: AnswerAudience;
  /** Who asked, as GitLab names them: credited in the commit. */
  requester: { id: number; username: string; name: string | null };
  log: (message: string) => void;
}

function truncate(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** One line of user text, safe for a commit message or a title. */
function oneLine(text: string, secrets: readonly string[], max: number): string {
  const line = stripHiddenMarkdown(redactSecrets(text, secrets)).split('\n').find((part) => part.trim()) ?? '';
  return truncate(redactSecrets(line.trim(), secrets), max);
}

/**
 * GitLab's private commit e-mail (`<id>-<username>@users.noreply.<host>`) credits the requester on their
 * profile without exposing an address; the name is theirs as GitLab shows it, made safe for a trailer.
 */
export function coAuthorTrailer(requester: DeliverInput['requester'], serverUrl: string): string {
  const host = new URL(serverUrl).hostname;
  const name = (requester.name ?? requester.username).replace(/[<>\r\n]/g, '').trim() || requester.username;
  return `Co-authored-by: ${name} <${requester.id}-${requester.username}@users.noreply.${host}>`;
}

export function commitMessage(input: Pick<DeliverInput, 'context' | 'instruction' | 'secrets' | 'config' | 'requester'>, plan: Exclude<PushPlan, { kind: 'reply-only' }>): string {
  const { context, secrets } = input;
  const requester = `@${context.author.username}`;
  const title =
    plan.kind === 'new-branch'
      ? `Address #${plan.issueIid}: ${oneLine(context.noteable.title ?? 'changes requested', secrets, 60)}`
      : `Apply ${requester}'s request on !${plan.mergeRequestIid}`;
  return [
    truncate(title, 72),
    '',
    `Requested by ${requester}: ${oneLine(input.instruction, secrets, 200)}`,
    ...(input.config.jobUrl ? [`Job: ${input.config.jobUrl}`] : []),
    '',
    redactSecrets(coAuthorTrailer(input.requester, input.config.gitlab.serverUrl), secrets),
  ].join('\n');
}

async function changePolicy(input: DeliverInput): Promise<ChangePolicy> {
  // The branch's own CI configuration decides what its pipelines run; the default branch's too.
  const checkoutCi = await readFile(join(input.config.projectDir, input.config.ciConfigPath), 'utf8').catch(() => null);
  const includes = [...localIncludes(checkoutCi), ...localIncludes(input.trusted.ciConfig)];
  return {
    protectedPaths: [...PROTECTED_PATHS, input.config.ciConfigPath, ...includes],
    allowedPaths: input.trusted.allowedChangePaths,
    maxFileBytes: input.config.maxFileBytes,
  };
}

export async function deliver(input: DeliverInput): Promise<Delivery> {
  const { config, git, plan, answer, result, secrets, context } = input;
  // What the checkout ignores (build output, a CI tool's state) is never committed: not a change.
  const all = await workspaceChanges(config.projectDir, input.workspaceDir);
  const ignored = await git.ignored(all.map((change) => change.path));
  const changes = all.filter((change) => !ignored.has(change.path));
  if (changes.length === 0) return { kind: 'nothing-to-push' };
  if (plan.kind === 'reply-only') return { kind: 'not-pushed', reason: plan.reason, refused: [] };

  const decision = decideChanges(changes, await changePolicy(input));
  for (const { change, reason } of decision.refused) input.log(`not pushing ${change.path} (${change.kind}): ${reason}`);
  if (decision.accepted.length === 0) return { kind: 'not-pushed', reason: 'every change touched a protected path', refused: decision.refused };

  const pushOptions = config.runPipelines ? [] : ['ci.skip'];
  const pushed = { branch: plan.branch, refused: decision.refused, pipelineSkipped: !config.runPipelines };
  let sha: string;
  try {
    await applyChanges(decision.accepted, input.workspaceDir, config.projectDir);
    sha = await git.commitAll(commitMessage(input, plan), config.gitAuthor);
    input.log(`pushing ${sha.slice(0, 8)} to ${plan.branch}${pushOptions.length > 0 ? ` (-o ${pushOptions.join(' -o ')})` : ''}`);
    await git.push(plan.branch, pushOptions);
  } catch (error) {
    throw new RunFailure({ what: `Claude finished, but its changes could not be pushed to \`${plan.branch}\`.`, detail: messageOf(error), hint: pushHint(error), answer }, result);
  }

  if (plan.kind === 'source-branch') {
    const projectUrl = `${context.gitlab_url.replace(/\/+$/, '')}/${context.project.path}`;
    return { kind: 'commit', sha, url: `${projectUrl}/-/commit/${sha}`, ...pushed };
  }
  const requester = `@${context.author.username}`;
  try {
    const mr = await input.gitlab.createMergeRequest(context.project.id, {
      sourceBranch: plan.branch,
      targetBranch: plan.targetBranch,
      // "Draft:" makes it a draft; GitLab's own title for a merge request from an issue is `Resolve "<title>"`.
      title: truncate(`Draft: Resolve "${oneLine(context.noteable.title ?? `issue #${plan.issueIid}`, secrets, 200)}"`, 255),
      description: [
        `Closes #${plan.issueIid}`,
        '',
        safeAnswer(answer, secrets, input.audience).slice(0, 20_000),
        '',
        '---',
        `Opened by claude-gitlab-flow for ${requester}, who asked for it${config.jobUrl ? ` ([job](${config.jobUrl}))` : ''}. Review it like any other change before merging: someone other than ${requester} should approve it.`,
        ...(pushed.pipelineSkipped ? ['No pipeline ran for this branch: run one as yourself once you have reviewed the change.'] : []),
      ].join('\n'),
    });
    return { kind: 'merge-request', iid: mr.iid, url: mr.webUrl, ...pushed };
  } catch (error) {
    throw new RunFailure(
      { what: `the changes were pushed to branch \`${plan.branch}\`, but the merge request could not be opened.`, detail: messageOf(error), hint: gitlabHint(error), answer },
      result,
    );
  }
}
