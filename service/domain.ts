// The shapes that cross module boundaries: what ingest classifies a webhook into, what travels on the
// queue, and the version-1 pipeline context (docs/architecture.md, "The pipeline contract"). Pure types, no I/O.

export type NoteableType = 'Issue' | 'MergeRequest' | 'Commit' | 'Snippet';

export interface ProjectRef {
  id: number;
  path: string; // path_with_namespace
  defaultBranch: string;
  webUrl: string;
}

export interface NoteableRef {
  type: NoteableType;
  /** Project-scoped iid for issues and MRs (what API paths take); null for commits. Snippet id for snippets. */
  iid: number | null;
  /** Global id (`noteable_id`); not for API paths. */
  id: number | null;
  title: string | null;
  url: string | null;
  state: string | null; // opened | closed | merged | locked
  sourceBranch: string | null;
  targetBranch: string | null;
  sourceProjectId: number | null;
  targetProjectId: number | null;
  /** A merge request whose source project differs from its target: fork code never runs. */
  fork: boolean;
  commitSha: string | null;
  /** A merge request's head commit when the worker read it from GitLab. */
  headSha?: string | null;
  confidential: boolean;
  /** As GitLab's API has them, when the worker read it (the event triggers re-check these). */
  reviewerIds?: number[];
  assigneeIds?: number[];
  labels?: string[];
  draft?: boolean;
}

export interface NoteRef {
  id: number;
  /**
   * The note's text once the worker read it from GitLab (a run's verified mentions); null at rest (queue
   * messages, pending mentions), where only `bodyDigest` travels.
   */
  body: string | null;
  /** noteDigest of the text the webhook announced. */
  bodyDigest: string;
  /** ISO 8601 UTC. */
  createdAt: string;
  updatedAt: string;
  action: 'create' | 'update';
  internal: boolean;
  type: string | null; // null | DiscussionNote | DiffNote
  discussionId: string | null;
  position: unknown;
  url: string | null;
}

export interface AuthorRef {
  id: number;
  username: string;
  name: string;
}

/**
 * What started a request (AI_FLOW_EVENT): a typed mention, or something done to an MR or issue: the bot
 * added as reviewer, a draft marked ready, the bot assigned, TRIGGER_LABEL added.
 */
export type FlowEvent = 'mention' | 'assign_reviewer' | 'ready' | 'assign' | 'label';

/**
 * One `@claude` mention, as ingest accepted it; or one event (`event` not `mention`), which has no trigger
 * note: its `note` is synthetic (eventNoteId, no discussion, dated by the object's `updated_at`), so the
 * store's per-note claims, dedupe and debounce work unchanged.
 */
export interface FlowRequest {
  version: 1;
  event: FlowEvent;
  /** For `label`: the label that was added. */
  label?: string;
  /** Idempotency-Key (or X-Gitlab-Event-UUID) of the webhook delivery that carried it. */
  deliveryId: string;
  receivedAt: string;
  project: ProjectRef;
  noteable: NoteableRef;
  note: NoteRef;
  author: AuthorRef;
  /** Debounce and run-serialisation key: project + noteable + discussion. */
  threadKey: string;
  /** Which webhook secret the delivery came with (absent in work queued by older versions: the shared one). */
  webhookSecret?: { shared: boolean; scopes: string[] };
}

/** A Pipeline Hook, reduced to what the worker needs (slot release, closing out). */
export interface PipelineEvent {
  projectId: number;
  /** path_with_namespace, as the hook says (only for the allow-list at ingest). */
  projectPath?: string | null;
  pipelineId: number;
  status: string;
  url: string | null;
  /** Of the hook's variables, only ours that the worker reads (AI_FLOW_CONTEXT, AI_FLOW_EVENT), un-escaped. */
  variables: Record<string, string>;
  deliveryId: string;
}

/** What travels on the queue. */
export type QueuedWork =
  /**
   * `seq`: the mention's place in its thread's debounce window, recorded by ingest before the 202 (so
   * that time in the queue, a redelivery or a crash cannot split a burst). Absent: the worker records it.
   */
  | { kind: 'flow'; request: FlowRequest; seq?: number }
  | { kind: 'pipeline'; event: PipelineEvent }
  /** A slot may have freed in this project: start whoever waits first. */
  | { kind: 'wake'; projectId: number }
  /** A run the stalled-work sweep found unfinished and untouched for long: carry it on. */
  | { kind: 'run'; runId: string; projectId: number };

export const FINISHED_PIPELINE_STATUSES = new Set(['success', 'failed', 'canceled', 'skipped']);

/** AI_FLOW_CONTEXT, version 1 (docs/architecture.md, "The pipeline contract"). Field names are the public contract: snake_case. */
export interface FlowContextV1 {
  version: 1;
  gitlab_url: string;
  project: { id: number; path: string; default_branch: string };
  noteable: {
    type: NoteableType;
    iid: number | null;
    title: string | null;
    url: string | null;
    state: string | null;
    source_branch: string | null;
    target_branch: string | null;
    source_project_id: number | null;
    fork: boolean;
    commit_sha: string | null;
    /** Added within version 1 (optional: older services leave it out); from GitLab's API. */
    confidential?: boolean;
    /** Added within version 1: a merge request's head commit when the run was triggered. */
    head_sha?: string | null;
  };
  discussion_id: string | null;
  trigger_note_ids: number[];
  tracking_note_id: number;
  author: { id: number; username: string };
  triggered_at: string;
  position: unknown;
}

export function threadKeyOf(projectId: number, noteable: Pick<NoteableRef, 'type' | 'iid' | 'id' | 'commitSha'>, discussionId: string | null, noteId: number): string {
  const noteableKey = noteable.type === 'Commit' ? noteable.commitSha ?? String(noteable.id) : String(noteable.iid ?? noteable.id);
  return `${projectId}:${noteable.type}:${noteableKey}:${discussionId ?? `note-${noteId}`}`;
}

/** An event's thread: one per noteable and event, so a burst of the same event coalesces into one run. */
export function eventThreadKeyOf(projectId: number, noteable: Pick<NoteableRef, 'type' | 'iid'>, event: FlowEvent): string {
  return `${projectId}:${noteable.type}:${noteable.iid}:event-${event}`;
}

/** What makes an event one: GitLab may send its hook twice, with the same object `updated_at`. */
export function eventKeyOf(projectId: number, noteable: Pick<NoteableRef, 'type' | 'iid'>, event: FlowEvent, updatedAt: string): string {
  return `${projectId}:${noteable.type}:${noteable.iid}:${event}:${updatedAt}`;
}

/**
 * The synthetic note id of an event: 2^52 plus 52 bits of the key's hash, above any real note id (GitLab's
 * are far below 2^52) and a safe integer, so the store's note claims take events as they take notes.
 */
export function eventNoteId(eventKey: string, hash: (text: string) => string): number {
  const hex = hash(eventKey).slice(0, 13);
  return 2 ** 52 + Number.parseInt(hex, 16);
}

export function isEventNoteId(noteId: number): boolean {
  return noteId >= 2 ** 52;
}
