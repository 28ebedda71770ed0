import type { RunnerConfig } from './config.js';
import type { Git } from './git.js';
import type { RunnerGitLab } from './gitlab.js';
import { gitlabHint, pushHint } from './hints.js';
import { safeForNote, type Delivery } from './note-text.js';
import type { PushPlan } from './push-plan.js';
import { messageOf, RunFailure } from './run-failure.js';
import { redactSecrets, stripHiddenMarkdown } from './sanitize.js';
import type { RunResult } from './stream.js';

// After a successful run: the changes in the working tree, committed and pushed by the runner's own
// git along the plan, or reported as not pushed. The model never holds a push tool.

export interface DeliverInput {
  config: RunnerConfig;
  git: Git;
  gitlab: RunnerGitLab;
  plan: PushPlan;
  baselineHead: string;
  answer: string;
  result: RunResult;
  secrets: readonly string[];
  log: (message: string) => void;
}

function truncate(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

export function commitMessage(config: RunnerConfig, plan: Exclude<PushPlan, { kind: 'reply-only' }>, secrets: readonly string[]): string {
  const { context } = config;
  const requester = `@${context.author.username}`;
  const request = stripHiddenMarkdown(redactSecrets(config.input, secrets)).split('\n').find((line) => line.trim()) ?? '';
  const title = plan.kind === 'new-branch' ? `Address #${plan.issueIid}: ${context.noteable.title ?? 'changes requested'}` : `Apply ${requester}'s request on !${plan.mergeRequestIid}`;
  return [truncate(title, 72), '', `Requested by ${requester}: ${truncate(request, 200)}`, ...(config.jobUrl ? [`Job: ${config.jobUrl}`] : [])].join('\n');
}

export async function deliver(input: DeliverInput): Promise<Delivery> {
  const { config, git, plan, answer, result, secrets } = input;
  const { context } = config;
  const dirty = (await git.status()).trim() !== '';
  if (!dirty && (await git.head()) === input.baselineHead) return { kind: 'nothing-to-push' };
  if (plan.kind === 'reply-only') return { kind: 'not-pushed', reason: plan.reason };

  let sha: string;
  try {
    sha = dirty ? await git.commitAll(commitMessage(config, plan, secrets), config.gitAuthor) : await git.head();
    input.log(`pushing ${sha.slice(0, 8)} to ${plan.branch}`);
    await git.push(plan.branch);
  } catch (error) {
    throw new RunFailure({ what: `Claude finished, but its changes could not be pushed to \`${plan.branch}\`.`, detail: messageOf(error), hint: pushHint(error), answer }, result);
  }

  if (plan.kind === 'source-branch') {
    const projectUrl = `${context.gitlab_url.replace(/\/+$/, '')}/${context.project.path}`;
    return { kind: 'commit', sha, url: `${projectUrl}/-/commit/${sha}`, branch: plan.branch };
  }
  const requester = `@${context.author.username}`;
  try {
    const mr = await input.gitlab.createMergeRequest(context.project.id, {
      sourceBranch: plan.branch,
      targetBranch: plan.targetBranch,
      // "Draft:" makes it a draft; GitLab's own title for a merge request from an issue is `Resolve "<title>"`.
      title: truncate(`Draft: Resolve "${stripHiddenMarkdown(context.noteable.title ?? `issue #${plan.issueIid}`)}"`, 255),
      description: [
        `Closes #${plan.issueIid}`,
        '',
        safeForNote(answer, secrets).slice(0, 20_000),
        '',
        '---',
        `Opened by claude-gitlab-flow for ${requester}${config.jobUrl ? ` ([job](${config.jobUrl}))` : ''}. Review it like any other change before merging.`,
      ].join('\n'),
    });
    return { kind: 'merge-request', iid: mr.iid, url: mr.webUrl, branch: plan.branch };
  } catch (error) {
    throw new RunFailure(
      { what: `the changes were pushed to branch \`${plan.branch}\`, but the merge request could not be opened.`, detail: messageOf(error), hint: gitlabHint(error), answer },
      result,
    );
  }
}
