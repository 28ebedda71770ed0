import { apiError, validationError, type ApiError } from '../http/errors.js';
import { isPlainObject } from '../http/params.js';
import type { PipelineVariable } from '../types.js';

// The two variable formats of GitLab's two pipeline APIs, checked the way GitLab checks them.
//
// POST /projects/:id/pipeline declares `optional :variables, type: Array` of {key, value, variable_type}
// (lib/api/ci/helpers/pipelines_helpers.rb). Grape rejects a hash with 400 {"error":"variables is invalid"}
// (seen against gitlab.com: github.com/zereight/gitlab-mcp/issues/136). Values are `type: String`, which
// Grape coerces from numbers and booleans (DryTypes::Coercible::String) but not from arrays or hashes.
//
// POST /projects/:id/trigger/pipeline declares `optional :variables, type: Hash` (lib/api/ci/triggers.rb):
// an array or a string is {"error":"variables is invalid"}, and then every key and value must be a String
// or it answers 400 {"message":"variables needs to be a map of key-valued strings"}
// (spec/requests/api/ci/triggers_spec.rb). No coercion there: JSON numbers are refused.
//
// Keys follow Ci::HasVariable: present, at most 255 characters, letters, digits and '_' only.
// Sizes follow the plan limits GitLab added for pipeline variables
// (gitlab-org/gitlab!253433): on GitLab.com 1200 variables, 120 KiB per value, 1 MiB per file value.

export interface VariableLimits {
  count: number;
  valueBytes: number;
  fileValueBytes: number;
}

export const GITLAB_COM_VARIABLE_LIMITS: VariableLimits = { count: 1200, valueBytes: 120 * 1024, fileValueBytes: 1024 * 1024 };

const VARIABLE_TYPES = ['env_var', 'file'] as const;

/**
 * POST /pipeline: an array of {key, value, variable_type}. Returns Grape's parameter errors (to be
 * joined with the other parameters' errors) instead of throwing.
 */
export function parseArrayVariables(raw: unknown): { variables: PipelineVariable[]; errors: string[] } {
  if (raw === undefined || raw === null) return { variables: [], errors: [] };
  if (!Array.isArray(raw) || raw.some((item) => !isPlainObject(item))) return { variables: [], errors: ['variables is invalid'] };
  const errors: string[] = [];
  const variables = raw.map((item, index) => {
    const entry = item as Record<string, unknown>;
    const key = coerceString(entry.key);
    const value = coerceString(entry.value);
    if (key === INVALID) errors.push(`variables[${index}][key] is invalid`);
    if (value === INVALID) errors.push(`variables[${index}][value] is invalid`);
    let type: PipelineVariable['variable_type'] = 'env_var';
    if (entry.variable_type !== undefined && entry.variable_type !== null) {
      if (!(VARIABLE_TYPES as readonly unknown[]).includes(entry.variable_type)) {
        errors.push(`variables[${index}][variable_type] does not have a valid value`);
      } else {
        type = entry.variable_type as PipelineVariable['variable_type'];
      }
    }
    return { key: key === INVALID ? '' : (key ?? ''), value: value === INVALID ? '' : (value ?? ''), variable_type: type };
  });
  return { variables, errors };
}

/** The trigger API's `type: Hash` check, a Grape parameter error. */
export function mapVariablesParamErrors(raw: unknown): string[] {
  if (raw === undefined || raw === null || isPlainObject(raw)) return [];
  return ['variables is invalid'];
}

/** The trigger API's own check, after Grape's: a map of string to string, or 400 with a message. */
export function parseMapVariables(raw: unknown): PipelineVariable[] {
  if (raw === undefined || raw === null) return [];
  const entries = Object.entries(raw as Record<string, unknown>);
  if (!entries.every(([, value]) => typeof value === 'string')) {
    throw apiError(400, 'variables needs to be a map of key-valued strings');
  }
  return entries.map(([key, value]) => ({ key, value: value as string, variable_type: 'env_var' as const }));
}

/** Model validations and plan limits, after the parameter checks: 400 with the model's error hash. */
export function validateVariables(variables: PipelineVariable[], limits: VariableLimits): ApiError | null {
  const keyErrors = new Set<string>();
  for (const variable of variables) {
    const key = variable.key.trim();
    if (key === '') keyErrors.add("can't be blank");
    if (key.length > 255) keyErrors.add('is too long (maximum is 255 characters)');
    if (key !== '' && !/^[a-zA-Z0-9_]+$/.test(key)) keyErrors.add("can contain only letters, digits and '_'.");
  }
  if (keyErrors.size > 0) return validationError({ 'variables.key': [...keyErrors] });
  // The wording of the limit errors is ours; GitLab's names the limit and the variable the same way.
  if (limits.count > 0 && variables.length > limits.count) {
    return validationError({ base: [`Pipeline has ${variables.length} variables, over the ci_pipeline_variables_count limit of ${limits.count}`] });
  }
  for (const variable of variables) {
    const size = Buffer.byteLength(variable.value, 'utf8');
    const [limit, name] = variable.variable_type === 'file'
      ? [limits.fileValueBytes, 'ci_variable_file_value_size']
      : [limits.valueBytes, 'ci_variable_value_size'];
    if (limit > 0 && size > limit) {
      return validationError({ base: [`Variable ${variable.key} is ${size} bytes, over the ${name} limit of ${limit} bytes`] });
    }
  }
  return null;
}

const INVALID = Symbol('invalid');

function coerceString(value: unknown): string | undefined | typeof INVALID {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return INVALID;
}

/** Keys are stripped on assignment (Ci::HasVariable#key=). */
export function normaliseKeys(variables: PipelineVariable[]): PipelineVariable[] {
  return variables.map((variable) => ({ ...variable, key: variable.key.trim() }));
}
