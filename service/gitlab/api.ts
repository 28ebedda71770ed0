import type { NoteableRef } from '../domain.js';
import { GitLabApiError } from './errors.js';
import { GitLabHttp, projectPath } from './http.js';

// The GitLab calls the worker makes, by what they mean. Paths follow the REST API v4 docs: issues and
// merge requests by iid, snippets by id, commits by sha.

export interface GitLabUser {
  id: number;
  username: string;
  bot: boolean;
  state: string;
}

export interface GitLabMember {
  id: number;
  username: string;
  access_level: number;
  state: string;
}

export interface GitLabNote {
  id: number;
  body: string;
  author: { id: number; username: string };
  created_at: string;
  updated_at: string;
  system: boolean;
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
  /** A reply in the discussion, or a new discussion on the noteable when there is none. */
  replyInThread(projectId: number, noteable: NoteableRef, discussionId: string | null, body: string): Promise<GitLabNote & { discussionId: string | null }>;
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

  async replyInThread(projectId: number, noteable: NoteableRef, discussionId: string | null, body: string): Promise<GitLabNote & { discussionId: string | null }> {
    const base = `${projectPath(projectId)}${noteablePath(noteable)}/discussions`;
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
    return (await this.http.request<GitLabPipeline>('POST', path, { json: { token: triggerToken, ref, variables }, token: null })).body;
  }

  async createPipeline(projectId: number, ref: string, variables: PipelineVariables): Promise<GitLabPipeline> {
    const path = `${projectPath(projectId)}/pipeline`;
    const asArray = Object.entries(variables).map(([key, value]) => ({ key, value, variable_type: 'env_var' }));
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
    return Object.fromEntries(list.map((variable) => [variable.key, variable.value]));
  }
}

function normaliseUser(raw: Record<string, unknown>): GitLabUser {
  return {
    id: Number(raw.id),
    username: String(raw.username ?? ''),
    bot: raw.bot === true,
    state: String(raw.state ?? 'active'),
  };
}
