import type { State } from '../state.js';
import type { Pipeline, PipelineStatus, Project } from '../types.js';
import { projectWebUrl } from './projects.js';
import { userBasic } from './users.js';

// Pipeline entities (lib/api/entities/ci/pipeline_basic.rb, pipeline.rb, variable.rb).

const LABELS: Record<PipelineStatus, [text: string, label: string]> = {
  created: ['Created', 'created'],
  waiting_for_resource: ['Waiting', 'waiting for resource'],
  preparing: ['Preparing', 'preparing'],
  pending: ['Pending', 'pending'],
  running: ['Running', 'running'],
  success: ['Passed', 'passed'],
  failed: ['Failed', 'failed'],
  canceling: ['Canceling', 'canceling'],
  canceled: ['Canceled', 'canceled'],
  skipped: ['Skipped', 'skipped'],
  manual: ['Blocked', 'manual action'],
  scheduled: ['Scheduled', 'delayed'],
};

export function pipelineWebUrl(project: Project, pipeline: Pipeline, baseUrl: string): string {
  return `${projectWebUrl(project, baseUrl)}/-/pipelines/${pipeline.id}`;
}

export function detailedStatus(project: Project, pipeline: Pipeline) {
  const [text, label] = LABELS[pipeline.status];
  return {
    icon: `status_${pipeline.status}`,
    text,
    label,
    group: pipeline.status,
    tooltip: label,
    has_details: true,
    details_path: `/${project.path}/-/pipelines/${pipeline.id}`,
    illustration: null,
    favicon: `/assets/ci_favicons/favicon_status_${pipeline.status}.png`,
  };
}

export function durations(pipeline: Pipeline): { duration: number | null; queued: number | null } {
  const started = pipeline.startedAt?.getTime();
  const finished = pipeline.finishedAt?.getTime();
  return {
    duration: started !== undefined && finished !== undefined ? Math.round((finished - started) / 1000) : null,
    queued: started !== undefined ? (started - pipeline.createdAt.getTime()) / 1000 : null,
  };
}

export function pipelineBasic(state: State, project: Project, pipeline: Pipeline) {
  return {
    id: pipeline.id,
    iid: pipeline.iid,
    project_id: project.id,
    sha: pipeline.sha,
    ref: pipeline.ref,
    status: pipeline.status,
    source: pipeline.source,
    created_at: pipeline.createdAt.toISOString(),
    updated_at: pipeline.updatedAt.toISOString(),
    web_url: pipelineWebUrl(project, pipeline, state.baseUrl),
    name: null,
  };
}

export function pipelineEntity(state: State, project: Project, pipeline: Pipeline) {
  const times = durations(pipeline);
  return {
    ...pipelineBasic(state, project, pipeline),
    before_sha: '0000000000000000000000000000000000000000',
    tag: false,
    yaml_errors: null,
    user: userBasic(state.user(pipeline.userId), state.baseUrl),
    started_at: pipeline.startedAt?.toISOString() ?? null,
    finished_at: pipeline.finishedAt?.toISOString() ?? null,
    committed_at: null,
    duration: times.duration,
    queued_duration: times.queued,
    coverage: null,
    detailed_status: detailedStatus(project, pipeline),
    archived: false,
  };
}

/** GET /projects/:id/pipelines/:pipeline_id/variables */
export function variablesEntity(pipeline: Pipeline) {
  return pipeline.variables.map((variable) => ({
    variable_type: variable.variable_type,
    key: variable.key,
    value: variable.value,
  }));
}
