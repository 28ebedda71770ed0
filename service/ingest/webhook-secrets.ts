import { createHash, timingSafeEqual } from 'node:crypto';
import { inAnyScope, type ProjectIdentity, type ProjectScope } from '../project-scope.js';

// Which configured secret an `X-Gitlab-Token` is, compared in constant time against every one (hashing
// first gives equal lengths, so neither the length nor the first difference leaks through timing, and
// every secret is compared, so which one matched does not leak either). A secret scoped to projects
// (GITLAB_WEBHOOK_SECRETS) opens only those; the shared GITLAB_WEBHOOK_SECRET opens every project that no
// scoped secret covers, so one leaked secret does not open a project that has its own.

export interface ScopedSecret {
  scope: ProjectScope;
  secret: string;
}

/** What the presented token was: the shared secret, and/or the secret of these scopes. */
export interface SecretMatch {
  shared: boolean;
  /** The scopes' configured text (e.g. `42`, `acme/platform`), so the match can travel on the queue. */
  scopes: string[];
}

export function createSecretMatcher(shared: readonly string[], scoped: readonly ScopedSecret[]): (presented: string | undefined) => SecretMatch | null {
  const sharedDigests = shared.map(digest);
  const scopedDigests = scoped.map((entry) => ({ scope: entry.scope.text, digest: digest(entry.secret) }));
  return (presented) => {
    if (typeof presented !== 'string' || presented.length === 0) return null;
    const candidate = digest(presented);
    let isShared = false;
    for (const expected of sharedDigests) isShared = timingSafeEqual(candidate, expected) || isShared;
    const scopes: string[] = [];
    for (const entry of scopedDigests) if (timingSafeEqual(candidate, entry.digest)) scopes.push(entry.scope);
    return isShared || scopes.length > 0 ? { shared: isShared, scopes } : null;
  };
}

/** Whether a delivery authenticated by `match` may speak for `project`; null when it may, else why not. */
export function secretRefusal(match: SecretMatch, project: ProjectIdentity, scoped: readonly ScopedSecret[]): string | null {
  const matchedScopes = scoped.filter((entry) => match.scopes.includes(entry.scope.text)).map((entry) => entry.scope);
  if (inAnyScope(matchedScopes, project)) return null;
  const covering = scoped.filter((entry) => inAnyScope([entry.scope], project));
  if (match.shared && covering.length === 0) return null;
  return `project ${project.path ?? project.id} has its own webhook secret (GITLAB_WEBHOOK_SECRETS), and this is not it`;
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}
