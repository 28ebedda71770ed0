import type { NoteableRef } from '../domain.js';

// The GitLab calls the worker makes, by what they mean (rest-api.ts makes them with gitbeaker).

export interface GitLabUser {
  id: number;
  username: string;
  /** As GitLab said it; null when the record did not say (then the user is not trusted). */
  bot: boolean | null;
  state: string | null;
}

export interface GitLabMember {
  id: number;
  username: string;
  access_level: number;
  /** The user's account state. */
  state: string;
  /** The membership's own state: `active`, or `awaiting` (seat approval) and the like. */
  membership_state?: string;
}

export interface GitLabNote {
  id: number;
  body: string;
  author: { id: number; username: string; name?: string };
  created_at: string;
  updated_at: string;
  system: boolean;
  internal?: boolean;
  /** Older GitLab's name for `internal`. */
  confidential?: boolean;
  type?: string | null;
  position?: unknown;
}

/** `GET /projects/:id`, the fields the worker uses. */
export interface GitLabProject {
  id: number;
  path_with_namespace: string;
  default_branch: string | null;
  web_url: string;
}

export interface GitLabPipeline {
  id: number;
  iid?: number;
  ref: string;
  status: string;
  source?: string;
  web_url: string;
  created_at: string;
}

export type PipelineVariables = Record<string, string>;

export interface GitLabApi {
  currentUser(): Promise<GitLabUser>;
  user(userId: number): Promise<GitLabUser>;
  /** The user's effective membership (inherited included), or null when not a member. */
  member(projectId: number, userId: number): Promise<GitLabMember | null>;
  project(projectId: number): Promise<GitLabProject>;
  /** The noteable as GitLab has it (title, state, confidential; for an MR its branches, projects and head). */
  noteable(projectId: number, noteable: NoteableRef): Promise<NoteableRef>;
  /** A note of an issue, merge request or snippet, by id (commits have no such endpoint: read the discussion). */
  note(projectId: number, noteable: NoteableRef, noteId: number): Promise<GitLabNote>;
  /**
   * A reply in the discussion (GitLab makes it internal when the thread is), or a new thread on the
   * noteable when there is none (internal when asked: only the notes API can start an internal note).
   */
  replyInThread(
    projectId: number,
    noteable: NoteableRef,
    discussionId: string | null,
    body: string,
    options?: { internal?: boolean },
  ): Promise<GitLabNote & { discussionId: string | null }>;
  editThreadNote(
    projectId: number,
    noteable: NoteableRef,
    discussionId: string,
    noteId: number,
    body: string,
  ): Promise<void>;
  threadNotes(projectId: number, noteable: NoteableRef, discussionId: string): Promise<GitLabNote[]>;
  /** Award an emoji on a note; a no-op where GitLab has no award API (commit comments). */
  awardEmojiOnNote(projectId: number, noteable: NoteableRef, noteId: number, name: string): Promise<void>;
  /** `POST /projects/:id/trigger/pipeline`: variables as a string map. */
  triggerPipeline(
    projectId: number,
    ref: string,
    variables: PipelineVariables,
    triggerToken: string,
  ): Promise<GitLabPipeline>;
  /** `POST /projects/:id/pipeline` as the bot: variables as an array of {key, value}. */
  createPipeline(projectId: number, ref: string, variables: PipelineVariables): Promise<GitLabPipeline>;
  recentPipelines(projectId: number, query: { ref: string; updatedAfter: string }): Promise<GitLabPipeline[]>;
  pipelineVariables(projectId: number, pipelineId: number): Promise<PipelineVariables>;
  /** `POST /projects/:id/pipelines/:pipeline_id/cancel` (`@claude stop`). */
  cancelPipeline(projectId: number, pipelineId: number): Promise<GitLabPipeline>;
}
