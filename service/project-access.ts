import { secretRefusal, type ScopedSecret, type SecretMatch } from './ingest/webhook-secrets.js';
import { inAnyScope, type ProjectIdentity, type ProjectScope } from './project-scope.js';

// Whether the service acts for a project at all (ALLOWED_PROJECTS), and whether the webhook secret a
// delivery came with may speak for it (GITLAB_WEBHOOK_SECRETS). Ingest asks with the payload's project (a
// cheap first filter); the worker asks again with the project GitLab's API describes, since a payload
// can name any path.

export interface ProjectAccessConfig {
  allowedProjects: readonly ProjectScope[];
  scopedWebhookSecrets: readonly ScopedSecret[];
}

/** Null when the project may be served; otherwise the reason, for the 200 `ignored` answer or the log. */
export function projectRefusal(project: ProjectIdentity, secret: SecretMatch, config: ProjectAccessConfig): string | null {
  if (config.allowedProjects.length > 0 && !inAnyScope(config.allowedProjects, project)) {
    return `project ${project.path ?? project.id} (id ${project.id}) is not in ALLOWED_PROJECTS`;
  }
  return secretRefusal(secret, project, config.scopedWebhookSecrets);
}

/** Work queued before deliveries recorded their secret came with the shared one. */
export const SHARED_SECRET: SecretMatch = { shared: true, scopes: [] };
