import type { FlowContextV1 } from '../domain.js';
import { noteableOfContext } from '../flow-variables.js';
import { GitLabApiError } from '../gitlab/errors.js';
import { noteableApiPath, noteableIid, noteableKey, type NoteableKeyFields } from '../gitlab/noteable-path.js';
import { gitlabResources, type GitLabConnection, type GitLabResources } from '../gitlab/resources.js';
import { downloadUpload } from './attachments/download.js';
import type { ApiCommit, ApiDiff, ApiDiscussion, ApiIssue, ApiMergeRequest, ApiSnippet } from './gitlab-types.js';

// The GitLab calls the runner makes, on gitbeaker's typed resources over the service's one requester
// (one attempt, a deadline, GitLabApiError). Notes are edited through the discussion they belong to.

/** What the runner knows of the issue, merge request, commit or snippet: from the API, never the context. */
export interface NoteableDetails {
  description: string | null;
  title: string | null;
  webUrl: string | null;
  state: string | null;
  confidential: boolean;
  mergeRequest: {
    sourceBranch: string;
    targetBranch: string;
    sourceProjectId: number;
    headSha: string | null;
    /** The shas a diff note's position names (GitLab's `diff_refs`); null when GitLab gave none. */
    diffRefs?: { base_sha: string; start_sha: string; head_sha: string } | null;
  } | null;
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
  /** A markdown upload of the project, through GitLab's web route with the bot's token; at most `maxBytes`. */
  upload(projectPath: string, secret: string, filename: string, maxBytes: number): Promise<{ ok: true; bytes: Buffer } | { ok: false; reason: string }>;
  /** The newest pipeline for a commit, or null. */
  latestPipeline(projectId: number, sha: string): Promise<ApiPipeline | null>;
  pipeline(projectId: number, pipelineId: number): Promise<ApiPipeline | null>;
  failedJobs(projectId: number, pipelineId: number): Promise<ApiJob[]>;
  job(projectId: number, jobId: number): Promise<(ApiJob & { pipeline: { id: number } }) | null>;
  jobTrace(projectId: number, jobId: number): Promise<string>;
  /** The token's own user (the bot): whose notes a run may trust. */
  currentUserId(): Promise<number>;
  /**
   * One file of a job's artifacts (`GET /projects/:id/jobs/:job_id/artifacts/*artifact_path`), as bytes;
   * null when GitLab has none (404: no such job or file, or the artifacts expired). Larger than
   * `maxBytes` is an error.
   */
  jobArtifactFile(projectId: number, jobId: number, path: string, maxBytes: number): Promise<Buffer | null>;
  createMergeRequest(
    projectId: number,
    request: { sourceBranch: string; targetBranch: string; title: string; description: string },
  ): Promise<{ iid: number; webUrl: string }>;
  /** A pending review comment on a merge request (a draft note), seen by nobody until published. */
  createDraftNote(context: FlowContextV1, body: string, position: Record<string, unknown>): Promise<{ id: number }>;
  /** Publishes the bot's draft notes on the merge request at once: one notification for the review. */
  publishDraftNotes(context: FlowContextV1): Promise<void>;
  /** Deletes the bot's unpublished draft notes (left by a run that ended between creating and publishing); how many. */
  discardDraftNotes(context: FlowContextV1): Promise<number>;
}

type Context = Pick<FlowContextV1, 'project' | 'noteable'>;

/** A 404 is an answer here (a pipeline or job another project's link named): null. */
async function orNull<T>(request: Promise<T>): Promise<T | null> {
  try {
    return await request;
  } catch (error) {
    if (error instanceof GitLabApiError && error.status === 404) return null;
    throw error;
  }
}

function target(context: Context): NoteableKeyFields {
  return noteableOfContext(context);
}

