import type { ScopedSecret } from './ingest/webhook-secrets.js';
import { parseProjectScope, type ProjectScope } from './project-scope.js';

// The comma-separated settings: project scopes and scoped webhook secrets (config.ts parses the rest).

export function splitList(value: string | null): string[] {
  return (value ?? '').split(',').map((item) => item.trim()).filter(Boolean);
}

/** ALLOWED_PROJECTS: ids and group or project paths, comma-separated. */
export function parseScopes(value: string): { scopes: ProjectScope[]; invalid: string[] } {
  const scopes: ProjectScope[] = [];
  const invalid: string[] = [];
  for (const entry of splitList(value)) {
    const scope = parseProjectScope(entry);
    if (scope) scopes.push(scope);
    else invalid.push(entry);
  }
  return { scopes, invalid };
}

/** GITLAB_WEBHOOK_SECRETS: `scope=secret` pairs, comma-separated (a scope may repeat, to rotate). */
export function parseScopedSecrets(value: string | null): { secrets: ScopedSecret[]; problems: string[] } {
  const secrets: ScopedSecret[] = [];
  const problems: string[] = [];
  for (const [index, entry] of splitList(value).entries()) {
    const at = entry.indexOf('=');
    const scope = at > 0 ? parseProjectScope(entry.slice(0, at)) : null;
    const secret = at > 0 ? entry.slice(at + 1).trim() : '';
    // Entries are named by position: a malformed one may be a secret pasted without its scope.
    if (!scope || secret === '') problems.push(`GITLAB_WEBHOOK_SECRETS entry ${index + 1} must be <project id or path>=<secret>`);
    else if (secret.length < 16) problems.push(`GITLAB_WEBHOOK_SECRETS entry ${index + 1}: the secret must be at least 16 characters`);
    else secrets.push({ scope, secret });
  }
  return { secrets, problems };
}
