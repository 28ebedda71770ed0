import type { FlowContextV1 } from '../domain.js';
import { GitLabApiError } from '../gitlab/errors.js';
import { GitLabHttp, projectPath } from '../gitlab/http.js';
import { noteableApiPath } from './context.js';
import type { ApiCommit, ApiDiff, ApiDiscussion, ApiIssue, ApiMergeRequest, ApiSnippet } from './gitlab-types.js';

// The GitLab calls the runner makes, over the shared fetch client. Paths follow the REST API v4 docs:
// issues and merge requests by iid, snippets by id, commits by sha; notes edited through the discussion
// they belong to.

export interface NoteableDetails {
  description: string | null;
  title: string | null;
}

export interface RunnerGitLab {
  discussions(context: FlowContextV1): Promise<ApiDiscussion[]>;
  noteable(context: FlowContextV1): Promise<NoteableDetails>;
  mergeRequestDiffs(context: FlowContextV1): Promise<ApiDiff[]>;
  /** A file's content on a ref, or null when it does not exist there. */
  fileOnRef(projectId: number, path: string, ref: string): Promise<string | null>;
  editTrackingNote(context: FlowContextV1, body: string): Promise<void>;
  createMergeRequest(projectId: number, request: { sourceBranch: string; targetBranch: string; title: string; description: string }): Promise<{ iid: number; webUrl: string }>;
}

export function createRunnerGitLab(http: GitLabHttp): RunnerGitLab {
  const base = (context: Pick<FlowContextV1, 'project' | 'noteable'>) => `${projectPath(context.project.id)}${noteableApiPath(context)}`;
  return {
    discussions: (context) => http.getAll<ApiDiscussion>(`${base(context)}/discussions`),
    async noteable(context) {
      switch (context.noteable.type) {
        case 'Issue':
        case 'MergeRequest': {
          const item = await http.get<ApiIssue | ApiMergeRequest>(base(context));
          return { description: item.description, title: item.title };
        }
        case 'Commit': {
          const commit = await http.get<ApiCommit>(base(context));
          return { description: commit.message, title: commit.title };
        }
        case 'Snippet': {
          const snippet = await http.get<ApiSnippet>(base(context));
          return { description: snippet.description, title: snippet.title };
        }
      }
    },
    mergeRequestDiffs: (context) => http.getAll<ApiDiff>(`${base(context)}/diffs`, {}, 10),
    async fileOnRef(projectId, path, ref) {
      try {
        const file = await http.get<{ content: string; encoding: string }>(`${projectPath(projectId)}/repository/files/${encodeURIComponent(path)}`, { ref });
        return file.encoding === 'base64' ? Buffer.from(file.content, 'base64').toString('utf8') : file.content;
      } catch (error) {
        if (error instanceof GitLabApiError && error.status === 404) return null;
        throw error;
      }
    },
    async editTrackingNote(context, body) {
      const noteId = context.tracking_note_id;
      // Commits have no plain notes endpoint for edits; everything else takes either form.
      const path = context.discussion_id ? `${base(context)}/discussions/${encodeURIComponent(context.discussion_id)}/notes/${noteId}` : `${base(context)}/notes/${noteId}`;
      await http.request('PUT', path, { json: { body } });
    },
    async createMergeRequest(projectId, request) {
      const created = (
        await http.request<{ iid: number; web_url: string }>('POST', `${projectPath(projectId)}/merge_requests`, {
          json: {
            source_branch: request.sourceBranch,
            target_branch: request.targetBranch,
            title: request.title,
            description: request.description,
            remove_source_branch: true,
          },
        })
      ).body;
      return { iid: created.iid, webUrl: created.web_url };
    },
  };
}
