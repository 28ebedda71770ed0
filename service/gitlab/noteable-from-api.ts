import type { NoteableRef } from '../domain.js';

/** `GET /projects/:id/{issues/:iid | merge_requests/:iid | snippets/:id | repository/commits/:sha}`. */
export function noteableFromApi(asked: NoteableRef, raw: Record<string, unknown>): NoteableRef {
  const text = (value: unknown) => (typeof value === 'string' ? value : null);
  const int = (value: unknown) => (typeof value === 'number' && Number.isInteger(value) ? value : null);
  const ids = (value: unknown) => (Array.isArray(value) ? value.map((user) => int((user as { id?: unknown } | null)?.id)).filter((id): id is number => id !== null) : []);
  const base = {
    ...asked,
    id: int(raw.id),
    url: text(raw.web_url),
    state: text(raw.state),
    confidential: raw.confidential === true,
  };
  // What the event triggers re-check (verify-event.ts): who reviews, who is assigned, which labels.
  const people = {
    assigneeIds: ids(raw.assignees),
    labels: Array.isArray(raw.labels) ? raw.labels.filter((label): label is string => typeof label === 'string') : [],
  };
  const none = { sourceBranch: null, targetBranch: null, sourceProjectId: null, targetProjectId: null, fork: false };
  switch (asked.type) {
    case 'Issue':
      return { ...base, ...none, ...people, title: text(raw.title), commitSha: null };
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
        ...people,
        reviewerIds: ids(raw.reviewers),
        draft: raw.draft === true,
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