export function createRunnerGitLab(connection: GitLabConnection): RunnerGitLab {
  const gitlab = gitlabResources(connection);
  return {
    discussions: async (context) => {
      const all = gitlab.discussions[context.noteable.type].all(context.project.id, key(context), {
        perPage: 100,
        maxPages: 20,
      });
      return (await all) as unknown as ApiDiscussion[];
    },
    noteable: (context) => noteableDetails(gitlab, context),
    mergeRequestDiffs: async (context) => {
      const diffs = gitlab.mergeRequests.allDiffs(context.project.id, noteableIid(target(context)), {
        perPage: 100,
        maxPages: 10,
      });
      return (await diffs) as unknown as ApiDiff[];
    },
    fileOnRef: (projectId, path, ref) => fileOnRef(gitlab, projectId, path, ref),
    editTrackingNote: (context, body) => editTrackingNote(gitlab, context, body),
    upload: (projectPath, secret, filename, maxBytes) => downloadUpload(connection, projectPath, secret, filename, maxBytes),
    async latestPipeline(projectId, sha) {
      const [latest] = await gitlab.pipelines.all(projectId, { sha, orderBy: 'id', sort: 'desc', perPage: 1, maxPages: 1 });
      return (latest as unknown as ApiPipeline | undefined) ?? null;
    },
    pipeline: (projectId, pipelineId) => orNull(gitlab.pipelines.show(projectId, pipelineId) as unknown as Promise<ApiPipeline>),
    failedJobs: async (projectId, pipelineId) =>
      (await gitlab.jobs.all(projectId, { pipelineId, scope: 'failed', perPage: 20, maxPages: 1 })) as unknown as ApiJob[],
    job: (projectId, jobId) => orNull(gitlab.jobs.show(projectId, jobId) as unknown as Promise<ApiJob & { pipeline: { id: number } }>),
    // A log is text, whatever it looks like: never parsed as JSON.
    jobTrace: async (projectId, jobId) => String((await gitlab.jobs.showLog(projectId, jobId)) ?? ''),
    currentUserId: async () => ((await gitlab.users.showCurrentUser()) as unknown as { id: number }).id,
    jobArtifactFile: (projectId, jobId, path, maxBytes) => jobArtifactFile(connection, projectId, jobId, path, maxBytes),
    async createMergeRequest(projectId, request) {
      const { sourceBranch, targetBranch, title, description } = request;
      const options = { description, removeSourceBranch: true };
      const created = await gitlab.mergeRequests.create(projectId, sourceBranch, targetBranch, title, options);
      return { iid: created.iid, webUrl: created.web_url };
    },
    async createDraftNote(context, body, position) {
      // gitbeaker decamelizes the body's keys (position's too), so GitLab gets `position[base_sha]` and so on.
      const camel = Object.fromEntries(Object.entries(position).map(([name, value]) => [name.replace(/_(\w)/g, (_, c: string) => c.toUpperCase()), value]));
      const created = await gitlab.draftNotes.create(context.project.id, noteableIid(target(context)), body, { position: camel as never });
      return { id: created.id };
    },
    async discardDraftNotes(context) {
      const iid = noteableIid(target(context));
      const drafts = (await gitlab.draftNotes.all(context.project.id, iid, { perPage: 100, maxPages: 5 })) as unknown as Array<{ id: number }>;
      for (const draft of drafts) await gitlab.draftNotes.remove(context.project.id, iid, draft.id);
      return drafts.length;
    },
    async publishDraftNotes(context) {
      await gitlab.draftNotes.publishBulk(context.project.id, noteableIid(target(context)));
    },
  };
}

function diffRefsOf(mr: ApiMergeRequest): { base_sha: string; start_sha: string; head_sha: string } | null {
  const refs = mr.diff_refs;
  if (!refs?.base_sha || !refs.start_sha || !refs.head_sha) return null;
  return { base_sha: refs.base_sha, start_sha: refs.start_sha, head_sha: refs.head_sha };
}

