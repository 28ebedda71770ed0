import type { ProjectFacts } from '../facts.js';
import { fail, pass, warn, type CheckResult } from '../result.js';

// GITLAB_TRIGGER_TOKEN, probed without starting anything: the trigger API is asked for a pipeline on a
// ref that cannot exist (`..` is not allowed in git ref names). GitLab checks the token first (404 when
// it is not one of the project's), then the owner's permission, then the ref (400 "Reference not
// found"), and saves no pipeline on that error. Listing tokens (GET /projects/:id/triggers) was not
// chosen: it needs Maintainer and shows other users' tokens cut to four characters.

export const PROBE_REF = 'claude-gitlab-flow-doctor..no-such-ref';

const NEW_TRIGGER = (name: string) =>
  `in ${name}, Settings > CI/CD > Pipeline trigger tokens: add one (signed in as the bot) and put it in GITLAB_TRIGGER_TOKEN, ` +
  'or unset GITLAB_TRIGGER_TOKEN to start pipelines as the bot';

function errorsOf(body: unknown): string {
  const message = (body as { message?: unknown } | null)?.message;
  const base = (message as { base?: unknown } | undefined)?.base;
  if (Array.isArray(base)) return base.join('; ');
  return typeof message === 'string' ? message : JSON.stringify(body);
}

export function checkTrigger(facts: ProjectFacts): CheckResult | null {
  const id = 'project.trigger-token';
  const probe = facts.trigger;
  if (!probe) return null;
  const name = facts.project.body?.path_with_namespace ?? facts.given;
  if (probe.status === 404)
    return fail(id, `GITLAB_TRIGGER_TOKEN is not a trigger token of ${name} (GitLab answers 404)`, NEW_TRIGGER(name));
  const errors = errorsOf(probe.body);
  if (probe.status === 400 && errors.includes('Reference not found'))
    return pass(id, `GITLAB_TRIGGER_TOKEN is a trigger token of ${name}`);
  if (probe.status === 400 && /permission/i.test(errors)) {
    return fail(
      id,
      `GITLAB_TRIGGER_TOKEN is ${name}'s, but its owner may not run pipelines (${errors})`,
      `give the token's owner the Developer role (Maintainer for a protected default branch), or: ${NEW_TRIGGER(name)}`,
    );
  }
  if (probe.status === 201)
    return warn(
      id,
      `the probe of GITLAB_TRIGGER_TOKEN started a pipeline on ${PROBE_REF} in ${name}`,
      'cancel that pipeline',
    );
  return warn(
    id,
    `cannot tell whether GITLAB_TRIGGER_TOKEN works in ${name} (${probe.error ?? errors})`,
    'run doctor again',
  );
}
