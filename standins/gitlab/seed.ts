import { execFileSync } from 'node:child_process';
import { startDiscussion, reply } from './ops/notes.js';
import type { State } from './state.js';
import {
  AccessLevel, type Commit, type DiffFile, type MergeRequestState, type NoteableKey, type ProtectedBranch, type UserState, type Visibility,
} from './types.js';

// Seeding: how tests put users, projects, issues and threads in place without going through the API
// (so seeding is never subject to injected faults). Synchronous on purpose: tests read top-down.

export interface NewUser {
  username: string;
  name?: string;
  /** A bot user, like a project access token's bot or a service account. */
  bot?: boolean;
  state?: UserState;
  admin?: boolean;
  email?: string;
  id?: number;
  /** A personal access token to use instead of a generated one. */
  token?: string;
  /** Token scopes; default ['api']. */
  scopes?: string[];
}

export function addUser(state: State, input: NewUser): { id: number; username: string; token: string } {
  if ([...state.users.values()].some((user) => user.username.toLowerCase() === input.username.toLowerCase())) {
    throw new Error(`stand-in: username ${input.username} is taken`);
  }
  const id = state.nextId('user', input.id, (candidate) => state.users.has(candidate));
  state.users.set(id, {
    id,
    username: input.username,
    name: input.name ?? input.username,
    bot: input.bot ?? false,
    state: input.state ?? 'active',
    admin: input.admin ?? false,
    email: input.email ?? `${input.username}@example.com`,
    createdAt: state.now(),
  });
  const token = addToken(state, id, { token: input.token, scopes: input.scopes });
  return { id, username: input.username, token };
}

export interface NewToken {
  token?: string;
  name?: string;
  scopes?: string[];
  expiresAt?: Date;
}

export function addToken(state: State, userId: number, input: NewToken = {}): string {
  state.user(userId);
  const token = input.token ?? state.newPersonalToken();
  if (state.tokens.has(token)) throw new Error('stand-in: token already exists');
  const id = state.nextId('accessToken');
  state.tokens.set(token, {
    id,
    name: input.name ?? `token-${id}`,
    token,
    userId,
    scopes: input.scopes ?? ['api'],
    revoked: false,
    expiresAt: input.expiresAt ?? null,
    createdAt: state.now(),
  });
  return token;
}

export interface NewProject {
  /** path_with_namespace, e.g. `group/project`. */
  path: string;
  name?: string;
  defaultBranch?: string;
  visibility?: Visibility;
  /** Branch names (fake shas are made up) or name → sha. Default: just the default branch. */
  branches?: string[] | Record<string, string>;
  tags?: Record<string, string>;
  /** A real bare repository: branches, commits and diffs are read from it with git. */
  bareRepoPath?: string;
  /** Default: the default branch, Maintainers only for push and merge (GitLab's "fully protected"). */
  protectedBranches?: ProtectedBranch[];
  hasCiConfig?: boolean;
  forkedFromProjectId?: number;
  id?: number;
}

export interface ProjectInfo {
  id: number;
  path: string;
  defaultBranch: string;
  webUrl: string;
}

export function addProject(state: State, input: NewProject): ProjectInfo {
  if (!/^[\w.-]+(\/[\w.-]+)+$/.test(input.path)) throw new Error(`stand-in: project path must look like group/project, got ${input.path}`);
  if (state.projectByPath(input.path)) throw new Error(`stand-in: project ${input.path} exists`);
  const id = state.nextId('project', input.id, (candidate) => state.projects.has(candidate));
  const defaultBranch = input.defaultBranch ?? (input.bareRepoPath ? headBranchSync(input.bareRepoPath) : null) ?? 'main';
  const now = state.now();
  const project = {
    id,
    path: input.path,
    name: input.name ?? input.path.split('/').pop() ?? input.path,
    defaultBranch,
    visibility: input.visibility ?? 'private',
    branches: new Map<string, string>(),
    tags: new Map<string, string>(Object.entries(input.tags ?? {})),
    commits: new Map<string, Commit>(),
    bareRepoPath: input.bareRepoPath ?? null,
    protectedBranches: input.protectedBranches ?? [
      { name: defaultBranch, pushAccessLevel: AccessLevel.maintainer, mergeAccessLevel: AccessLevel.maintainer },
    ],
    members: new Map(),
    hasCiConfig: input.hasCiConfig ?? true,
    ciConfigs: new Map<string, string>(),
    ciVariables: new Map(),
    forkedFromProjectId: input.forkedFromProjectId ?? null,
    createdAt: now,
    nextIssueIid: 1,
    nextMergeRequestIid: 1,
    nextPipelineIid: 1,
  };
  state.projects.set(id, project);
  if (!input.bareRepoPath) {
    const branches = input.branches ?? [defaultBranch];
    const entries = Array.isArray(branches) ? branches.map((name) => [name, undefined] as const) : Object.entries(branches);
    for (const [name, sha] of entries) addBranch(state, id, name, sha);
  }
  return { id, path: project.path, defaultBranch, webUrl: `${state.baseUrl}/${project.path}` };
}