async function noteableDetails(gitlab: GitLabResources, context: FlowContextV1): Promise<NoteableDetails> {
  const none = { state: null, confidential: false, mergeRequest: null };
  const projectId = context.project.id;
  const noteable = target(context);
  switch (noteable.type) {
    case 'Issue': {
      const issue = (await gitlab.issues.show(noteableIid(noteable), { projectId })) as unknown as ApiIssue;
      const { description, title, web_url: webUrl, state } = issue;
      return { ...none, description, title, webUrl, state, confidential: issue.confidential === true };
    }
    case 'MergeRequest': {
      const mr = (await gitlab.mergeRequests.show(projectId, noteableIid(noteable))) as unknown as ApiMergeRequest;
      const mergeRequest = {
        sourceBranch: mr.source_branch,
        targetBranch: mr.target_branch,
        sourceProjectId: mr.source_project_id,
        headSha: mr.sha ?? null,
        diffRefs: diffRefsOf(mr),
      };
      return {
        ...none,
        description: mr.description,
        title: mr.title,
        webUrl: mr.web_url,
        state: mr.state,
        mergeRequest,
      };
    }
    case 'Commit': {
      const commit = (await gitlab.commits.show(projectId, String(noteableKey(noteable)))) as unknown as ApiCommit;
      return { ...none, description: commit.message, title: commit.title, webUrl: commit.web_url ?? null };
    }
    case 'Snippet': {
      const snippet = (await gitlab.snippets.show(projectId, noteableIid(noteable))) as unknown as ApiSnippet;
      return { ...none, description: snippet.description, title: snippet.title, webUrl: snippet.web_url ?? null };
    }
  }
}

async function fileOnRef(
  gitlab: GitLabResources,
  projectId: number,
  path: string,
  ref: string,
): Promise<string | null> {
  try {
    const file = await gitlab.files.show(projectId, path, ref);
    return file.encoding === 'base64' ? Buffer.from(file.content, 'base64').toString('utf8') : file.content;
  } catch (error) {
    if (error instanceof GitLabApiError && error.status === 404) return null;
    throw error;
  }
}

async function editTrackingNote(gitlab: GitLabResources, context: FlowContextV1, body: string): Promise<void> {
  const noteId = context.tracking_note_id;
  const { project, noteable, discussion_id: discussionId } = context;
  if (discussionId) {
    await gitlab.discussions[noteable.type].editNote(project.id, key(context), discussionId, noteId, { body });
  } else if (noteable.type === 'Commit') {
    // Commits have no notes API of their own (gitbeaker has no method): the path GitLab would take.
    await gitlab.raw.put(`${noteableApiPath(project.id, target(context))}/notes/${noteId}`, { body: { body } });
  } else {
    await gitlab.notes[noteable.type].edit(project.id, key(context), noteId, { body });
  }
}

/** Raw bytes (the requester parses JSON, and a hash needs the file as stored), so plain fetch here. */
async function jobArtifactFile(connection: GitLabConnection, projectId: number, jobId: number, path: string, maxBytes: number): Promise<Buffer | null> {
  const url = `${connection.baseUrl.replace(/\/+$/, '')}/api/v4/projects/${projectId}/jobs/${jobId}/artifacts/${path.split('/').map(encodeURIComponent).join('/')}`;
  const response = await (connection.fetch ?? fetch)(url, { headers: { 'private-token': connection.token }, redirect: 'follow', signal: AbortSignal.timeout(connection.timeoutMs ?? 30_000) });
  if (response.status === 404) return null;
  if (!response.ok) throw new GitLabApiError(`GET job ${jobId} artifact ${path}: HTTP ${response.status}`, response.status, 'GET', `/projects/${projectId}/jobs/${jobId}/artifacts/${path}`);
  const bytes = Buffer.from(await response.arrayBuffer());
  if (bytes.length > maxBytes) throw new Error(`job ${jobId}'s artifact ${path} is larger than ${maxBytes} bytes`);
  return bytes;
}

function key(context: Context): number | string {
  return noteableKey(target(context));
}
