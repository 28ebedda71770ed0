import type { FlowContextV1 } from '../domain.js';
import { GitLabApiError } from '../gitlab/errors.js';
import { GitLabHttp, projectPath } from '../gitlab/http.js';
import { noteableApiPath } from './context.js';
import type { ApiCommit, ApiDiff, ApiDiscussion, ApiIssue, ApiMergeRequest, ApiSnippet } from './gitlab-types.js';

// The GitLab calls the runner makes, over the shared fetch client. Paths follow the REST API v4 docs:
// issues and merge requests by iid, snippets by id, commits by sha; notes edited through the discussion
// they belong to.

/** What the runner knows of the issue, merge request, commit or snippet: from the API, never the context. */
export interface NoteableDetails {
  description: string | null;
  title: string | null;
  webUrl: string | null;
  state: string | null;
  confidential: boolean;
  mergeRequest: { sourceBranch: string; targetBranch: string; sourceProjectId: number; headSha: string | null } | null;
}

export interface ApiPipeline {
  id: number;
  sha: string;
  ref: string;
  status: string;
  web_url: string;
}

export interface ApiJob {
  id: number;
  name: string;
  stage: string;
  status: string;
  web_url: string;
  failure_reason?: string;
  allow_failure?: boolean;
}

export interface RunnerGitLab {
  discussions(context: FlowContextV1): Promise<ApiDiscussion[]>;
  noteable(context: FlowContextV1): Promise<NoteableDetails>;
  mergeRequestDiffs(context: FlowContextV1): Promise<ApiDiff[]>;
  /** A file's content on a ref, or null when it does not exist there. */
  fileOnRef(projectId: number, path: string, ref: string): Promise<string | null>;
  editTrackingNote(context: FlowContextV1, body: string): Promise<void>;
  /** The newest pipeline for a commit, or null. */
  latestPipeline(projectId: number, sha: string): Promise<ApiPipeline | null>;
  pipeline(projectId: number, pipelineId: number): Promise<ApiPipeline | null>;
  failedJobs(projectId: number, pipelineId: number): Promise<ApiJob[]>;
  job(projectId: number, jobId: number): Promise<(ApiJob & { pipeline: { id: number } }) | null>;
  jobTrace(projectId: number, jobId: number): Promise<string>;
  createMergeRequest(projectId: number, request: { sourceBranch: string; targetBranch: string; title: string; description: string }): Promise<{ iid: number; webUrl: string }>;
}

/** A 404 is an answer here (a pipeline or job another project's link named): null. */
async function orNull<T>(request: Promise<T>): Promise<T | null> {
  try {
    return await request;
  } catch (error) {
    if (error instanceof GitLabApiError && error.status === 404) return null;
    throw error;
  }
}

export function createRunnerGitLab(http: GitLabHttp): RunnerGitLab {
  const base = (context: Pick<FlowContextV1, 'project' | 'noteable'>) => `${projectPath(context.project.id)}${noteableApiPath(context)}`;
  return {
    discussions: (context) => http.getAll<ApiDiscussion>(`${base(context)}/discussions`),
    async noteable(context) {
      const none = { state: null, confidential: false, mergeRequest: null };
      switch (context.noteable.type) {
        case 'Issue': {
          const issue = await http.get<ApiIssue>(base(context));
          return { ...none, description: issue.description, title: issue.title, webUrl: issue.web_url, state: issue.state, confidential: issue.confidential === true };
        }
        case 'MergeRequest': {
          const mr = await http.get<ApiMergeRequest>(base(context));
          const mergeRequest = { sourceBranch: mr.source_branch, targetBranch: mr.target_branch, sourceProjectId: mr.source_project_id, headSha: mr.sha ?? null };
          return { ...none, description: mr.description, title: mr.title, webUrl: mr.web_url, state: mr.state, mergeRequest };
        }
        case 'Commit': {
          const commit = await http.get<ApiCommit>(base(context));
          return { ...none, description: commit.message, title: commit.title, webUrl: commit.web_url ?? null };
        }
        case 'Snippet': {
          const snippet = await http.get<ApiSnippet>(base(context));
          return { ...none, description: snippet.description, title: snippet.title, webUrl: snippet.web_url ?? null };
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
    async latestPipeline(projectId, sha) {
      const list = await http.get<ApiPipeline[]>(`${projectPath(projectId)}/pipelines`, { sha, order_by: 'id', sort: 'desc', per_page: '1' });
      return list[0] ?? null;
    },
    pipeline: (projectId, pipelineId) => orNull(http.get<ApiPipeline>(`${projectPath(projectId)}/pipelines/${pipelineId}`)),
    failedJobs: (projectId, pipelineId) => http.get<ApiJob[]>(`${projectPath(projectId)}/pipelines/${pipelineId}/jobs`, { scope: 'failed', per_page: '20' }),
    job: (projectId, jobId) => orNull(http.get<ApiJob & { pipeline: { id: number } }>(`${projectPath(projectId)}/jobs/${jobId}`)),
    jobTrace: (projectId, jobId) => http.getText(`${projectPath(projectId)}/jobs/${jobId}/trace`),
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
