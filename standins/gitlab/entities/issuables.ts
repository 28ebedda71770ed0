import type { State } from '../state.js';
import type { Issue, MergeRequest, Project } from '../types.js';
import { projectWebUrl } from './projects.js';
import { userBasic } from './users.js';

// Issue and merge request entities (lib/api/entities/issue.rb, merge_request_basic.rb, merge_request.rb).

function userNotesCount(state: State, type: 'Issue' | 'MergeRequest', id: number): number {
  let count = 0;
  for (const note of state.notes.values()) {
    if (!note.system && note.noteable.type === type && 'id' in note.noteable && note.noteable.id === id) count += 1;
  }
  return count;
}

export function issueEntity(state: State, project: Project, issue: Issue) {
  return {
    id: issue.id,
    iid: issue.iid,
    project_id: project.id,
    title: issue.title,
    description: issue.description,
    state: issue.state,
    created_at: issue.createdAt.toISOString(),
    updated_at: issue.updatedAt.toISOString(),
    closed_at: null,
    closed_by: null,
    labels: issue.labels,
    milestone: null,
    assignees: issue.assigneeIds.map((id) => userBasic(state.user(id), state.baseUrl)),
    author: userBasic(state.user(issue.authorId), state.baseUrl),
    type: 'ISSUE',
    issue_type: 'issue',
    assignee: issue.assigneeIds[0] !== undefined ? userBasic(state.user(issue.assigneeIds[0]), state.baseUrl) : null,
    user_notes_count: userNotesCount(state, 'Issue', issue.id),
    upvotes: 0,
    downvotes: 0,
    due_date: null,
    confidential: issue.confidential,
    discussion_locked: null,
    web_url: `${projectWebUrl(project, state.baseUrl)}/-/issues/${issue.iid}`,
    references: { short: `#${issue.iid}`, relative: `#${issue.iid}`, full: `${project.path}#${issue.iid}` },
  };
}

/** GitLab's draft prefixes (Gitlab::Regex.merge_request_draft): `Draft:`, `[Draft]`, `(Draft)`. */
export function isDraftTitle(title: string): boolean {
  return /^\s*(\[draft\]|\(draft\)|draft:)/i.test(title);
}

export function mergeRequestEntity(state: State, project: Project, mr: MergeRequest, extra: { sha: string | null; baseSha?: string | null; single: boolean }) {
  const draft = isDraftTitle(mr.title);
  const basic = {
    id: mr.id,
    iid: mr.iid,
    project_id: project.id,
    title: mr.title,
    description: mr.description,
    state: mr.state,
    created_at: mr.createdAt.toISOString(),
    updated_at: mr.updatedAt.toISOString(),
    merged_by: null,
    merge_user: null,
    merged_at: null,
    closed_by: null,
    closed_at: null,
    target_branch: mr.targetBranch,
    source_branch: mr.sourceBranch,
    user_notes_count: userNotesCount(state, 'MergeRequest', mr.id),
    upvotes: 0,
    downvotes: 0,
    author: userBasic(state.user(mr.authorId), state.baseUrl),
    assignees: mr.assigneeIds.map((id) => userBasic(state.user(id), state.baseUrl)),
    assignee: mr.assigneeIds[0] !== undefined ? userBasic(state.user(mr.assigneeIds[0]), state.baseUrl) : null,
    reviewers: mr.reviewerIds.map((id) => userBasic(state.user(id), state.baseUrl)),
    source_project_id: mr.sourceProjectId,
    target_project_id: project.id,
    labels: mr.labels,
    draft,
    work_in_progress: draft,
    milestone: null,
    merge_when_pipeline_succeeds: false,
    merge_status: 'can_be_merged',
    detailed_merge_status: draft ? 'draft_status' : 'mergeable',
    sha: extra.sha,
    merge_commit_sha: null,
    squash_commit_sha: null,
    discussion_locked: null,
    should_remove_source_branch: null,
    force_remove_source_branch: false,
    reference: `!${mr.iid}`,
    references: { short: `!${mr.iid}`, relative: `!${mr.iid}`, full: `${project.path}!${mr.iid}` },
    web_url: `${projectWebUrl(project, state.baseUrl)}/-/merge_requests/${mr.iid}`,
    squash: false,
    has_conflicts: false,
    blocking_discussions_resolved: true,
  };
  if (!extra.single) return basic;
  return {
    ...basic,
    diff_refs: { base_sha: extra.baseSha ?? null, head_sha: extra.sha, start_sha: extra.baseSha ?? null },
    first_contribution: false,
    changes_count: null,
    user: { can_merge: false },
  };
}
