import type { NoteableType } from '../domain.js';

// How GitLab's REST API v4 names a noteable below its project: issues and merge requests by iid,
// snippets by id, commits by sha. The one place both programs take it from.

export interface NoteableKeyFields {
  type: NoteableType;
  /** Issues and merge requests: the iid; snippets: the snippet id. */
  iid: number | null;
  /** The global id; a snippet's id when `iid` is not set. */
  id?: number | null;
  commitSha: string | null;
}

const COLLECTION: Record<NoteableType, string> = {
  Issue: 'issues',
  MergeRequest: 'merge_requests',
  Snippet: 'snippets',
  Commit: 'repository/commits',
};

/**
 * The noteable's id in its API paths (gitbeaker's methods take it as is and encode it). Ingest and the
 * runner's context check refuse a noteable without one; should one slip through, the path names nothing
 * (a 404), never another endpoint.
 */
export function noteableKey(noteable: NoteableKeyFields): number | string {
  switch (noteable.type) {
    case 'Issue':
    case 'MergeRequest':
      return noteable.iid ?? Number.NaN;
    case 'Snippet':
      return noteable.iid ?? noteable.id ?? Number.NaN;
    case 'Commit':
      return noteable.commitSha ?? 'null';
  }
}

/** For gitbeaker methods typed with a numeric iid (every noteable but a commit). */
export function noteableIid(noteable: NoteableKeyFields): number {
  const key = noteableKey(noteable);
  return typeof key === 'number' ? key : Number.NaN;
}

/** `projects/:id/<collection>/:key`, encoded, for the calls gitbeaker has no method for. */
export function noteableApiPath(projectId: number | string, noteable: NoteableKeyFields): string {
  const project = encodeURIComponent(String(projectId));
  return `projects/${project}/${COLLECTION[noteable.type]}/${encodeURIComponent(String(noteableKey(noteable)))}`;
}