function headBranchSync(repo: string): string | null {
  try {
    return execFileSync('git', ['--git-dir', repo, 'symbolic-ref', '--short', 'HEAD'], { encoding: 'utf8' }).trim() || null;
  } catch {
    return null;
  }
}

/** A commit in a project without a repository; returns its sha. */
export function addCommit(state: State, projectId: number, input: { sha?: string; title?: string; message?: string; branch?: string } = {}): string {
  const project = state.project(projectId);
  if (project.bareRepoPath) throw new Error('stand-in: commit to the bare repository with git instead');
  const sha = input.sha ?? state.hex40(`commit:${projectId}`);
  const message = input.message ?? `${input.title ?? 'Commit'}\n`;
  project.commits.set(sha, {
    sha,
    title: input.title ?? message.split('\n')[0] ?? '',
    message,
    authorName: 'Stand-in Author',
    authorEmail: 'author@example.com',
    createdAt: state.now(),
  });
  if (input.branch) project.branches.set(input.branch, sha);
  return sha;
}

export function addBranch(state: State, projectId: number, name: string, sha?: string): string {
  const project = state.project(projectId);
  if (project.bareRepoPath) throw new Error('stand-in: create branches in the bare repository with git instead');
  const head = sha ?? addCommit(state, projectId, { title: `Head of ${name}` });
  if (!project.commits.has(head)) addCommit(state, projectId, { sha: head, title: `Head of ${name}` });
  project.branches.set(name, head);
  return head;
}

export function addMember(state: State, projectId: number, userId: number, accessLevel: number): void {
  state.user(userId);
  const project = state.project(projectId);
  const existing = project.members.get(userId);
  project.members.set(userId, { userId, accessLevel, createdAt: existing?.createdAt ?? state.now() });
}

export interface NewIssue {
  title: string;
  description?: string;
  confidential?: boolean;
  authorId: number;
  assigneeIds?: number[];
  state?: 'opened' | 'closed';
  iid?: number;
  id?: number;
}

export function addIssue(state: State, projectId: number, input: NewIssue): { id: number; iid: number } {
  const project = state.project(projectId);
  state.user(input.authorId);
  const id = state.nextId('issue', input.id, (candidate) => state.issues.has(candidate));
  const iid = input.iid ?? project.nextIssueIid;
  if ([...state.issues.values()].some((issue) => issue.projectId === projectId && issue.iid === iid)) throw new Error(`stand-in: issue #${iid} exists`);
  project.nextIssueIid = Math.max(project.nextIssueIid, iid + 1);
  const now = state.now();
  state.issues.set(id, {
    id,
    iid,
    projectId,
    title: input.title,
    description: input.description ?? '',
    confidential: input.confidential ?? false,
    authorId: input.authorId,
    assigneeIds: input.assigneeIds ?? [],
    state: input.state ?? 'opened',
    labels: [],
    createdAt: now,
    updatedAt: now,
  });
  return { id, iid };
}

export interface NewMergeRequest {
  sourceBranch: string;
  targetBranch: string;
  title: string;
  description?: string;
  /** A fork's project id for a merge request from a fork. Default: this project. */
  sourceProjectId?: number;
  state?: MergeRequestState;
  /** Default: the first user. */
  authorId?: number;
  /** Diffs to serve for projects without a repository. */
  diffs?: DiffFile[];
  iid?: number;
  id?: number;
}

export function addMergeRequest(state: State, projectId: number, input: NewMergeRequest): { id: number; iid: number } {
  const project = state.project(projectId);
  const authorId = input.authorId ?? [...state.users.keys()][0];
  if (authorId === undefined) throw new Error('stand-in: add a user before a merge request');
  const id = state.nextId('mergeRequest', input.id, (candidate) => state.mergeRequests.has(candidate));
  const iid = input.iid ?? project.nextMergeRequestIid;
  project.nextMergeRequestIid = Math.max(project.nextMergeRequestIid, iid + 1);
  const now = state.now();
  state.mergeRequests.set(id, {
    id,
    iid,
    projectId,
    sourceProjectId: input.sourceProjectId ?? projectId,
    sourceBranch: input.sourceBranch,
    targetBranch: input.targetBranch,
    title: input.title,
    description: input.description ?? '',
    state: input.state ?? 'opened',
    authorId,
    createdAt: now,
    updatedAt: now,
    diffs: input.diffs ?? null,
    reviewerIds: [],
    assigneeIds: [],
    labels: [],
  });
  return { id, iid };
}

export function addSnippet(state: State, projectId: number, input: { title: string; authorId: number; id?: number }): { id: number } {
  state.project(projectId);
  state.user(input.authorId);
  const id = state.nextId('snippet', input.id, (candidate) => state.snippets.has(candidate));
  const now = state.now();
  state.snippets.set(id, { id, projectId, title: input.title, authorId: input.authorId, createdAt: now, updatedAt: now });
  return { id };
}

