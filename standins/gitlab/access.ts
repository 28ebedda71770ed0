import { notFound } from './http/errors.js';
import type { State } from './state.js';
import { AccessLevel, type Issue, type Note, type Project, type ProtectedBranch, type User } from './types.js';

// Who may see and do what, after GitLab's permissions table
// (https://docs.gitlab.com/user/permissions/). Reduced to what the stand-in serves.

/** The user's effective level in the project; administrators count as owners, non-members as 0. */
export function accessLevel(project: Project, user: User | null): number {
  if (!user) return AccessLevel.none;
  if (user.admin) return AccessLevel.owner;
  return project.members.get(user.id)?.accessLevel ?? AccessLevel.none;
}

export function canReadProject(project: Project, user: User | null): boolean {
  if (project.visibility === 'public') return true;
  if (!user) return false;
  if (project.visibility === 'internal') return true;
  return accessLevel(project, user) >= AccessLevel.guest;
}

/**
 * `find_project!`: a numeric id or the URL-decoded `group/project` path. A project the user cannot see
 * answers exactly like one that does not exist, so private projects do not leak.
 */
export function findProject(state: State, idParam: string, user: User | null): Project {
  const project = /^\d+$/.test(idParam) ? state.projects.get(Number(idParam)) : state.projectByPath(idParam);
  if (!project || !canReadProject(project, user)) throw notFound('Project');
  return project;
}

/** Confidential issues: Reporter and up, the author and the assignees. */
export function canReadIssue(project: Project, issue: Issue, user: User | null): boolean {
  if (!canReadProject(project, user)) return false;
  if (!issue.confidential) return true;
  if (!user) return false;
  return accessLevel(project, user) >= AccessLevel.reporter || issue.authorId === user.id || issue.assigneeIds.includes(user.id);
}

/** In private projects Guests do not see merge requests or code. */
export function canReadCode(project: Project, user: User | null): boolean {
  if (!canReadProject(project, user)) return false;
  return project.visibility !== 'private' || accessLevel(project, user) >= AccessLevel.reporter;
}

/** Anyone who can see a public or internal project may comment; private projects need Guest. */
export function canCreateNote(project: Project, user: User | null): boolean {
  if (!user) return false;
  if (project.visibility !== 'private') return canReadProject(project, user);
  return accessLevel(project, user) >= AccessLevel.guest;
}

/** Internal notes (formerly confidential) are for Reporter and up. */
export function canReadNote(project: Project, note: Note, user: User | null): boolean {
  if (!note.internal) return true;
  return accessLevel(project, user) >= AccessLevel.reporter;
}

/**
 * The author may edit a comment, and so may Maintainers and Owners (`admin_note` on the project:
 * https://gitlab.com/gitlab-org/gitlab/-/issues/502420 describes the same rule for epics). System notes
 * are never editable.
 */
export function canEditNote(project: Project, note: Note, user: User | null): boolean {
  if (!user || note.system) return false;
  return note.authorId === user.id || accessLevel(project, user) >= AccessLevel.maintainer;
}

/** `:create_pipeline` and `:create_merge_request_from` need Developer. */
export function isDeveloper(project: Project, user: User | null): boolean {
  return accessLevel(project, user) >= AccessLevel.developer;
}

export function protectionOf(project: Project, branch: string): ProtectedBranch | null {
  for (const rule of project.protectedBranches) {
    if (rule.name === branch) return rule;
    if (rule.name.includes('*')) {
      const pattern = new RegExp(`^${rule.name.split('*').map(escapeRegExp).join('.*')}$`);
      if (pattern.test(branch)) return rule;
    }
  }
  return null;
}

/**
 * `Gitlab::UserAccess#can_update_branch?`: push or merge access. On a protected branch that takes the
 * rule's level (the default branch is Maintainer-only by default), which is what GitLab checks before it
 * runs a pipeline on that branch (Gitlab::Ci::Pipeline::Chain::Validate::Abilities).
 */
export function canUpdateBranch(project: Project, user: User | null, branch: string): boolean {
  const level = accessLevel(project, user);
  const rule = protectionOf(project, branch);
  if (!rule) return level >= AccessLevel.developer;
  // Level 0 in a rule means "No one".
  const allowed = [rule.pushAccessLevel, rule.mergeAccessLevel].filter((required) => required > 0);
  return allowed.some((required) => level >= required);
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
