import type { DoctorContext, InstanceFacts, TokenInfo } from '../facts.js';
import { fail, pass, warn, type CheckResult } from '../result.js';

// The instance and the service's token: reachable, accepted, scoped, not about to expire, a bot's.

const DAY_MS = 86_400_000;
/** Warn this long before the token stops working: time to rotate it without an outage. */
export const EXPIRY_WARNING_DAYS = 14;

const NEW_TOKEN =
  'create a project access token (role Developer, scopes api and write_repository) or a service account token, ' +
  'then put it in GITLAB_TOKEN (on Cloud Run: the <service>-gitlab-token secret)';

export function checkReachable(facts: InstanceFacts, ctx: DoctorContext): CheckResult {
  const { version } = facts;
  const id = 'gitlab.reachable';
  if (version.status === 0) {
    return fail(
      id,
      `cannot reach GitLab at ${ctx.gitlabUrl}: ${version.error}`,
      `check GITLAB_URL (now ${ctx.gitlabUrl}) and that this machine can reach it`,
    );
  }
  if (version.status === 404 || (version.error?.startsWith('not a JSON') ?? false)) {
    return fail(
      id,
      `${ctx.gitlabUrl}/api/v4 does not answer like GitLab's API (${version.error})`,
      'set GITLAB_URL to the instance root, such as https://gitlab.com (without /api/v4)',
    );
  }
  if (version.status === 200 && version.body) return pass(id, `GitLab ${version.body.version} at ${ctx.gitlabUrl}`);
  // 401/403 here is the token's problem, reported by the next check; GitLab did answer.
  return pass(id, `GitLab answers at ${ctx.gitlabUrl} (version not shown: ${version.error})`);
}

export function checkToken(facts: InstanceFacts): CheckResult {
  const { user } = facts;
  const id = 'gitlab.token';
  if (user.status === 200 && user.body) return pass(id, `GITLAB_TOKEN works: it acts as @${user.body.username}`);
  if (user.status === 401) return fail(id, `GitLab refuses GITLAB_TOKEN (${user.error})`, NEW_TOKEN);
  if (user.status === 403) {
    return fail(
      id,
      `GitLab refuses the token's user (${user.error})`,
      'an administrator must unblock or reactivate the bot user, or use another token',
    );
  }
  return fail(id, `GET /user failed (${user.error})`, "run doctor again; if it persists, check GitLab's status");
}

export function checkScopes(token: TokenInfo): CheckResult {
  const id = 'gitlab.scopes';
  const scopes = token.scopes.join(', ') || 'none';
  if (!token.scopes.includes('api')) {
    return fail(
      id,
      `GITLAB_TOKEN has the scopes ${scopes}, not api: the service cannot comment or start pipelines`,
      NEW_TOKEN,
    );
  }
  if (!token.scopes.includes('write_repository')) {
    return warn(
      id,
      `GITLAB_TOKEN has the scopes ${scopes}, without write_repository`,
      "if the CI/CD variable GITLAB_TOKEN holds this same token, the job needs write_repository to push Claude's branches: " +
        'create a token with api and write_repository',
    );
  }
  return pass(id, `GITLAB_TOKEN has the scopes ${scopes}`);
}

export function checkExpiry(token: TokenInfo, ctx: DoctorContext): CheckResult {
  const id = 'gitlab.expiry';
  if (!token.expires_at) return pass(id, 'GITLAB_TOKEN never expires');
  const endsAt = Date.parse(`${token.expires_at}T00:00:00Z`);
  const days = Math.floor((endsAt - ctx.now.getTime()) / DAY_MS);
  const rotate = `rotate it before ${token.expires_at}: ${NEW_TOKEN}`;
  if (days < 0) return fail(id, `GITLAB_TOKEN expired on ${token.expires_at}`, NEW_TOKEN);
  if (days < EXPIRY_WARNING_DAYS)
    return warn(id, `GITLAB_TOKEN expires on ${token.expires_at}, in ${days} days`, rotate);
  return pass(id, `GITLAB_TOKEN expires on ${token.expires_at}, in ${days} days`);
}

export function checkBot(facts: InstanceFacts): CheckResult {
  const id = 'gitlab.bot';
  const user = facts.user.body;
  if (!user) return fail(id, "the token's user is unknown", NEW_TOKEN);
  if (user.bot === true) return pass(id, `@${user.username} is a bot user`);
  return fail(
    id,
    `@${user.username} is a person, not a bot: every answer and pipeline would be theirs, with their access`,
    `use a bot's token instead: ${NEW_TOKEN}`,
  );
}

/** Every instance check, and whether the token is good enough to go on to the projects. */
export function checkInstance(facts: InstanceFacts, ctx: DoctorContext): { results: CheckResult[]; usable: boolean } {
  const reachable = checkReachable(facts, ctx);
  if (reachable.status === 'fail') return { results: [reachable], usable: false };
  const token = checkToken(facts);
  const results = [reachable, token];
  if (token.status === 'fail') return { results, usable: false };
  const info = facts.token;
  if (info?.status === 200 && info.body) results.push(checkScopes(info.body), checkExpiry(info.body, ctx));
  else {
    results.push(
      warn(
        'gitlab.scopes',
        `cannot read the token's scopes and expiry (${info?.error ?? 'not asked'})`,
        'check them in GitLab: the token needs api (and write_repository for the job) and should not expire within two weeks',
      ),
    );
  }
  results.push(checkBot(facts));
  return { results, usable: true };
}
