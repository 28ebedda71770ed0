import type { PipelineEvent } from '../domain.js';
import { CONTEXT_VARIABLE, EVENT_VARIABLE } from '../flow-variables.js';
import { unescapeVariableValue } from '../gitlab/variable-escape.js';
import { ignore, invalid, type Classification } from './classification.js';
import { parsePayload, pipelinePayloadSchema } from './schemas.js';

/** The only variables kept: a hook carries every pipeline variable, and the rest are none of ours to store. */
const KEPT_VARIABLES = new Set([EVENT_VARIABLE, CONTEXT_VARIABLE]);

export function classifyPipeline(payload: unknown, deliveryId: string): Classification {
  const parsed = parsePayload(pipelinePayloadSchema, payload);
  if (!parsed.ok) return invalid(parsed.reason);
  const { object_attributes: pipeline, project } = parsed.data;
  const variables: Record<string, string> = {};
  for (const { key, value } of pipeline.variables ?? []) {
    // We sent them escaped ($ as $$); the hook shows them as stored.
    if (KEPT_VARIABLES.has(key) && typeof value === 'string') variables[key] = unescapeVariableValue(value);
  }
  if (variables[EVENT_VARIABLE] === undefined) return ignore(`pipeline ${pipeline.id} was not triggered by claude-gitlab-flow (no ${EVENT_VARIABLE})`);
  const event: PipelineEvent = {
    projectId: project.id,
    projectPath: project.path_with_namespace ?? null,
    pipelineId: pipeline.id,
    status: pipeline.status,
    url: pipeline.url ?? (project.web_url ? `${project.web_url.replace(/\/+$/, '')}/-/pipelines/${pipeline.id}` : null),
    variables,
    deliveryId,
  };
  return { kind: 'pipeline', event };
}