/** How tests name a noteable: issues and merge requests by iid, snippets by id, commits by sha. */
export type NoteableSpec =
  | { type: 'Issue'; iid: number }
  | { type: 'MergeRequest'; iid: number }
  | { type: 'Snippet'; id: number }
  | { type: 'Commit'; sha: string };

export function noteableKey(state: State, projectId: number, spec: NoteableSpec): NoteableKey {
  switch (spec.type) {
    case 'Issue': {
      const issue = [...state.issues.values()].find((item) => item.projectId === projectId && item.iid === spec.iid);
      if (!issue) throw new Error(`stand-in: no issue #${spec.iid} in project ${projectId}`);
      return { type: 'Issue', projectId, id: issue.id };
    }
    case 'MergeRequest': {
      const mr = [...state.mergeRequests.values()].find((item) => item.projectId === projectId && item.iid === spec.iid);
      if (!mr) throw new Error(`stand-in: no merge request !${spec.iid} in project ${projectId}`);
      return { type: 'MergeRequest', projectId, id: mr.id };
    }
    case 'Snippet': {
      const snippet = state.snippets.get(spec.id);
      if (!snippet || snippet.projectId !== projectId) throw new Error(`stand-in: no snippet ${spec.id} in project ${projectId}`);
      return { type: 'Snippet', projectId, id: snippet.id };
    }
    case 'Commit':
      return { type: 'Commit', projectId, sha: spec.sha };
  }
}

export interface NewNote {
  body: string;
  authorId: number;
  /** A single comment (individual discussion) instead of a new thread. Default false: a thread. */
  individual?: boolean;
  /** Reply in this discussion instead of starting one. */
  discussionId?: string;
  system?: boolean;
  internal?: boolean;
  position?: Record<string, unknown>;
  createdAt?: Date;
  id?: number;
  /** Send Note Hooks to subscribed webhooks, as a user's comment would. Default true. */
  hook?: boolean;
}

export function addNote(state: State, projectId: number, spec: NoteableSpec, input: NewNote): { id: number; discussionId: string } {
  state.user(input.authorId);
  const key = noteableKey(state, projectId, spec);
  if (input.discussionId) {
    const discussion = state.discussions.get(input.discussionId);
    if (!discussion) throw new Error(`stand-in: no discussion ${input.discussionId}`);
    const note = reply(state, discussion, {
      authorId: input.authorId,
      body: input.body,
      system: input.system,
      internal: input.internal,
      createdAt: input.createdAt,
      id: input.id,
      silent: input.hook === false,
    });
    return { id: note.id, discussionId: note.discussionId };
  }
  const note = startDiscussion(state, {
    noteable: key,
    authorId: input.authorId,
    body: input.body,
    type: input.position ? 'DiffNote' : input.individual || input.system ? null : 'DiscussionNote',
    system: input.system,
    internal: input.internal,
    position: input.position ?? null,
    createdAt: input.createdAt,
    id: input.id,
    silent: input.hook === false,
  });
  return { id: note.id, discussionId: note.discussionId };
}

export interface NewFinishedPipeline {
  ref: string;
  sha: string;
  status: 'success' | 'failed' | 'canceled' | 'skipped';
  /** Default: `push`, as a developer's push would start it. */
  source?: string;
  userId: number;
  jobs: Array<{ name: string; stage?: string; status: 'success' | 'failed' | 'canceled' | 'skipped'; trace?: string; failureReason?: string; allowFailure?: boolean }>;
}

/** A pipeline that already ran (a push's, say), with its jobs and their logs, for the jobs API's reads. */
export function addFinishedPipeline(state: State, projectId: number, input: NewFinishedPipeline): { id: number; jobIds: number[] } {
  const project = state.project(projectId);
  state.user(input.userId);
  const now = state.now();
  const id = state.nextId('pipeline', undefined, (candidate) => state.pipelines.has(candidate));
  state.pipelines.set(id, {
    id, iid: project.nextPipelineIid++, projectId, ref: input.ref, sha: input.sha, source: input.source ?? 'push', status: input.status,
    variables: [], userId: input.userId, triggerId: null, createdAt: now, updatedAt: now, startedAt: now, finishedAt: now,
  });
  const jobIds = input.jobs.map((job) => {
    const jobId = state.nextId('job', undefined, (candidate) => state.jobs.has(candidate));
    state.jobs.set(jobId, {
      id: jobId, projectId, pipelineId: id, name: job.name, stage: job.stage ?? 'test', status: job.status,
      failureReason: job.status === 'failed' ? (job.failureReason ?? 'script_failure') : null, allowFailure: job.allowFailure ?? false,
      trace: job.trace ?? '', createdAt: now,
    });
    return jobId;
  });
  return { id, jobIds };
}
