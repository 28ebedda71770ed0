import type { NoteableRef } from '../domain.js';
import { GitLabApiError } from './errors.js';
import { GitLabHttp, projectPath } from './http.js';
import { escapeVariables, unescapeVariableValue } from './variable-escape.js';

// The GitLab calls the worker makes, by what they mean. Paths follow the REST API v4 docs: issues and
// merge requests by iid, snippets by id, commits by sha.

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
  editThreadNote(projectId: number, noteable: NoteableRef, discussionId: string, noteId: number, body: string): Promise<void>;
  threadNotes(projectId: number, noteable: NoteableRef, discussionId: string): Promise<GitLabNote[]>;
  /** Award an emoji on a note; a no-op where GitLab has no award API (commit comments). */
  awardEmojiOnNote(projectId: number, noteable: NoteableRef, noteId: number, name: string): Promise<void>;
  /** `POST /projects/:id/trigger/pipeline`: variables as a string map. */
  triggerPipeline(projectId: number, ref: string, variables: PipelineVariables, triggerToken: string): Promise<GitLabPipeline>;
  /** `POST /projects/:id/pipeline` as the bot: variables as an array of {key, value}. */
  createPipeline(projectId: number, ref: string, variables: PipelineVariables): Promise<GitLabPipeline>;
  recentPipelines(projectId: number, query: { ref: string; updatedAfter: string }): Promise<GitLabPipeline[]>;
  pipelineVariables(projectId: number, pipelineId: number): Promise<PipelineVariables>;
}

export function noteablePath(noteable: NoteableRef): string {
  switch (noteable.type) {
    case 'Issue':
      return `/issues/${noteable.iid}`;
    case 'MergeRequest':
      return `/merge_requests/${noteable.iid}`;
    case 'Snippet':
      return `/snippets/${noteable.iid ?? noteable.id}`;
    case 'Commit':
      return `/repository/commits/${noteable.commitSha}`;
  }
}

export class RestGitLabApi implements GitLabApi {
  constructor(private readonly http: GitLabHttp) {}

  async currentUser(): Promise<GitLabUser> {
    return normaliseUser(await this.http.get<Record<string, unknown>>('/user'));
  }

  async user(userId: number): Promise<GitLabUser> {
    return normaliseUser(await this.http.get<Record<string, unknown>>(`/users/${userId}`));
  }

  async member(projectId: number, userId: number): Promise<GitLabMember | null> {
    try {
      return await this.http.get<GitLabMember>(`${projectPath(projectId)}/members/all/${userId}`);
    } catch (error) {
      // 404 means "not a member"; a missing project answers 404 too, and the trigger step says so later.
      if (error instanceof GitLabApiError && error.status === 404) return null;
      throw error;
    }
  }

  async project(projectId: number): Promise<GitLabProject> {
    return this.http.get<GitLabProject>(projectPath(projectId));
  }

  async noteable(projectId: number, noteable: NoteableRef): Promise<NoteableRef> {
    const raw = await this.http.get<Record<string, unknown>>(`${projectPath(projectId)}${noteablePath(noteable)}`);
    return noteableFromApi(noteable, raw);
  }

  async note(projectId: number, noteable: NoteableRef, noteId: number): Promise<GitLabNote> {
    return this.http.get<GitLabNote>(`${projectPath(projectId)}${noteablePath(noteable)}/notes/${noteId}`);
  }

  async replyInThread(
    projectId: number,
    noteable: NoteableRef,
    discussionId: string | null,
    body: string,
    options: { internal?: boolean } = {},
  ): Promise<GitLabNote & { discussionId: string | null }> {
    const base = `${projectPath(projectId)}${noteablePath(noteable)}/discussions`;
    if (!discussionId && options.internal && noteable.type !== 'Commit') {
      // The notes API's answer carries no discussion id: such a note cannot be edited through its thread.
      const path = `${projectPath(projectId)}${noteablePath(noteable)}/notes`;
      const note = (await this.http.request<GitLabNote>('POST', path, { json: { body, internal: true } })).body;
      return { ...note, discussionId: null };
    }
    if (discussionId) {
      const note = (await this.http.request<GitLabNote>('POST', `${base}/${encodeURIComponent(discussionId)}/notes`, { json: { body } })).body;
      return { ...note, discussionId };
    }
    const discussion = (await this.http.request<{ id: string; notes: GitLabNote[] }>('POST', base, { json: { body } })).body;
    const note = discussion.notes[0];
    if (!note) throw new GitLabApiError('GitLab created a discussion without a note', 502, 'POST', base);
    return { ...note, discussionId: discussion.id };
  }

