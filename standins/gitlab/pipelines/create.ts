import { canUpdateBranch, isDeveloper } from '../access.js';
import { validationError } from '../http/errors.js';
import { resolveRef } from '../repo/refs.js';
import type { State } from '../state.js';
import type { Pipeline, PipelineVariable, Project, User } from '../types.js';
import type { PipelineLifecycle } from './lifecycle.js';
import { normaliseKeys, validateVariables, type VariableLimits } from './variables.js';

// Ci::CreatePipelineService, reduced to the checks that decide whether GitLab creates a pipeline, in the
// order of its chain (Validate::Abilities, then Validate::Repository, then config), each failing with a
// 400 carrying the pipeline's error hash: {"message":{"base":["Reference not found"]}}.

export interface CreatePipelineInput {
  project: Project;
  user: User;
  ref: string;
  variables: PipelineVariable[];
  source: 'api' | 'trigger';
  triggerId: number | null;
}

export interface PipelineDeps {
  state: State;
  lifecycle: PipelineLifecycle;
  limits: VariableLimits;
}

export async function createPipeline(deps: PipelineDeps, input: CreatePipelineInput): Promise<Pipeline> {
  const { state } = deps;
  const { project, user, ref } = input;
  if (!isDeveloper(project, user) || user.state !== 'active') {
    throw validationError({ base: ['Insufficient permissions to create a new pipeline'] });
  }
  const resolved = await resolveRef(project, ref);
  if (resolved?.kind === 'branch' && !canUpdateBranch(project, user, resolved.name)) {
    throw validationError({
      base: [`You do not have sufficient permission to run a pipeline on '${ref}'. Please select a different branch or contact your administrator for assistance.`],
    });
  }
  if (!resolved) throw validationError({ base: ['Reference not found'] });
  if (!project.hasCiConfig) throw validationError({ base: ['Missing CI config file'] });
  const variables = normaliseKeys(input.variables);
  const invalid = validateVariables(variables, deps.limits);
  if (invalid) throw invalid;

  const now = state.now();
  const pipeline: Pipeline = {
    id: state.nextId('pipeline', undefined, (id) => state.pipelines.has(id)),
    iid: project.nextPipelineIid++,
    projectId: project.id,
    ref: resolved.name,
    sha: resolved.sha,
    source: input.source,
    status: 'created',
    variables,
    userId: user.id,
    triggerId: input.triggerId,
    createdAt: now,
    updatedAt: now,
    startedAt: null,
    finishedAt: null,
  };
  state.pipelines.set(pipeline.id, pipeline);
  deps.lifecycle.created(pipeline);
  return pipeline;
}
