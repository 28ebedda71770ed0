import { GitLabApiError } from '../gitlab/errors.js';
import { GitError } from './git.js';

// One place that turns a raw failure into what a project member should check. The wording mirrors
// docs/troubleshooting.md, so the note and the docs point at the same fix.

export function gitlabHint(error: unknown): string | undefined {
  if (!(error instanceof GitLabApiError)) return undefined;
  if (error.status === 401) {
    return 'GitLab refused GITLAB_TOKEN (401): it may be expired or revoked. Create a new project access token (role Developer, scopes `api` and `write_repository`) and update the masked CI/CD variable `GITLAB_TOKEN`.';
  }
  if (error.status === 403) {
    return 'GitLab refused the request (403): check that `GITLAB_TOKEN` has the `api` scope and at least the Developer role in this project.';
  }
  if (error.status === 404) return "GitLab answered 404: the token's user cannot see this project or thread, or it was deleted.";
  if (error.status === 429) return 'GitLab rate-limited the bot user (429). Try again in a minute.';
  if (error.transient) return 'GitLab could not be reached or had an error; try again later.';
  return undefined;
}

export function pushHint(error: unknown): string {
  const stderr = error instanceof GitError ? error.stderr : String(error);
  if (/non-fast-forward|fetch first|\[rejected\]|updates were rejected|stale info/i.test(stderr)) {
    return 'The branch moved while Claude was working, and the runner never force-pushes. Ask again to start from the new commits.';
  }
  if (/protected branch|pre-receive hook declined/i.test(stderr)) {
    return "The branch is protected against the bot's pushes. Allow Developers to push to it, or ask from an issue to get a new branch and merge request.";
  }
  if (/authentication failed|could not read (username|password)|403|401/i.test(stderr)) {
    return 'Git refused the credentials: check that `GITLAB_TOKEN` has the `write_repository` scope and at least the Developer role.';
  }
  return 'Check the job log for the git error.';
}

export function claudeHint(text: string): string | undefined {
  // Word boundaries: the CLI's messages name the gateway's random port (127.0.0.1:40375), which may hold "401" or "403".
  if (/invalid (x-)?api[ -]?key|api key|\/login|authenticat|credentials?\b|security token|unauthori[sz]ed|(?<![:\d])\b401\b/i.test(text)) {
    return 'Claude Code could not authenticate: check `ANTHROPIC_API_KEY` (Claude API), the Workload Identity Federation variables (Vertex AI) or the role to assume (Bedrock). See Troubleshooting → Authentication errors.';
  }
  if (/permission|denied|(?<![:\d])\b403\b/i.test(text)) {
    return 'The model provider refused access: check that the service account (Vertex AI) or role (Bedrock) may call Claude models in the configured region.';
  }
  if (/not found|ENOENT/i.test(text)) return 'Is Claude Code installed in the job image, or `CLAUDE_CODE_PATH` set to it?';
  return undefined;
}
