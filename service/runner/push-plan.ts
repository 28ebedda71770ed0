import type { FlowContextV1 } from '../domain.js';

// Where the model's changes may go, decided before the model runs (so it is told) from the context
// alone. Pushing happens in the runner's own code, never through a tool the model holds, and never
// with force.

export type PushPlan =
  | { kind: 'new-branch'; branch: string; targetBranch: string; issueIid: number }
  | { kind: 'source-branch'; branch: string; mergeRequestIid: number }
  | { kind: 'reply-only'; reason: string };

/** `claude/issue-12-20261126-030000`: unique per run, sortable, valid as a git ref. */
export function issueBranchName(issueIid: number, now: Date): string {
  const stamp = now.toISOString().replace(/\.\d+Z$/, '').replace(/[-:]/g, '').replace('T', '-');
  return `claude/issue-${issueIid}-${stamp}`;
}

/** `context` is the trusted one (trusted-context.ts): branches, state and fork come from the API. */
export function choosePushPlan(context: FlowContextV1, now: Date, confidential = false): PushPlan {
  const { noteable, project } = context;
  switch (noteable.type) {
    case 'Issue':
      // A branch and a merge request are visible to everyone who can see the repository.
      if (confidential) return { kind: 'reply-only', reason: 'the issue is confidential, and a branch or merge request would be visible to everyone who can see the repository' };
      return { kind: 'new-branch', branch: issueBranchName(noteable.iid!, now), targetBranch: project.default_branch, issueIid: noteable.iid! };
    case 'MergeRequest':
      // Fork code never runs here and the fork's branch is not ours to push to (docs/security.md).
      if (noteable.fork || (noteable.source_project_id !== null && noteable.source_project_id !== project.id)) {
        return { kind: 'reply-only', reason: 'this merge request comes from a fork' };
      }
      if (noteable.state !== 'opened') return { kind: 'reply-only', reason: `this merge request is ${noteable.state ?? 'not open'}` };
      if (!noteable.source_branch) return { kind: 'reply-only', reason: 'GitLab reports no source branch for the merge request' };
      return { kind: 'source-branch', branch: noteable.source_branch, mergeRequestIid: noteable.iid! };
    case 'Commit':
      return { kind: 'reply-only', reason: 'changes are pushed only from issues and merge requests, not from commit comments' };
    case 'Snippet':
      return { kind: 'reply-only', reason: 'changes are pushed only from issues and merge requests, not from snippet comments' };
  }
}

/** What the model is told about its changes. */
export function describePlan(plan: PushPlan): string {
  switch (plan.kind) {
    case 'new-branch':
      return `When you finish, claude-gitlab-flow commits your changes in the working tree to a new branch \`${plan.branch}\` and opens a draft merge request for issue #${plan.issueIid}.`;
    case 'source-branch':
      return `When you finish, claude-gitlab-flow commits your changes in the working tree and pushes them to the merge request's source branch \`${plan.branch}\`.`;
    case 'reply-only':
      return `Changes to files will not be pushed (${plan.reason}). Do not edit files; answer in text and put any code you suggest in the answer.`;
  }
}
