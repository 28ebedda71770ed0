// Webhook payloads for the tests and the bench, derived from GitLab's documented examples in fixtures/ (see
// ../../shared/fixtures/gitlab/README.md for their quirks, which are kept). Each builder starts from
// the fixture and changes only what its options name, adding the fields real comment events carry and the
// documented examples omit (`discussion_id`, `type`, `position`, `internal`).
import { createHash, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';

export type FixtureName =
  | 'note-issue'
  | 'note-merge-request'
  | 'note-commit'
  | 'note-snippet'
  | 'pipeline'
  | 'issue'
  | 'merge-request'
  | 'emoji-award-on-issue-note';

/** The `X-Gitlab-Event` GitLab sends with each fixture. */
export const FIXTURE_EVENT: Record<FixtureName, string> = {
  'note-issue': 'Note Hook',
  'note-merge-request': 'Note Hook',
  'note-commit': 'Note Hook',
  'note-snippet': 'Note Hook',
  pipeline: 'Pipeline Hook',
  issue: 'Issue Hook',
  'merge-request': 'Merge Request Hook',
  'emoji-award-on-issue-note': 'Emoji Hook',
};

const FIXTURES = new URL('./fixtures/', import.meta.url);

/** The fixture's raw bytes, as GitLab would post them. */
export function fixtureText(name: FixtureName): string {
  return readFileSync(new URL(`${name}.json`, FIXTURES), 'utf8');
}

/** A fresh parsed copy of the fixture (callers may mutate it). */
export function fixture<T = Record<string, unknown>>(name: FixtureName): T {
  return JSON.parse(fixtureText(name)) as T;
}

export interface GitlabUser {
  id: number;
  name: string;
  username: string;
  avatar_url: string | null;
  email: string;
}

export interface GitlabProject {
  id: number;
  name: string;
  web_url: string;
  path_with_namespace: string;
  default_branch: string | null;
  [key: string]: unknown;
}

export interface NoteAttributes {
  id: number;
  note: string;
  noteable_type: 'Issue' | 'MergeRequest' | 'Commit' | 'Snippet' | (string & {});
  author_id: number;
  created_at: string;
  updated_at: string;
  project_id: number;
  noteable_id: number | null;
  commit_id: string | null;
  system: boolean;
  action?: string;
  discussion_id?: string;
  type: string | null;
  position: unknown;
  internal?: boolean;
  confidential?: boolean;
  url: string;
  [key: string]: unknown;
}

export interface IssueObject {
  id: number;
  iid: number;
  title: string;
  state: string;
  confidential?: boolean;
  [key: string]: unknown;
}

export interface MergeRequestObject {
  id: number;
  iid: number;
  title: string;
  state: string;
  source_branch: string;
  target_branch: string;
  source_project_id: number;
  target_project_id: number;
  [key: string]: unknown;
}

export interface CommitObject {
  id: string;
  message: string;
  url: string;
  [key: string]: unknown;
}

export interface SnippetObject {
  id: number;
  title: string;
  url?: string;
  [key: string]: unknown;
}

export interface NotePayload {
  object_kind: 'note';
  event_type: 'note' | 'confidential_note';
  user: GitlabUser;
  project_id: number;
  project: GitlabProject;
  object_attributes: NoteAttributes;
  issue?: IssueObject;
  merge_request?: MergeRequestObject;
  commit?: CommitObject;
  snippet?: SnippetObject;
  [key: string]: unknown;
}

export interface PipelinePayload {
  object_kind: 'pipeline';
  object_attributes: {
    id: number;
    iid: number;
    ref: string;
    sha: string;
    source: string;
    status: string;
    finished_at: string | null;
    variables: Array<{ key: string; value: string }>;
    url: string;
    [key: string]: unknown;
  };
  merge_request: Record<string, unknown> | null;
  project: GitlabProject;
  [key: string]: unknown;
}

export interface NoteOptions {
  /** Default 5, the documented examples' project. */
  projectId?: number;
  /** Default `gitlab-org/gitlab-test`. */
  projectPath?: string;
  /** Default `http://example.com/<projectPath>`. */
  projectWebUrl?: string;
  /** Default `master`; null for a project with an empty repository. */
  defaultBranch?: string | null;
  /** Default: the fixture's note id. */
  noteId?: number;
  /** Default `@claude please take a look`. */
  body?: string;
  /** Default: a stable 40-hex id derived from project and note id; null leaves the field out, as the documented examples do. */
  discussionId?: string | null;
  /** Default: the fixture's `root` (id 1). */
  author?: { id: number; username: string; name?: string };
  /** `object_attributes.author_id`; default the author's id (differs when someone else edits a note). */
  noteAuthorId?: number;
  /** Default `create`; null leaves the field out. */
  action?: 'create' | 'update' | (string & {}) | null;
  system?: boolean;
  /** An internal note (`internal: true`, and GitLab's `confidential_note` event type). */
  internal?: boolean;
  /** Writes the pre-15.x `confidential` note attribute instead of `internal`. */
  legacyConfidentialAttribute?: boolean;
  /** A Date is written in GitLab's `2015-05-17 18:21:36 UTC` form; a string as given. Default: the fixture's. */
  createdAt?: string | Date;
  /** Default: createdAt. */
  updatedAt?: string | Date;
  /** `DiscussionNote` (a reply in a thread), `DiffNote` (on a diff line) or null (a plain comment). */
  type?: 'DiscussionNote' | 'DiffNote' | null;
  position?: unknown;
}

export interface IssueNoteOptions extends NoteOptions {
  /** Default 17 (fixture). */
  issueIid?: number;
  /** Global issue id (`noteable_id`); default 92 (fixture). */
  issueId?: number;
  title?: string;
  /** Default `opened` (the fixture's issue is `closed`; a live conversation is more useful). */
  state?: 'opened' | 'closed';
  /** A confidential issue: `issue.confidential` and the `confidential_note` event type. */
  confidential?: boolean;
}

export interface MergeRequestNoteOptions extends NoteOptions {
  /** Default 1 (fixture). */
  mrIid?: number;
  /** Global MR id (`noteable_id`); default 7 (fixture). */
  mrId?: number;
  title?: string;
  /** Default `opened`. */
  state?: 'opened' | 'closed' | 'merged' | 'locked';
  /** Default `feature` (the fixture's `master` → `markdown` is backwards for most tests). */
  sourceBranch?: string;
  /** Default: the project's default branch, or `master`. */
  targetBranch?: string;
  /** From a fork: the source project is another one (default id projectId + 1000). */
  fork?: boolean;
  sourceProjectId?: number;
  sourceProjectPath?: string;
}

export interface CommitNoteOptions extends NoteOptions {
  /** Default: the fixture's commit. */
  sha?: string;
  message?: string;
}

export interface SnippetNoteOptions extends NoteOptions {
  /** Default 53 (fixture). */
  snippetId?: number;
  title?: string;
}

export interface PipelineOptions {
  /** Default 1 (fixture). */
  projectId?: number;
  projectPath?: string;
  projectWebUrl?: string;
  defaultBranch?: string;
  /** Default 31 (fixture). */
  pipelineId?: number;
  iid?: number;
  /** Default `success`. */
  status?: string;
  ref?: string;
  sha?: string;
  /** Default `trigger` when the variables are ours (AI_FLOW_EVENT), else the fixture's `merge_request_event`. */
  source?: string;
  /** Default: the fixture's one variable (not ours). */
  variables?: Record<string, string>;
}

export const DEFAULT_BODY = '@claude please take a look';

/** `2015-05-17 18:21:36 UTC`, the form note and pipeline hooks use. */
export function gitlabTimestamp(date: Date): string {
  return `${date.toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

/** The 40-hex discussion id a note gets by default (stable, so tests can compute it). */
export function defaultDiscussionId(projectId: number, noteId: number): string {
  return createHash('sha1').update(`discussion:${projectId}:${noteId}`).digest('hex');
}

export function noteOnIssuePayload(options: IssueNoteOptions = {}): NotePayload {
  const payload = baseNote(fixture<NotePayload>('note-issue'), options);
  const issue = payload.issue as IssueObject;
  const iid = options.issueIid ?? issue.iid;
  const id = options.issueId ?? issue.id;
  Object.assign(issue, {
    id,
    iid,
    project_id: payload.project.id,
    title: options.title ?? issue.title,
    state: options.state ?? 'opened',
    confidential: options.confidential ?? false,
    url: `${payload.project.web_url}/-/issues/${iid}`,
  });
  payload.object_attributes.noteable_id = id;
  payload.object_attributes.url = `${payload.project.web_url}/-/issues/${iid}#note_${payload.object_attributes.id}`;
  if (options.confidential) payload.event_type = 'confidential_note';
  return payload;
}

/** A note on an issue of a stand-in GitLab project (`addProject`'s answer, default branch `main`), as GitLab's Note Hook carries it. */
export interface StandInIssueNote {
  issueIid: number;
  noteId: number;
  body: string;
  author: { id: number; username: string };
  /** Default: derived from project and note id, as noteOnIssuePayload does. */
  discussionId?: string;
  /** createdAt and updatedAt; default the fixture's. */
  at?: Date;
}

export function standInIssueNotePayload(project: { id: number; path: string; webUrl: string }, note: StandInIssueNote): NotePayload {
  return noteOnIssuePayload({
    ...(note.at ? { createdAt: note.at, updatedAt: note.at } : {}),
    projectId: project.id,
    projectPath: project.path,
    projectWebUrl: project.webUrl,
    defaultBranch: 'main',
    issueIid: note.issueIid,
    noteId: note.noteId,
    body: note.body,
    ...(note.discussionId ? { discussionId: note.discussionId } : {}),
    author: note.author,
  });
}

export function noteOnMergeRequestPayload(options: MergeRequestNoteOptions = {}): NotePayload {
  const payload = baseNote(fixture<NotePayload>('note-merge-request'), options);
  const mr = payload.merge_request as MergeRequestObject;
  const iid = options.mrIid ?? mr.iid;
  const id = options.mrId ?? mr.id;
  const sourceProjectId = options.sourceProjectId ?? (options.fork ? payload.project.id + 1000 : payload.project.id);
  const sourcePath = options.sourceProjectPath ?? (sourceProjectId === payload.project.id ? payload.project.path_with_namespace : `contributor/${payload.project.path_with_namespace.split('/').pop()}`);
  const source = { ...(mr['source'] as Record<string, unknown>), ...projectUrls(sourcePath, sourceProjectId === payload.project.id ? payload.project.web_url : undefined) };
  const target = { ...(mr['target'] as Record<string, unknown>), ...projectUrls(payload.project.path_with_namespace, payload.project.web_url) };
  Object.assign(mr, {
    id,
    iid,
    title: options.title ?? mr.title,
    state: options.state ?? 'opened',
    source_branch: options.sourceBranch ?? 'feature',
    target_branch: options.targetBranch ?? payload.project.default_branch ?? 'master',
    source_project_id: sourceProjectId,
    target_project_id: payload.project.id,
    source,
    target,
    url: `${payload.project.web_url}/-/merge_requests/${iid}`,
  });
  payload.object_attributes.noteable_id = id;
  payload.object_attributes.url = `${payload.project.web_url}/-/merge_requests/${iid}#note_${payload.object_attributes.id}`;
  return payload;
}

/** A comment on a diff line of a merge request: a `DiffNote` with GitLab's `position`. */
export function diffNoteOnMergeRequestPayload(options: MergeRequestNoteOptions = {}): NotePayload {
  const payload = noteOnMergeRequestPayload({ type: 'DiffNote', ...options });
  if (options.position === undefined) {
    payload.object_attributes.position = defaultDiffPosition();
    payload.object_attributes['original_position'] = defaultDiffPosition();
  }
  payload.object_attributes['line_code'] = 'a5cc2925ca8258af241be7e5b0381edf30266302_10_10';
  return payload;
}

export function defaultDiffPosition(): Record<string, unknown> {
  return {
    base_sha: '5e6dffa282c5129aa67cd227a0429be21bfdaf80',
    start_sha: '5e6dffa282c5129aa67cd227a0429be21bfdaf80',
    head_sha: '2be7ddb704c7b6b83732fdd5b9f09d5a397b5f8f',
    old_path: 'README.md',
    new_path: 'README.md',
    position_type: 'text',
    old_line: null,
    new_line: 10,
    line_range: {
      start: { line_code: 'a5cc2925ca8258af241be7e5b0381edf30266302_10_10', type: 'new', old_line: null, new_line: 10 },
      end: { line_code: 'a5cc2925ca8258af241be7e5b0381edf30266302_10_10', type: 'new', old_line: null, new_line: 10 },
    },
  };
}

export function noteOnCommitPayload(options: CommitNoteOptions = {}): NotePayload {
  const payload = baseNote(fixture<NotePayload>('note-commit'), options);
  const commit = payload.commit as CommitObject;
  const sha = options.sha ?? commit.id;
  Object.assign(commit, {
    id: sha,
    message: options.message ?? commit.message,
    url: `${payload.project.web_url}/-/commit/${sha}`,
  });
  payload.object_attributes.commit_id = sha;
  payload.object_attributes.url = `${payload.project.web_url}/-/commit/${sha}#note_${payload.object_attributes.id}`;
  return payload;
}

export function noteOnSnippetPayload(options: SnippetNoteOptions = {}): NotePayload {
  const payload = baseNote(fixture<NotePayload>('note-snippet'), options);
  const snippet = payload.snippet as SnippetObject;
  const id = options.snippetId ?? snippet.id;
  Object.assign(snippet, {
    id,
    project_id: payload.project.id,
    title: options.title ?? snippet.title,
    url: `${payload.project.web_url}/-/snippets/${id}`,
  });
  payload.object_attributes.noteable_id = id;
  payload.object_attributes.url = `${payload.project.web_url}/-/snippets/${id}#note_${payload.object_attributes.id}`;
  return payload;
}

/** The `X-Gitlab-Event` GitLab sends a note payload with: internal notes and confidential issues go to confidential hooks. */
export function noteHookEvent(payload: NotePayload): 'Note Hook' | 'Confidential Note Hook' {
  return payload.event_type === 'confidential_note' ? 'Confidential Note Hook' : 'Note Hook';
}

export function pipelinePayload(options: PipelineOptions = {}): PipelinePayload {
  const payload = fixture<PipelinePayload>('pipeline');
  const projectId = options.projectId ?? payload.project.id;
  const path = options.projectPath ?? payload.project.path_with_namespace;
  const webUrl = options.projectWebUrl ?? (options.projectPath ? `http://example.com/${path}` : payload.project.web_url);
  Object.assign(payload.project, {
    id: projectId,
    path_with_namespace: path,
    default_branch: options.defaultBranch ?? payload.project.default_branch,
    ...projectUrls(path, webUrl),
  });
  const pipeline = payload.object_attributes;
  const variables = options.variables ? Object.entries(options.variables).map(([key, value]) => ({ key, value })) : pipeline.variables;
  const ours = variables.some((variable) => variable.key === 'AI_FLOW_EVENT');
  const status = options.status ?? pipeline.status;
  const pipelineId = options.pipelineId ?? pipeline.id;
  const source = options.source ?? (ours ? 'trigger' : pipeline.source);
  Object.assign(pipeline, {
    id: pipelineId,
    iid: options.iid ?? pipeline.iid,
    ref: options.ref ?? payload.project.default_branch ?? pipeline.ref,
    sha: options.sha ?? pipeline.sha,
    source,
    status,
    finished_at: ['success', 'failed', 'canceled', 'skipped'].includes(status) ? pipeline.finished_at : null,
    variables,
    url: `${webUrl}/-/pipelines/${pipelineId}`,
  });
  if (source !== 'merge_request_event') payload.merge_request = null;
  return payload;
}

export interface HeaderOptions {
  /** Default TEST_WEBHOOK_TOKEN; null leaves the header out. */
  token?: string | null;
  /** Same across GitLab's retries of one delivery. Default: a fresh UUID; null leaves it out (GitLab before 17.4). */
  idempotencyKey?: string | null;
  /** X-Gitlab-Event-UUID. Default: a fresh UUID. */
  uuid?: string | null;
  /** X-Gitlab-Instance. */
  instance?: string;
}

export const TEST_WEBHOOK_TOKEN = 'test-webhook-secret';

/** The headers GitLab sends with a webhook (https://docs.gitlab.com/user/project/integrations/webhooks/#delivery-headers). */
export function webhookHeaders(event: string, options: HeaderOptions = {}): Record<string, string> {
  const headers: Record<string, string> = {
    'Content-Type': 'application/json',
    'User-Agent': 'GitLab/17.6.0',
    'X-Gitlab-Event': event,
    'X-Gitlab-Instance': options.instance ?? 'http://example.com',
    'X-Gitlab-Webhook-UUID': '2d4a1ce1-5f4c-4a5e-9f3c-7a0a3a8f1b2e',
  };
  const token = options.token === undefined ? TEST_WEBHOOK_TOKEN : options.token;
  const uuid = options.uuid === undefined ? randomUUID() : options.uuid;
  const idempotencyKey = options.idempotencyKey === undefined ? randomUUID() : options.idempotencyKey;
  if (token !== null) headers['X-Gitlab-Token'] = token;
  if (uuid !== null) headers['X-Gitlab-Event-UUID'] = uuid;
  if (idempotencyKey !== null) headers['Idempotency-Key'] = idempotencyKey;
  return headers;
}

/** A deep copy of `value` with the field at a dotted path set (created if missing). */
export function withField<T>(value: T, path: string, field: unknown): T {
  const copy = structuredClone(value);
  const keys = path.split('.');
  const last = keys.pop() as string;
  let target = copy as Record<string, unknown>;
  for (const key of keys) {
    if (typeof target[key] !== 'object' || target[key] === null) target[key] = {};
    target = target[key] as Record<string, unknown>;
  }
  target[last] = field;
  return copy;
}

/** A deep copy of `value` without the field at a dotted path. */
export function withoutField<T>(value: T, path: string): T {
  const copy = structuredClone(value);
  const keys = path.split('.');
  const last = keys.pop() as string;
  let target = copy as Record<string, unknown> | undefined;
  for (const key of keys) target = target?.[key] as Record<string, unknown> | undefined;
  if (target) delete target[last];
  return copy;
}

function baseNote(payload: NotePayload, options: NoteOptions): NotePayload {
  const projectId = options.projectId ?? payload.project.id;
  const path = options.projectPath ?? payload.project.path_with_namespace;
  const webUrl = options.projectWebUrl ?? (options.projectPath ? `http://example.com/${path}` : payload.project.web_url);
  payload.project_id = projectId;
  Object.assign(payload.project, {
    id: projectId,
    path_with_namespace: path,
    name: path.split('/').pop(),
    default_branch: options.defaultBranch === undefined ? payload.project.default_branch : options.defaultBranch,
    ...projectUrls(path, webUrl),
  });
  if (options.author) {
    payload.user = { ...payload.user, id: options.author.id, username: options.author.username, name: options.author.name ?? options.author.username, email: `${options.author.username}@example.com` };
  }
  const attributes = payload.object_attributes;
  const noteId = options.noteId ?? attributes.id;
  const createdAt = options.createdAt === undefined ? attributes.created_at : stamp(options.createdAt);
  const discussionId = options.discussionId === undefined ? defaultDiscussionId(projectId, noteId) : options.discussionId;
  const internal = options.internal ?? false;
  const body = options.body ?? DEFAULT_BODY;
  Object.assign(attributes, {
    id: noteId,
    note: body,
    description: body,
    author_id: options.noteAuthorId ?? payload.user.id,
    project_id: projectId,
    created_at: createdAt,
    updated_at: options.updatedAt === undefined ? createdAt : stamp(options.updatedAt),
    system: options.system ?? false,
    type: options.type ?? null,
    position: options.position ?? null,
    original_position: options.position ?? null,
    change_position: null,
    resolved_at: null,
    resolved_by_id: null,
    resolved_by_push: null,
    updated_by_id: null,
  });
  if (options.legacyConfidentialAttribute) attributes.confidential = internal;
  else attributes.internal = internal;
  if (discussionId !== null) attributes.discussion_id = discussionId;
  if (options.action === null) delete attributes.action;
  else attributes.action = options.action ?? 'create';
  payload.event_type = internal ? 'confidential_note' : 'note';
  return payload;
}

function projectUrls(path: string, webUrl = `http://example.com/${path}`): Record<string, string> {
  const origin = new URL(webUrl).origin;
  const host = new URL(webUrl).host;
  return {
    web_url: webUrl,
    homepage: webUrl,
    git_ssh_url: `git@${host}:${path}.git`,
    git_http_url: `${origin}/${path}.git`,
    url: `${origin}/${path}.git`,
    ssh_url: `git@${host}:${path}.git`,
    http_url: `${origin}/${path}.git`,
  };
}

function stamp(value: string | Date): string {
  return typeof value === 'string' ? value : gitlabTimestamp(value);
}
