import type { NoteableRef } from '../domain.js';
import type {
  GitLabApi,
  GitLabMember,
  GitLabNote,
  GitLabPipeline,
  GitLabProject,
  GitLabUser,
  PipelineVariables,
} from './api.js';
import { GitLabApiError } from './errors.js';
import { noteableFromApi } from './noteable-from-api.js';
import { noteableApiPath, noteableIid, noteableKey } from './noteable-path.js';
import { gitlabResources, type GitLabConnection, type GitLabResources } from './resources.js';
import { escapeVariables, unescapeVariableValue } from './variable-escape.js';

// The worker's GitLab calls on gitbeaker's typed resources. Raw calls on the same requester where
// gitbeaker has no method: a snippet note's award emoji, a commit's note by id, and the trigger API,
// whose gitbeaker method puts the trigger token in the query string (the token never goes in a URL).

export function restGitLabApi(connection: GitLabConnection): RestGitLabApi {
  return new RestGitLabApi(gitlabResources(connection));
}

export class RestGitLabApi implements GitLabApi {
  constructor(private readonly gitlab: GitLabResources) {}

  async currentUser(): Promise<GitLabUser> {
    return normaliseUser(await this.gitlab.users.showCurrentUser());
  }

  async user(userId: number): Promise<GitLabUser> {
    return normaliseUser(await this.gitlab.users.show(userId));
  }

  async member(projectId: number, userId: number): Promise<GitLabMember | null> {
    try {
      return (await this.gitlab.members.show(projectId, userId, { includeInherited: true })) as unknown as GitLabMember;
    } catch (error) {
      // 404 means "not a member"; a missing project answers 404 too, and the trigger step says so later.
      if (error instanceof GitLabApiError && error.status === 404) return null;
      throw error;
    }
  }

  async project(projectId: number): Promise<GitLabProject> {
    return (await this.gitlab.projects.show(projectId)) as unknown as GitLabProject;
  }

  async noteable(projectId: number, noteable: NoteableRef): Promise<NoteableRef> {
    return noteableFromApi(noteable, await this.showNoteable(projectId, noteable));
  }

  private async showNoteable(projectId: number, noteable: NoteableRef): Promise<Record<string, unknown>> {
    const { issues, mergeRequests, snippets, commits } = this.gitlab;
    switch (noteable.type) {
      case 'Issue':
        return issues.show(noteableIid(noteable), { projectId });
      case 'MergeRequest':
        return mergeRequests.show(projectId, noteableIid(noteable));
      case 'Snippet':
        return snippets.show(projectId, noteableIid(noteable));
      case 'Commit':
        return commits.show(projectId, String(noteableKey(noteable)));
    }
  }

  async note(projectId: number, noteable: NoteableRef, noteId: number): Promise<GitLabNote> {
    // GitLab has no such endpoint for commits (the worker reads their discussions instead).
    if (noteable.type === 'Commit')
      return this.raw<GitLabNote>('get', `${noteableApiPath(projectId, noteable)}/notes/${noteId}`);
    const note = await this.gitlab.notes[noteable.type].show(projectId, noteableKey(noteable), noteId);
    return note as unknown as GitLabNote;
  }

  async replyInThread(
    projectId: number,
    noteable: NoteableRef,
    discussionId: string | null,
    body: string,
    options: { internal?: boolean } = {},
  ): Promise<GitLabNote & { discussionId: string | null }> {
    const key = noteableKey(noteable);
    const discussions = this.gitlab.discussions[noteable.type];
    if (!discussionId && options.internal && noteable.type !== 'Commit') {
      // The notes API's answer carries no discussion id: such a note cannot be edited through its thread.
      const note = await this.gitlab.notes[noteable.type].create(projectId, key, body, { internal: true });
      return { ...(note as unknown as GitLabNote), discussionId: null };
    }
    if (discussionId) {
      const note = await discussions.addNote(projectId, key, discussionId, body);
      return { ...(note as unknown as GitLabNote), discussionId };
    }
    const discussion = await discussions.create(projectId, key, body);
    const note = discussion.notes?.[0] as unknown as GitLabNote | undefined;
    if (!note) {
      const path = `/${noteableApiPath(projectId, noteable)}/discussions`;
      throw new GitLabApiError('GitLab created a discussion without a note', 502, 'POST', path);
    }
    return { ...note, discussionId: discussion.id };
  }

