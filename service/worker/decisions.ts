import type { FlowContextV1, FlowRequest } from '../domain.js';
import type { GitLabMember, GitLabUser } from '../gitlab/api.js';
import type { PendingMention, RunRecord } from '../store/types.js';

// The worker's decisions as pure functions of data: which ref, who may, what the pipeline receives.

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

export const PIPELINE_VARIABLE_NAMES = ['AI_FLOW_INPUT', 'AI_FLOW_CONTEXT', 'AI_FLOW_EVENT', 'AI_FLOW_THREAD'] as const;

/** The pipeline's AI_FLOW_* variables (docs/architecture.md, "The pipeline contract"), from a run's mentions (already in note order). */
export function pipelineVariables(
  mentions: PendingMention[],
  trackingNoteId: number,
  gitlabUrl: string,
  trackingDiscussionId: string | null = null,
): Record<(typeof PIPELINE_VARIABLE_NAMES)[number], string> {
  const last = mentions.at(-1);
  if (!last) throw new Error('a run without mentions has nothing to send');
  const request = last.request;
  const context: FlowContextV1 = {
    version: 1,
    gitlab_url: gitlabUrl,
    project: { id: request.project.id, path: request.project.path, default_branch: request.project.defaultBranch },
    noteable: {
      type: request.noteable.type,
      iid: request.noteable.iid,
      title: request.noteable.title,
      url: request.noteable.url,
      state: request.noteable.state,
      source_branch: request.noteable.sourceBranch,
      target_branch: request.noteable.targetBranch,
      source_project_id: request.noteable.sourceProjectId,
      fork: request.noteable.fork,
      commit_sha: request.noteable.commitSha,
      // From GitLab's API (the worker read it): the runner answers a confidential issue in the thread only.
      confidential: request.noteable.confidential,
      head_sha: request.noteable.headSha ?? null,
    },
    // A note without a discussion (only in GitLab's documented examples) is answered in a new one.
    discussion_id: request.note.discussionId ?? trackingDiscussionId,
    trigger_note_ids: mentions.map((mention) => mention.noteId),
    tracking_note_id: trackingNoteId,
    author: { id: request.author.id, username: request.author.username },
    triggered_at: request.note.createdAt,
    position: request.note.position ?? null,
  };
  return {
    // Verified mentions carry GitLab's text (verify-mentions.ts).
    AI_FLOW_INPUT: boundedInput(mentions.map((mention) => mention.request.note.body ?? '')),
    AI_FLOW_CONTEXT: JSON.stringify(context),
    AI_FLOW_EVENT: request.event,
    AI_FLOW_THREAD: threadSlug(request, context.discussion_id),
  };
}

/**
 * A short `[a-z0-9-]` key per thread, for the template's `resource_group` (runs in one thread never
 * overlap, a second guard behind the service's own) and the pipeline's name. An addition to the first three variables.
 */
export function threadSlug(request: FlowRequest, discussionId: string | null): string {
  const { noteable } = request;
  const kind = { Issue: 'issue', MergeRequest: 'mr', Commit: 'commit', Snippet: 'snippet' }[noteable.type];
  const which = noteable.type === 'Commit' ? (noteable.commitSha ?? '').slice(0, 12) : String(noteable.iid ?? noteable.id ?? 0);
  const thread = (discussionId ?? `note${request.note.id}`).toLowerCase().replace(/[^a-z0-9]/g, '').slice(0, 12);
  return `${kind}-${which}-${thread}`;
}

/** GitLab limits a variable's value (gitlab.com: 120 KiB); the runner reads full notes by id anyway. */
export const MAX_INPUT_CHARS = 60_000;

function boundedInput(bodies: string[]): string {
  const joined = bodies.join('\n\n');
  if (joined.length <= MAX_INPUT_CHARS) return joined;
  const notice = `\n\n[claude-gitlab-flow: ${joined.length - MAX_INPUT_CHARS} more characters cut; the runner reads the notes in full]`;
  return joined.slice(0, MAX_INPUT_CHARS - notice.length) + notice;
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
