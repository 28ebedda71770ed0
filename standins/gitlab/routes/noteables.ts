import { canReadCode, canReadIssue, canReadProject, findProject } from '../access.js';
import { notFound, paramErrors, recordNotFound } from '../http/errors.js';
import type { Ctx } from '../http/router.js';
import { findCommit } from '../repo/refs.js';
import type { NoteableKey, NoteableType, Project } from '../types.js';

// Finding the thing a note hangs on, from a route: issues and merge requests by iid, snippets by id,
// commits by sha (lib/api/helpers/notes_helpers.rb#find_noteable). An iid that does not exist, or that
// the user may not see, is NotesFinder's `find_by!`: {"message":"404 Not found"}. A commit that does not
// exist is `not_found!(Commit)`: {"message":"404 Commit Not Found"}.

export interface NoteablePath {
  type: NoteableType;
  /** The path segment(s) after /projects/:id/. */
  segment: string;
}

export const NOTEABLE_PATHS: readonly NoteablePath[] = [
  { type: 'Issue', segment: 'issues' },
  { type: 'MergeRequest', segment: 'merge_requests' },
  { type: 'Snippet', segment: 'snippets' },
  { type: 'Commit', segment: 'repository/commits' },
];

export interface FoundNoteable {
  project: Project;
  key: NoteableKey;
}

export async function findNoteable(ctx: Ctx, type: NoteableType, rawId: string, paramName: string): Promise<FoundNoteable> {
  const { state } = ctx.services;
  if (type !== 'Commit' && !/^\d+$/.test(rawId)) throw paramErrors([`${paramName} is invalid`]);
  const project = findProject(state, ctx.pathParams.id as string, ctx.user);
  const number = Number(rawId);
  switch (type) {
    case 'Issue': {
      const issue = [...state.issues.values()].find((item) => item.projectId === project.id && item.iid === number);
      if (!issue || !canReadIssue(project, issue, ctx.user)) throw recordNotFound();
      return { project, key: { type, projectId: project.id, id: issue.id } };
    }
    case 'MergeRequest': {
      const mr = [...state.mergeRequests.values()].find((item) => item.projectId === project.id && item.iid === number);
      if (!mr || !canReadCode(project, ctx.user)) throw recordNotFound();
      return { project, key: { type, projectId: project.id, id: mr.id } };
    }
    case 'Snippet': {
      const snippet = state.snippets.get(number);
      if (!snippet || snippet.projectId !== project.id || !canReadProject(project, ctx.user)) throw recordNotFound();
      return { project, key: { type, projectId: project.id, id: snippet.id } };
    }
    case 'Commit': {
      const commit = canReadCode(project, ctx.user) ? await findCommit(project, rawId) : null;
      if (!commit) throw notFound('Commit');
      return { project, key: { type, projectId: project.id, sha: commit.sha } };
    }
  }
}
