// The stand-in's records. Plain data: routes read and change them, entities.ts turns them into
// GitLab's JSON shapes, and tests inspect copies of them.

/** GitLab's access levels (https://docs.gitlab.com/api/members/#roles). */
export const AccessLevel = {
  none: 0,
  minimal: 5,
  guest: 10,
  planner: 15,
  reporter: 20,
  developer: 30,
  maintainer: 40,
  owner: 50,
} as const;

export type Visibility = 'private' | 'internal' | 'public';
export type UserState = 'active' | 'blocked' | 'deactivated';

export interface User {
  id: number;
  username: string;
  name: string;
  /** Bot users: project/group access token bots, service accounts. */
  bot: boolean;
  state: UserState;
  admin: boolean;
  email: string;
  createdAt: Date;
}

export interface AccessToken {
  /** The token's id (GET /personal_access_tokens/self shows it, never the secret). */
  id: number;
  name: string;
  token: string;
  userId: number;
  /** `api` allows everything; `read_api` only GET/HEAD. */
  scopes: string[];
  revoked: boolean;
  /** GitLab stores a date: the token stops working at 00:00 UTC of that day. */
  expiresAt: Date | null;
  createdAt: Date;
}

export interface Member {
  userId: number;
  accessLevel: number;
  createdAt: Date;
}

export interface ProtectedBranch {
  /** A branch name or a wildcard like `release/*`. */
  name: string;
  pushAccessLevel: number;
  mergeAccessLevel: number;
}

export interface Commit {
  sha: string;
  title: string;
  message: string;
  authorName: string;
  authorEmail: string;
  createdAt: Date;
}

export interface Project {
  id: number;
  /** path_with_namespace, e.g. `group/project`. */
  path: string;
  name: string;
  defaultBranch: string;
  visibility: Visibility;
  /** Branch name → head sha, for projects without a real repository. */
  branches: Map<string, string>;
  tags: Map<string, string>;
  /** Commits known without a repository (branch heads are added here too). */
  commits: Map<string, Commit>;
  /** When set, refs and commits are read from this bare repository on every request. */
  bareRepoPath: string | null;
  protectedBranches: ProtectedBranch[];
  members: Map<number, Member>;
  /** Without a .gitlab-ci.yml GitLab refuses to create pipelines. */
  hasCiConfig: boolean;
  /** Branch → its .gitlab-ci.yml text, for projects without a repository (read by the CI lint API). */
  ciConfigs: Map<string, string>;
  /** Project CI/CD variables (Settings > CI/CD > Variables), as every job of the project gets them. */
  ciVariables: Map<string, string>;
  forkedFromProjectId: number | null;
  createdAt: Date;
  nextIssueIid: number;
  nextMergeRequestIid: number;
  nextPipelineIid: number;
}

export interface Issue {
  id: number;
  iid: number;
  projectId: number;
  title: string;
  description: string;
  confidential: boolean;
  authorId: number;
  assigneeIds: number[];
  state: 'opened' | 'closed';
  labels: string[];
  createdAt: Date;
  updatedAt: Date;
}

export interface DiffFile {
  old_path: string;
  new_path: string;
  a_mode: string;
  b_mode: string;
  diff: string;
  new_file: boolean;
  renamed_file: boolean;
  deleted_file: boolean;
}

export type MergeRequestState = 'opened' | 'closed' | 'merged' | 'locked';

export interface MergeRequest {
  id: number;
  iid: number;
  /** The target project (where the MR lives). */
  projectId: number;
  sourceProjectId: number;
  sourceBranch: string;
  targetBranch: string;
  title: string;
  description: string;
  state: MergeRequestState;
  authorId: number;
  createdAt: Date;
  updatedAt: Date;
  /** Seeded diffs for projects without a repository. */
  diffs: DiffFile[] | null;
  reviewerIds: number[];
  assigneeIds: number[];
  labels: string[];
}

export interface Snippet {
  id: number;
  projectId: number;
  title: string;
  authorId: number;
  createdAt: Date;
  updatedAt: Date;
}

export type NoteableType = 'Issue' | 'MergeRequest' | 'Snippet' | 'Commit';

