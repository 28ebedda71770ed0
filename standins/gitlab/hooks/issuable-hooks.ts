import { projectWebUrl } from '../entities/projects.js';
import { isDraftTitle } from '../entities/issuables.js';
import type { State } from '../state.js';
import type { Issue, MergeRequest, User } from '../types.js';
import type { HookSender } from './deliver.js';
import { hookProject } from './note-payload.js';
import { hookTime } from './pipeline-payload.js';

// Merge Request Hook and Issue Hook for an update, shaped like GitLab's documented examples
// (test/fixtures/merge-request.json, issue.json): `object_attributes` with `action: "update"`, and `changes`
// with previous/current pairs of what changed (reviewers and assignees as user objects, labels as label
// objects, draft as booleans, updated_at). Hooks subscribe to merge request events and issues events.

export interface IssuableChange {
  reviewerIds?: number[];
  assigneeIds?: number[];
  labels?: string[];
  title?: string;
}

const hookUser = (user: User) => ({ id: user.id, name: user.name, username: user.username, avatar_url: null, email: '[REDACTED]' });
const hookLabel = (projectId: number, title: string, index: number) => ({ id: 1000 + index, title, color: '#428bca', project_id: projectId, created_at: '2026-01-01T00:00:00Z', updated_at: '2026-01-01T00:00:00Z', template: false, description: null, type: 'ProjectLabel', group_id: null });

/** Applies `change` to the MR (as `byUserId`) and sends its hook `copies` times (GitLab may send one twice). */
export function updateMergeRequest(state: State, sender: HookSender, mr: MergeRequest, change: IssuableChange, byUserId: number, copies = 1): void {
  const before = { ...mr, reviewerIds: [...mr.reviewerIds], assigneeIds: [...mr.assigneeIds], labels: [...mr.labels] };
  Object.assign(mr, definedOf(change));
  mr.updatedAt = state.now();
  const project = state.project(mr.projectId);
  const changes = changesOf(state, mr.projectId, before, mr, before.updatedAt, mr.updatedAt);
  const draftBefore = isDraftTitle(before.title);
  const draftNow = isDraftTitle(mr.title);
  if (draftBefore !== draftNow) changes.draft = { previous: draftBefore, current: draftNow };
  const web = projectWebUrl(project, state.baseUrl);
  const payload = {
    object_kind: 'merge_request',
    event_type: 'merge_request',
    user: hookUser(state.user(byUserId)),
    project: hookProject(state, project),
    object_attributes: {
      id: mr.id,
      iid: mr.iid,
      target_branch: mr.targetBranch,
      source_branch: mr.sourceBranch,
      source_project_id: mr.sourceProjectId,
      target_project_id: mr.projectId,
      author_id: mr.authorId,
      assignee_ids: mr.assigneeIds,
      reviewer_ids: mr.reviewerIds,
      title: mr.title,
      description: mr.description,
      state: mr.state,
      draft: draftNow,
      work_in_progress: draftNow,
      created_at: hookTime(mr.createdAt),
      updated_at: hookTime(mr.updatedAt),
      url: `${web}/-/merge_requests/${mr.iid}`,
      labels: mr.labels.map((title, index) => hookLabel(mr.projectId, title, index)),
      action: 'update',
    },
    labels: mr.labels.map((title, index) => hookLabel(mr.projectId, title, index)),
    changes,
    assignees: mr.assigneeIds.map((id) => hookUser(state.user(id))),
    reviewers: mr.reviewerIds.map((id) => hookUser(state.user(id))),
  };
  const hooks = state.webhooks.filter((hook) => hook.projectId === mr.projectId && hook.mergeRequestsEvents);
  for (let copy = 0; copy < copies; copy += 1) void sender.send(hooks, 'Merge Request Hook', payload, `issuable:${mr.id}`);
}

/** Applies `change` to the issue and sends its Issue Hook (Confidential Issue Hook for a confidential issue). */
export function updateIssue(state: State, sender: HookSender, issue: Issue, change: IssuableChange, byUserId: number, copies = 1): void {
  const before = { ...issue, assigneeIds: [...issue.assigneeIds], labels: [...issue.labels] };
  Object.assign(issue, definedOf({ assigneeIds: change.assigneeIds, labels: change.labels, title: change.title }));
  issue.updatedAt = state.now();
  const project = state.project(issue.projectId);
  const web = projectWebUrl(project, state.baseUrl);
  const payload = {
    object_kind: 'issue',
    event_type: issue.confidential ? 'confidential_issue' : 'issue',
    user: hookUser(state.user(byUserId)),
    project: hookProject(state, project),
    object_attributes: {
      id: issue.id,
      iid: issue.iid,
      title: issue.title,
      description: issue.description,
      assignee_ids: issue.assigneeIds,
      author_id: issue.authorId,
      project_id: issue.projectId,
      confidential: issue.confidential,
      state: issue.state,
      created_at: hookTime(issue.createdAt),
      updated_at: hookTime(issue.updatedAt),
      url: `${web}/-/issues/${issue.iid}`,
      labels: issue.labels.map((title, index) => hookLabel(issue.projectId, title, index)),
      action: 'update',
    },
    labels: issue.labels.map((title, index) => hookLabel(issue.projectId, title, index)),
    changes: changesOf(state, issue.projectId, { reviewerIds: [], ...before }, { reviewerIds: [], ...issue }, before.updatedAt, issue.updatedAt),
    assignees: issue.assigneeIds.map((id) => hookUser(state.user(id))),
  };
  const hooks = state.webhooks.filter((hook) => hook.projectId === issue.projectId && hook.issuesEvents);
  const event = issue.confidential ? 'Confidential Issue Hook' : 'Issue Hook';
  for (let copy = 0; copy < copies; copy += 1) void sender.send(hooks, event, payload, `issuable:issue:${issue.id}`);
}

type People = { reviewerIds: number[]; assigneeIds: number[]; labels: string[] };

function changesOf(state: State, projectId: number, before: People, after: People, updatedBefore: Date, updatedAfter: Date): Record<string, unknown> {
  const changes: Record<string, unknown> = { updated_at: { previous: hookTime(updatedBefore), current: hookTime(updatedAfter) } };
  const same = (a: unknown[], b: unknown[]) => a.length === b.length && a.every((item, index) => item === b[index]);
  const users = (ids: number[]) => ids.map((id) => hookUser(state.user(id)));
  if (!same(before.reviewerIds, after.reviewerIds)) changes.reviewers = { previous: users(before.reviewerIds), current: users(after.reviewerIds) };
  if (!same(before.assigneeIds, after.assigneeIds)) changes.assignees = { previous: users(before.assigneeIds), current: users(after.assigneeIds) };
  if (!same(before.labels, after.labels)) {
    const labels = (titles: string[]) => titles.map((title, index) => hookLabel(projectId, title, index));
    changes.labels = { previous: labels(before.labels), current: labels(after.labels) };
  }
  return changes;
}

function definedOf<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, item]) => item !== undefined)) as Partial<T>;
}
