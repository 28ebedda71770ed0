import type { ProjectFacts } from '../facts.js';
import { fail, pass, warn, type CheckResult } from '../result.js';
import { roleName } from './access.js';
import type { IncludedTemplate, Provider } from './ci-template.js';

// The CI/CD variables the included template reads (see each template's header), by name only: doctor
// never reads or shows a value.

const COMMON = ['GITLAB_TOKEN', 'CLAUDE_FLOW_IMAGE'];

export const REQUIRED_VARIABLES: Record<Provider, string[]> = {
  'claude-api': ['ANTHROPIC_API_KEY', ...COMMON],
  vertex: ['GCP_WORKLOAD_IDENTITY_PROVIDER', 'ANTHROPIC_VERTEX_PROJECT_ID', 'CLOUD_ML_REGION', ...COMMON],
  bedrock: ['AWS_ROLE_TO_ASSUME', 'AWS_REGION', ...COMMON],
};

export function checkVariables(facts: ProjectFacts, template: IncludedTemplate): CheckResult {
  const id = 'project.variables';
  const name = facts.project.body?.path_with_namespace ?? facts.given;
  const needed = REQUIRED_VARIABLES[template.provider].filter((key) => !template.yamlVariables.includes(key));
  const where = `${name}, Settings > CI/CD > Variables`;
  const variables = facts.variables;
  if (variables?.status === 403) {
    const role = facts.member?.body ? roleName(facts.member.body.access_level) : 'not a Maintainer';
    return warn(
      id,
      `cannot list ${name}'s CI/CD variables: GET /projects/:id/variables needs Maintainer and the bot is ${role}`,
      `check by hand in ${where}: ${needed.join(', ')}`,
    );
  }
  if (!variables || variables.status !== 200 || !variables.body) {
    return warn(
      id,
      `cannot list ${name}'s CI/CD variables (${variables?.error})`,
      `check by hand in ${where}: ${needed.join(', ')}`,
    );
  }
  const present = new Set(variables.body.map((variable) => variable.key));
  const missing = needed.filter((key) => !present.has(key));
  if (missing.length > 0) {
    return fail(
      id,
      `${name} lacks the CI/CD variable${missing.length > 1 ? 's' : ''} ${missing.join(', ')} (the ${
        template.provider
      } template needs them)`,
      `in ${where}: add ${missing.join(
        ', ',
      )} (masked when secret); a group's variables also count, but doctor sees only the project's`,
    );
  }
  return pass(id, `${name} has the CI/CD variables the ${template.provider} template needs (${needed.join(', ')})`);
}
