import {
  CommitDiscussions,
  Commits,
  IssueDiscussions,
  IssueNoteAwardEmojis,
  IssueNotes,
  Issues,
  MergeRequestDiscussions,
  MergeRequestDraftNotes,
  MergeRequestNoteAwardEmojis,
  MergeRequestNotes,
  MergeRequests,
  Jobs,
  Pipelines,
  ProjectMembers,
  Projects,
  ProjectSnippetDiscussions,
  ProjectSnippetNotes,
  ProjectSnippets,
  RepositoryFiles,
  Users,
  type ResourceDiscussions,
  type ResourceNoteAwardEmojis,
  type ResourceNotes,
} from '@gitbeaker/rest';
import type { NoteableType } from '../domain.js';
import { oneAttemptRequester, type Requester } from './requester.js';

// gitbeaker's typed resources, all over the one requester (requester.ts). This module is what loads
// @gitbeaker/rest: the service imports it on its first GitLab call, so ingest's start does not pay for it.

export interface GitLabConnection {
  /** Base URL of the GitLab instance, e.g. https://gitlab.com (the resources add /api/v4). */
  baseUrl: string;
  /** Sent as PRIVATE-TOKEN; never logged, never in a URL. */
  token: string;
  /** Deadline per request. */
  timeoutMs?: number;
  fetch?: typeof fetch;
}

export type GitLabResources = ReturnType<typeof gitlabResources>;

export function gitlabResources(connection: GitLabConnection) {
  const host = connection.baseUrl.replace(/\/+$/, '');
  const requesterFn = oneAttemptRequester({ timeoutMs: connection.timeoutMs ?? 10_000, fetch: connection.fetch });
  // queryTimeout null: the requester sets the deadline, per request rather than per paginated call.
  const options = { host, token: connection.token, requesterFn, queryTimeout: null };
  const apiUrl = `${host}/api/v4`;
  return {
    users: new Users(options),
    members: new ProjectMembers(options),
    projects: new Projects(options),
    issues: new Issues(options),
    mergeRequests: new MergeRequests(options),
    /** A review's comments, published at once (one notification). */
    draftNotes: new MergeRequestDraftNotes(options),
    snippets: new ProjectSnippets(options),
    commits: new Commits(options),
    pipelines: new Pipelines(options),
    jobs: new Jobs(options),
    files: new RepositoryFiles(options),
    discussions: <Record<NoteableType, ResourceDiscussions>>{
      Issue: new IssueDiscussions(options),
      MergeRequest: new MergeRequestDiscussions(options),
      Snippet: new ProjectSnippetDiscussions(options),
      Commit: new CommitDiscussions(options),
    },
    /** Commits have no notes API of their own: their notes live in discussions. */
    notes: <Record<Exclude<NoteableType, 'Commit'>, ResourceNotes>>{
      Issue: new IssueNotes(options),
      MergeRequest: new MergeRequestNotes(options),
      Snippet: new ProjectSnippetNotes(options),
    },
    /** Snippet notes have none in gitbeaker: see `raw`. */
    noteAwards: <Record<'Issue' | 'MergeRequest', ResourceNoteAwardEmojis>>{
      Issue: new IssueNoteAwardEmojis(options),
      MergeRequest: new MergeRequestNoteAwardEmojis(options),
    },
    /** The same requester, for endpoints gitbeaker has no method for (or sends in a shape GitLab must not get). */
    raw: requesterFn({ url: apiUrl, headers: {}, authHeaders: { 'private-token': async () => connection.token } }),
    /** Without PRIVATE-TOKEN: for the trigger API, which authenticates by the token in the body. */
    anonymous: requesterFn({ url: apiUrl, headers: {}, authHeaders: {} }) as Requester,
  };
}
