import type { PipelineEvent } from '../domain.js';
import { ignore, invalid, type Classification } from './classification.js';
import { parsePayload, pipelinePayloadSchema } from './schemas.js';

/** Every pipeline we trigger carries AI_FLOW_EVENT (design §4); other pipelines are not ours to track. */
export const OUR_PIPELINE_VARIABLE = 'AI_FLOW_EVENT';

export function classifyPipeline(payload: unknown, deliveryId: string): Classification {
  const parsed = parsePayload(pipelinePayloadSchema, payload);
  if (!parsed.ok) return invalid(parsed.reason);
  const { object_attributes: pipeline, project } = parsed.data;
  const variables: Record<string, string> = {};
  for (const { key, value } of pipeline.variables ?? []) if (typeof value === 'string') variables[key] = value;
  if (variables[OUR_PIPELINE_VARIABLE] === undefined) return ignore(`pipeline ${pipeline.id} was not triggered by claude-gitlab-flow (no ${OUR_PIPELINE_VARIABLE})`);
  const event: PipelineEvent = {
    projectId: project.id,
    pipelineId: pipeline.id,
    status: pipeline.status,
    url: pipeline.url ?? (project.web_url ? `${project.web_url.replace(/\/+$/, '')}/-/pipelines/${pipeline.id}` : null),
    variables,
    deliveryId,
  };
  return { kind: 'pipeline', event };
}
