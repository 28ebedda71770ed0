// Which projects a setting covers: `42` is the project with id 42; `acme/platform` is that project or
// every project under that group (and its subgroups). Used by ALLOWED_PROJECTS and GITLAB_WEBHOOK_SECRETS.
// Ids are the stronger choice: a path can be freed and registered again by someone else.

export type ProjectScope = { kind: 'id'; id: number; text: string } | { kind: 'path'; path: string; text: string };

export interface ProjectIdentity {
  id: number;
  /** path_with_namespace; null when unknown (then only id scopes can match). */
  path: string | null;
}

/** One entry, or null when it is neither an id nor a path. */
export function parseProjectScope(entry: string): ProjectScope | null {
  const text = entry.trim().replace(/^\/+|\/+$/g, '');
  if (/^\d+$/.test(text)) return { kind: 'id', id: Number(text), text };
  if (/^[A-Za-z0-9_.][A-Za-z0-9_.-]*(\/[A-Za-z0-9_.][A-Za-z0-9_.-]*)*$/.test(text)) return { kind: 'path', path: text.toLowerCase(), text };
  return null;
}

export function inScope(scope: ProjectScope, project: ProjectIdentity): boolean {
  if (scope.kind === 'id') return scope.id === project.id;
  // GitLab routes paths case-insensitively.
  const path = project.path?.toLowerCase();
  return path !== undefined && (path === scope.path || path.startsWith(`${scope.path}/`));
}

export function inAnyScope(scopes: readonly ProjectScope[], project: ProjectIdentity): boolean {
  return scopes.some((scope) => inScope(scope, project));
}
