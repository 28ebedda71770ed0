import type { NoteableRef } from '../domain.js';

/** `GET /projects/:id/{issues/:iid | merge_requests/:iid | snippets/:id | repository/commits/:sha}`. */
export function noteableFromApi(asked: NoteableRef, raw: Record<string, unknown>): NoteableRef {
  const text = (value: unknown) => (typeof value === 'string' ? value : null);
  const int = (value: unknown) => (typeof value === 'number' && Number.isInteger(value) ? value : null);
  const base = {
    ...asked,
    id: int(raw.id),
    url: text(raw.web_url),
    state: text(raw.state),
    confidential: raw.confidential === true,
  };
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
      return {
        ...base,
        ...none,
        id: null,
        title: text(raw.title),
        state: null,
        commitSha: text(raw.id) ?? asked.commitSha,
      };
  }
}
