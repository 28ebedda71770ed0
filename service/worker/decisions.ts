import type { FlowRequest } from '../domain.js';
import type { GitLabMember, GitLabUser } from '../gitlab/api.js';
import type { PendingMention, RunRecord } from '../store/types.js';

// The worker's decisions as pure functions of data: which ref, who may (what the pipeline receives is
// flow-variables.ts).

export interface RefChoice {
  ref: string;
  reason: string;
}

/**
 * Issue, snippet and commit comments run on the default branch; an open same-project MR on its source
 * branch; a closed or merged MR, or any MR from a fork, on the default branch (fork code never runs).
 */
export function chooseRef(request: FlowRequest): RefChoice {
  const { noteable, project } = request;
  if (noteable.type !== 'MergeRequest') return { ref: project.defaultBranch, reason: `${noteable.type.toLowerCase()} comment` };
  if (noteable.fork) return { ref: project.defaultBranch, reason: 'merge request from a fork: fork code never runs' };
  if (noteable.state !== 'opened' || !noteable.sourceBranch) return { ref: project.defaultBranch, reason: `merge request is ${noteable.state ?? 'not open'}` };
  return { ref: noteable.sourceBranch, reason: 'open merge request' };
}

export type AuthorDecision =
  | { allowed: true }
  /** `belowAccessLevel`: a member in good standing whose role is too low (told once per thread, item 6). */
  | { allowed: false; reason: string; belowAccessLevel?: boolean };

/** Fails closed: a record that does not say it is a human, active, active member is not trusted. */
export function decideAuthor(input: {
  authorId: number;
  self: GitLabUser;
  user: GitLabUser | null;
  member: GitLabMember | null;
  minAccessLevel: number;
}): AuthorDecision {
  const { user, member } = input;
  if (input.authorId === input.self.id) return { allowed: false, reason: 'the author is this service' };
  if (!user) return { allowed: false, reason: 'the author is unknown to GitLab' };
  if (user.bot !== false) return { allowed: false, reason: user.bot ? 'the author is a bot user' : 'GitLab did not say whether the author is a bot' };
  if (user.state !== 'active') return { allowed: false, reason: `the author's account is ${user.state ?? 'of unknown state'}` };
  if (!member) return { allowed: false, reason: 'the author is not a member of the project' };
  if (member.membership_state !== 'active') {
    return { allowed: false, reason: `the author's membership is ${member.membership_state ?? 'of unknown state'}` };
  }
  if (member.access_level < input.minAccessLevel) {
    return {
      allowed: false,
      reason: `the author's access level ${member.access_level} is below ${input.minAccessLevel}`,
      belowAccessLevel: true,
    };
  }
  return { allowed: true };
}

/** Mentions as they may stay at rest once their text is in a pipeline: without the text (the runner reads notes by id). */
export function withoutBodies(mentions: PendingMention[]): PendingMention[] {
  return mentions.map((mention) => ({ ...mention, request: { ...mention.request, note: { ...mention.request.note, body: null } } }));
}

/** The request whose thread and noteable a run answers in: its last mention's. */
export function runRequest(run: RunRecord): FlowRequest {
  const last = run.mentions.at(-1);
  if (!last) throw new Error(`run ${run.runId} has no mentions`);
  return last.request;
}

/** Capped exponential backoff with full jitter, for retries that GitLab did not time for us. */
export function backoffMs(attempt: number, baseMs = 500, capMs = 60_000, random = Math.random): number {
  return Math.round(random() * Math.min(capMs, baseMs * 2 ** Math.max(0, attempt - 1)));
}
