import { parse } from 'yaml';
import type { LintResult, ProjectFacts } from '../facts.js';
import { fail, pass, warn, type CheckResult } from '../result.js';

// The default branch's CI configuration, merged by GitLab's CI lint API, must hold the templates' job.
// The job's own variables tell which template (which model provider) was included.

export const TEMPLATE_JOB = 'claude-gitlab-flow';

export type Provider = 'claude-api' | 'vertex' | 'bedrock';

export interface IncludedTemplate {
  provider: Provider;
  /** Variables the merged YAML itself sets (globally or on the job): they need no CI/CD variable. */
  yamlVariables: string[];
}

const INCLUDE_FIX = (branch: string) =>
  `add to .gitlab-ci.yml on ${branch}: include: - remote: 'https://gitlab.com/<group>/claude-gitlab-flow/-/raw/<release>/templates/` +
  "claude-api.gitlab-ci.yml' (or claude-vertex / claude-bedrock; see the template's header)";

function variableNames(value: unknown): string[] {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? Object.keys(value) : [];
}

/** The template the merged YAML holds, or null when it holds no `claude-gitlab-flow` job. */
export function includedTemplate(mergedYaml: string): IncludedTemplate | null {
  const doc = parse(mergedYaml) as Record<string, unknown> | null;
  const job = doc?.[TEMPLATE_JOB] as Record<string, unknown> | undefined;
  if (!job || typeof job !== 'object') return null;
  const jobVariables = (job.variables ?? {}) as Record<string, unknown>;
  const on = (name: string) => String(jobVariables[name] ?? '') === '1';
  const provider: Provider = on('CLAUDE_CODE_USE_VERTEX')
    ? 'vertex'
    : on('CLAUDE_CODE_USE_BEDROCK')
    ? 'bedrock'
    : 'claude-api';
  return { provider, yamlVariables: [...variableNames(doc?.variables), ...variableNames(job.variables)] };
}

export function checkCiTemplate(facts: ProjectFacts): { result: CheckResult; template: IncludedTemplate | null } {
  const id = 'project.ci-template';
  const name = facts.project.body?.path_with_namespace ?? facts.given;
  const branch = facts.project.body?.default_branch;
  if (!branch)
    return {
      result: fail(id, `${name} has no default branch (an empty repository)`, INCLUDE_FIX('the default branch')),
      template: null,
    };
  const lint = facts.lint;
  if (!lint || lint.status !== 200 || !lint.body) {
    return {
      result: warn(
        id,
        `cannot read ${name}'s CI configuration (${lint?.error})`,
        `check by hand: ${INCLUDE_FIX(branch)}`,
      ),
      template: null,
    };
  }
  const invalid = invalidConfig(lint.body, name, branch);
  if (invalid) return { result: invalid, template: null };
  const template = includedTemplate(lint.body.merged_yaml ?? '');
  if (!template) {
    return {
      result: fail(
        id,
        `the CI configuration of ${name}@${branch} has no ${TEMPLATE_JOB} job: no template is included`,
        INCLUDE_FIX(branch),
      ),
      template,
    };
  }
  return {
    result: pass(id, `${name}@${branch} includes the ${template.provider} template (job ${TEMPLATE_JOB})`),
    template,
  };
}

function invalidConfig(lint: LintResult, name: string, branch: string): CheckResult | null {
  const id = 'project.ci-template';
  if (lint.valid) return null;
  if (lint.errors.some((error) => error.includes('Please provide content of .gitlab-ci.yml'))) {
    return fail(id, `${name}@${branch} has no .gitlab-ci.yml`, INCLUDE_FIX(branch));
  }
  return fail(
    id,
    `the CI configuration of ${name}@${branch} is invalid: ${lint.errors.join('; ')}`,
    `fix .gitlab-ci.yml on ${branch} (Build > Pipeline editor shows the same errors)`,
  );
}
