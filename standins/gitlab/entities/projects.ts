import type { Commit, Project, User } from '../types.js';
import { accessLevel, canUpdateBranch, protectionOf } from '../access.js';

// Project, branch and commit entities (lib/api/entities/project.rb, branch.rb, commit.rb), trimmed to
// the fields a client of this project could reasonably read.

export function projectWebUrl(project: Project, baseUrl: string): string {
  return `${baseUrl}/${project.path}`;
}

export function namespaceOf(project: Project) {
  const parts = project.path.split('/');
  const fullPath = parts.slice(0, -1).join('/');
  return { fullPath, name: parts[parts.length - 2] ?? fullPath, path: parts[parts.length - 2] ?? fullPath };
}

export function projectEntity(project: Project, user: User | null, baseUrl: string, empty: boolean) {
  const ns = namespaceOf(project);
  const level = accessLevel(project, user);
  return {
    id: project.id,
    description: '',
    name: project.name,
    name_with_namespace: `${ns.name} / ${project.name}`,
    path: project.path.split('/').pop(),
    path_with_namespace: project.path,
    created_at: project.createdAt.toISOString(),
    default_branch: empty ? null : project.defaultBranch,
    tag_list: [],
    topics: [],
    ssh_url_to_repo: `git@${new URL(baseUrl).hostname}:${project.path}.git`,
    http_url_to_repo: `${baseUrl}/${project.path}.git`,
    web_url: projectWebUrl(project, baseUrl),
    readme_url: null,
    avatar_url: null,
    forks_count: 0,
    star_count: 0,
    last_activity_at: project.createdAt.toISOString(),
    namespace: {
      id: 1,
      name: ns.name,
      path: ns.path,
      kind: 'group',
      full_path: ns.fullPath,
      parent_id: null,
      avatar_url: null,
      web_url: `${baseUrl}/groups/${ns.fullPath}`,
    },
    visibility: project.visibility,
    archived: false,
    empty_repo: empty,
    ...(project.forkedFromProjectId !== null ? { forked_from_project: { id: project.forkedFromProjectId } } : {}),
    permissions: {
      project_access: level > 0 ? { access_level: level, notification_level: 3 } : null,
      group_access: null,
    },
  };
}

export function commitEntity(commit: Commit, project: Project, baseUrl: string) {
  return {
    id: commit.sha,
    short_id: commit.sha.slice(0, 8),
    created_at: commit.createdAt.toISOString(),
    parent_ids: [],
    title: commit.title,
    message: commit.message,
    author_name: commit.authorName,
    author_email: commit.authorEmail,
    authored_date: commit.createdAt.toISOString(),
    committer_name: commit.authorName,
    committer_email: commit.authorEmail,
    committed_date: commit.createdAt.toISOString(),
    trailers: {},
    extended_trailers: {},
    web_url: `${projectWebUrl(project, baseUrl)}/-/commit/${commit.sha}`,
  };
}

export function branchEntity(project: Project, name: string, commit: Commit, user: User | null, baseUrl: string) {
  const rule = protectionOf(project, name);
  return {
    name,
    commit: commitEntity(commit, project, baseUrl),
    merged: false,
    protected: rule !== null,
    developers_can_push: rule ? rule.pushAccessLevel > 0 && rule.pushAccessLevel <= 30 : true,
    developers_can_merge: rule ? rule.mergeAccessLevel > 0 && rule.mergeAccessLevel <= 30 : true,
    can_push: user ? canUpdateBranch(project, user, name) : false,
    default: name === project.defaultBranch,
    web_url: `${projectWebUrl(project, baseUrl)}/-/tree/${name}`,
  };
}