/** Where a note lives: issues and MRs by global id here (routes resolve iids), commits by sha. */
export type NoteableKey =
  | { type: 'Issue'; projectId: number; id: number }
  | { type: 'MergeRequest'; projectId: number; id: number }
  | { type: 'Snippet'; projectId: number; id: number }
  | { type: 'Commit'; projectId: number; sha: string };

export interface Note {
  id: number;
  discussionId: string;
  /** null (a single comment), `DiscussionNote` (a thread), `DiffNote` (a thread on a diff line). */
  type: null | 'DiscussionNote' | 'DiffNote';
  body: string;
  authorId: number;
  createdAt: Date;
  updatedAt: Date;
  system: boolean;
  internal: boolean;
  noteable: NoteableKey;
  position: Record<string, unknown> | null;
  resolved: boolean;
  resolvedById: number | null;
  resolvedAt: Date | null;
}

/** A pending review comment on a merge request (https://docs.gitlab.com/api/draft_notes/). */
export interface DraftNote {
  id: number;
  mergeRequestId: number;
  authorId: number;
  note: string;
  position: Record<string, unknown> | null;
  /** Set when the draft replies to an existing thread. */
  discussionId: string | null;
  resolveDiscussion: boolean;
}

export interface Discussion {
  id: string;
  noteable: NoteableKey;
  /** True for a single comment that nobody replied to yet. */
  individual: boolean;
  noteIds: number[];
}

export type AwardableType = 'Note' | 'Issue' | 'MergeRequest' | 'Snippet';

export interface Award {
  id: number;
  name: string;
  userId: number;
  awardableType: AwardableType;
  awardableId: number;
  createdAt: Date;
  updatedAt: Date;
}

export type PipelineStatus =
  | 'created'
  | 'waiting_for_resource'
  | 'preparing'
  | 'pending'
  | 'running'
  | 'success'
  | 'failed'
  | 'canceling'
  | 'canceled'
  | 'skipped'
  | 'manual'
  | 'scheduled';

/** `Ci::HasStatus::AVAILABLE_STATUSES`. */
export const PIPELINE_STATUSES: readonly PipelineStatus[] = [
  'created', 'waiting_for_resource', 'preparing', 'pending', 'running', 'success', 'failed',
  'canceling', 'canceled', 'skipped', 'manual', 'scheduled',
];

/** `Ci::HasStatus::COMPLETED_STATUSES`: the statuses after which a pipeline no longer runs. */
export const FINISHED_STATUSES: readonly PipelineStatus[] = ['success', 'failed', 'canceled', 'skipped'];

export interface PipelineVariable {
  key: string;
  value: string;
  variable_type: 'env_var' | 'file';
}

export interface Pipeline {
  id: number;
  iid: number;
  projectId: number;
  ref: string;
  sha: string;
  /** `trigger` for the trigger API, `api` for POST /pipeline. */
  source: string;
  status: PipelineStatus;
  /** Exactly what the caller sent, in order (the trigger API adds TRIGGER_PAYLOAD here too). */
  variables: PipelineVariable[];
  userId: number;
  triggerId: number | null;
  createdAt: Date;
  updatedAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
}

/** A CI job of a pipeline: only what the jobs API's reads need (https://docs.gitlab.com/api/jobs/). */
export interface Job {
  id: number;
  projectId: number;
  pipelineId: number;
  name: string;
  stage: string;
  status: PipelineStatus;
  failureReason: string | null;
  allowFailure: boolean;
  /** The job log as the runner uploaded it (ANSI colours and section markers included). */
  trace: string;
  createdAt: Date;
  /** The job's uploaded artifacts (`artifacts:paths`), by path, with `artifacts:access`; gone once expired. */
  artifacts?: { files: Map<string, Buffer>; access: 'all' | 'developer' | 'none'; expired: boolean };
}

export interface TriggerToken {
  id: number;
  token: string;
  projectId: number;
  ownerId: number;
  description: string;
  createdAt: Date;
}

export interface Webhook {
  id: number;
  projectId: number;
  url: string;
  token: string;
  pipelineEvents: boolean;
  noteEvents: boolean;
  confidentialNoteEvents: boolean;
  /** Merge request events (Merge Request Hook). */
  mergeRequestsEvents: boolean;
  /** Issues events (Issue Hook; Confidential Issue Hook with confidential issues events, which follow it). */
  issuesEvents: boolean;
  enableSslVerification: boolean;
}
