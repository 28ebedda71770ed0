import type { ApiReply } from './gitlab-api.js';

// What doctor gathers before it judges anything: GitLab's answers as they came (status, body, error),
// so the checks are pure functions of these and tests can feed them any answer.

export interface GitLabVersion {
  version: string;
  revision?: string;
}

export interface GitLabUser {
  id: number;
  username: string;
  bot?: boolean;
  state?: string;
}

/** GET /personal_access_tokens/self; project and group access tokens answer it too. */
export interface TokenInfo {
  name?: string;
  scopes: string[];
  /** A date, YYYY-MM-DD: the token stops working at 00:00 UTC that day. */
  expires_at: string | null;
}

export interface InstanceFacts {
  version: ApiReply<GitLabVersion>;
  user: ApiReply<GitLabUser>;
  /** Null when GET /user failed: nothing more to ask with that token. */
  token: ApiReply<TokenInfo> | null;
}

export interface ProjectInfo {
  id: number;
  path_with_namespace: string;
  default_branch: string | null;
}

export interface ProjectHook {
  url: string;
  note_events: boolean;
  confidential_note_events?: boolean;
  pipeline_events: boolean;
  enable_ssl_verification: boolean;
}

export interface LintResult {
  valid: boolean;
  errors: string[];
  merged_yaml: string | null;
}

export interface ProjectFacts {
  /** The project as the operator named it (an id or a path). */
  given: string;
  source: 'ALLOWED_PROJECTS' | '--project';
  project: ApiReply<ProjectInfo>;
  /** The rest is asked only once the project answered. */
  member: ApiReply<{ access_level: number }> | null;
  hooks: ApiReply<ProjectHook[]> | null;
  lint: ApiReply<LintResult> | null;
  variables: ApiReply<Array<{ key: string }>> | null;
  /** The trigger-token probe; null when GITLAB_TRIGGER_TOKEN is not set. */
  trigger: ApiReply<unknown> | null;
}

/** What the checks need to know of the configuration and the moment. */
export interface DoctorContext {
  gitlabUrl: string;
  /** The webhook URL this service answers at (from --service-url), or null when unknown. */
  webhookUrl: string | null;
  allowConfidential: boolean;
  now: Date;
}
