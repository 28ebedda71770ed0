import type { DoctorContext, GitLabUser, ProjectFacts } from '../facts.js';
import type { CheckResult } from '../result.js';
import { checkAccess, checkProjectFound } from './access.js';
import { checkCiTemplate } from './ci-template.js';
import { checkTrigger } from './trigger.js';
import { checkVariables } from './variables.js';
import { checkWebhook } from './webhook.js';

// Every check of one project, in the order an operator fixes them; each result names the project.

export function checkProject(facts: ProjectFacts, bot: GitLabUser, ctx: DoctorContext): CheckResult[] {
  const found = checkProjectFound(facts, bot);
  const results: CheckResult[] = [found];
  if (facts.project.status === 200) {
    results.push(checkAccess(facts, bot), checkWebhook(facts, ctx));
    const ci = checkCiTemplate(facts);
    results.push(ci.result);
    if (ci.template) results.push(checkVariables(facts, ci.template));
    const trigger = checkTrigger(facts);
    if (trigger) results.push(trigger);
  }
  return results.map((result) => ({ ...result, project: facts.project.body?.path_with_namespace ?? facts.given }));
}