  async editThreadNote(projectId: number, noteable: NoteableRef, discussionId: string, noteId: number, body: string): Promise<void> {
    const path = `${projectPath(projectId)}${noteablePath(noteable)}/discussions/${encodeURIComponent(discussionId)}/notes/${noteId}`;
    await this.http.request('PUT', path, { json: { body } });
  }

  async threadNotes(projectId: number, noteable: NoteableRef, discussionId: string): Promise<GitLabNote[]> {
    const path = `${projectPath(projectId)}${noteablePath(noteable)}/discussions/${encodeURIComponent(discussionId)}`;
    const discussion = await this.http.get<{ notes: GitLabNote[] }>(path);
    return discussion.notes ?? [];
  }

  async awardEmojiOnNote(projectId: number, noteable: NoteableRef, noteId: number, name: string): Promise<void> {
    if (noteable.type === 'Commit') return;
    const path = `${projectPath(projectId)}${noteablePath(noteable)}/notes/${noteId}/award_emoji`;
    try {
      await this.http.request('POST', path, { json: { name } });
    } catch (error) {
      // Already awarded (a redelivery): GitLab refuses the duplicate, which is the state we wanted.
      if (error instanceof GitLabApiError && !error.transient && /taken|already/i.test(error.message)) return;
      throw error;
    }
  }

  async triggerPipeline(projectId: number, ref: string, variables: PipelineVariables, triggerToken: string): Promise<GitLabPipeline> {
    const path = `${projectPath(projectId)}/trigger/pipeline`;
    // The trigger token authenticates this call: no PRIVATE-TOKEN alongside it.
    const json = { token: triggerToken, ref, variables: escapeVariables(variables) };
    return (await this.http.request<GitLabPipeline>('POST', path, { json, token: null })).body;
  }

  async createPipeline(projectId: number, ref: string, variables: PipelineVariables): Promise<GitLabPipeline> {
    const path = `${projectPath(projectId)}/pipeline`;
    const asArray = Object.entries(escapeVariables(variables)).map(([key, value]) => ({ key, value, variable_type: 'env_var' }));
    return (await this.http.request<GitLabPipeline>('POST', path, { json: { ref, variables: asArray } })).body;
  }

  async recentPipelines(projectId: number, query: { ref: string; updatedAfter: string }): Promise<GitLabPipeline[]> {
    return this.http.get<GitLabPipeline[]>(`${projectPath(projectId)}/pipelines`, {
      ref: query.ref,
      updated_after: query.updatedAfter,
      order_by: 'id',
      sort: 'desc',
      per_page: 20,
    });
  }

  async pipelineVariables(projectId: number, pipelineId: number): Promise<PipelineVariables> {
    const list = await this.http.get<Array<{ key: string; value: string }>>(`${projectPath(projectId)}/pipelines/${pipelineId}/variables`);
    return Object.fromEntries(list.map((variable) => [variable.key, unescapeVariableValue(variable.value)]));
  }
}

function normaliseUser(raw: Record<string, unknown>): GitLabUser {
  return {
    id: Number(raw.id),
    username: String(raw.username ?? ''),
    // Fail closed: a record that does not say is not read as "human" or "active".
    bot: typeof raw.bot === 'boolean' ? raw.bot : null,
    state: typeof raw.state === 'string' ? raw.state : null,
  };
}

/** `GET /projects/:id/{issues/:iid | merge_requests/:iid | snippets/:id | repository/commits/:sha}`. */
export function noteableFromApi(asked: NoteableRef, raw: Record<string, unknown>): NoteableRef {
  const text = (value: unknown) => (typeof value === 'string' ? value : null);
  const int = (value: unknown) => (typeof value === 'number' && Number.isInteger(value) ? value : null);
  const base = { ...asked, id: int(raw.id), url: text(raw.web_url), state: text(raw.state), confidential: raw.confidential === true };
  const none = { sourceBranch: null, targetBranch: null, sourceProjectId: null, targetProjectId: null, fork: false };
  switch (asked.type) {
    case 'Issue':
      return { ...base, ...none, title: text(raw.title), commitSha: null };
    case 'MergeRequest': {
      const sourceProjectId = int(raw.source_project_id);
      const targetProjectId = int(raw.target_project_id);
      return {
        ...base,
        title: text(raw.title),
        sourceBranch: text(raw.source_branch),
        targetBranch: text(raw.target_branch),
        sourceProjectId,
        targetProjectId,
        // Unknown projects count as a fork: fork code never runs.
        fork: sourceProjectId === null || sourceProjectId !== targetProjectId,
        commitSha: null,
        headSha: text(raw.sha),
      };
    }
    case 'Snippet':
      return { ...base, ...none, title: text(raw.title), state: null, commitSha: null };
    case 'Commit':
      return { ...base, ...none, id: null, title: text(raw.title), state: null, commitSha: text(raw.id) ?? asked.commitSha };
  }
}
