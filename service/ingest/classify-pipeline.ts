import type { PipelineEvent } from '../domain.js';
import { unescapeVariableValue } from '../gitlab/variable-escape.js';
import { ignore, invalid, type Classification } from './classification.js';
import { parsePayload, pipelinePayloadSchema } from './schemas.js';

/** Every pipeline we trigger carries AI_FLOW_EVENT (docs/architecture.md); other pipelines are not ours to track. */
export const OUR_PIPELINE_VARIABLE = 'AI_FLOW_EVENT';

/** The only variables kept: a hook carries every pipeline variable, and the rest are none of ours to store. */
const KEPT_VARIABLES = new Set([OUR_PIPELINE_VARIABLE, 'AI_FLOW_CONTEXT']);

export function classifyPipeline(payload: unknown, deliveryId: string): Classification {
  const parsed = parsePayload(pipelinePayloadSchema, payload);
  if (!parsed.ok) return invalid(parsed.reason);
  const { object_attributes: pipeline, project } = parsed.data;
  const variables: Record<string, string> = {};
  for (const { key, value } of pipeline.variables ?? []) {
    // We sent them escaped ($ as $$); the hook shows them as stored.
    if (KEPT_VARIABLES.has(key) && typeof value === 'string') variables[key] = unescapeVariableValue(value);
  }
  if (variables[OUR_PIPELINE_VARIABLE] === undefined) return ignore(`pipeline ${pipeline.id} was not triggered by claude-gitlab-flow (no ${OUR_PIPELINE_VARIABLE})`);
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