  async editThreadNote(
    projectId: number,
    noteable: NoteableRef,
    discussionId: string,
    noteId: number,
    body: string,
  ): Promise<void> {
    await this.gitlab.discussions[noteable.type].editNote(projectId, noteableKey(noteable), discussionId, noteId, {
      body,
    });
  }

  async threadNotes(projectId: number, noteable: NoteableRef, discussionId: string): Promise<GitLabNote[]> {
    const discussion = await this.gitlab.discussions[noteable.type].show(
      projectId,
      noteableKey(noteable),
      discussionId,
    );
    return (discussion.notes ?? []) as unknown as GitLabNote[];
  }

  async awardEmojiOnNote(projectId: number, noteable: NoteableRef, noteId: number, name: string): Promise<void> {
    if (noteable.type === 'Commit') return;
    try {
      if (noteable.type === 'Snippet') {
        await this.raw('post', `${noteableApiPath(projectId, noteable)}/notes/${noteId}/award_emoji`, { name });
      } else {
        await this.gitlab.noteAwards[noteable.type].award(projectId, noteableIid(noteable), noteId, name);
      }
    } catch (error) {
      // Already awarded (a redelivery): GitLab refuses the duplicate, which is the state we wanted.
      if (error instanceof GitLabApiError && !error.transient && /taken|already/i.test(error.message)) return;
      throw error;
    }
  }

  async triggerPipeline(
    projectId: number,
    ref: string,
    variables: PipelineVariables,
    triggerToken: string,
  ): Promise<GitLabPipeline> {
    // The trigger token authenticates this call, in the body: no PRIVATE-TOKEN alongside it.
    const body = { token: triggerToken, ref, variables: escapeVariables(variables) };
    const path = `projects/${encodeURIComponent(String(projectId))}/trigger/pipeline`;
    return (await this.gitlab.anonymous.post<Record<string, unknown>>(path, { body }))
      .body as unknown as GitLabPipeline;
  }

  async createPipeline(projectId: number, ref: string, variables: PipelineVariables): Promise<GitLabPipeline> {
    const escaped = Object.entries(escapeVariables(variables));
    const asArray = escaped.map(([key, value]) => ({ key, value, variable_type: 'env_var' }));
    return (await this.gitlab.pipelines.create(projectId, ref, { variables: asArray })) as unknown as GitLabPipeline;
  }

  async recentPipelines(projectId: number, query: { ref: string; updatedAfter: string }): Promise<GitLabPipeline[]> {
    const options = {
      ref: query.ref,
      updatedAfter: query.updatedAfter,
      orderBy: 'id',
      sort: 'desc',
      perPage: 20,
      maxPages: 1,
    } as const;
    return (await this.gitlab.pipelines.all(projectId, options)) as unknown as GitLabPipeline[];
  }

  async pipelineVariables(projectId: number, pipelineId: number): Promise<PipelineVariables> {
    const list = await this.gitlab.pipelines.allVariables(projectId, pipelineId);
    return Object.fromEntries(list.map((variable) => [variable.key, unescapeVariableValue(variable.value)]));
  }

  async cancelPipeline(projectId: number, pipelineId: number): Promise<GitLabPipeline> {
    return (await this.gitlab.pipelines.cancel(projectId, pipelineId)) as unknown as GitLabPipeline;
  }

  private async raw<T>(method: 'get' | 'post', endpoint: string, body?: Record<string, unknown>): Promise<T> {
    return (await this.gitlab.raw[method]<Record<string, unknown>>(endpoint, body ? { body } : {}))
      .body as unknown as T;
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
