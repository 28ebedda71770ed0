import { accessLevel, canReadCode, findProject, isDeveloper } from '../access.js';
import { pipelineBasic, pipelineEntity, variablesEntity } from '../entities/pipelines.js';
import { forbidden, notFound, recordNotFound } from '../http/errors.js';
import { paginate } from '../http/pagination.js';
import { ParamCheck } from '../http/params.js';
import { json, requireUser, type Ctx, type Router } from '../http/router.js';
import { createPipeline } from '../pipelines/create.js';
import { mapVariablesParamErrors, parseArrayVariables, parseMapVariables } from '../pipelines/variables.js';
import { AccessLevel, FINISHED_STATUSES, PIPELINE_STATUSES, type Pipeline, type Project } from '../types.js';

// The two ways to create a pipeline and the reads that follow (https://docs.gitlab.com/api/pipelines/,
// https://docs.gitlab.com/api/pipeline_triggers/#trigger-a-pipeline-with-a-token; lib/api/ci/pipelines.rb,
// lib/api/ci/triggers.rb). Order of checks as in Grape: authentication, parameters, project, permission,
// then Ci::CreatePipelineService's own errors.

const SOURCES = [
  'push', 'web', 'trigger', 'schedule', 'api', 'external', 'pipeline', 'chat', 'webide', 'merge_request_event',
  'external_pull_request_event', 'parent_pipeline', 'ondemand_dast_scan', 'ondemand_dast_validation',
  'security_orchestration_policy', 'container_registry_push', 'duo_workflow', 'pipeline_execution_policy_schedule', 'unknown',
] as const;

/** `read_pipeline`: in a private project a Guest does not see pipelines. */
function readablePipelines(ctx: Ctx): Project {
  const project = findProject(ctx.services.state, ctx.pathParams.id as string, ctx.user);
  if (!canReadCode(project, ctx.user)) throw forbidden();
  return project;
}

/** `user_project.all_pipelines.find(params[:pipeline_id])` */
function findPipeline(ctx: Ctx, project: Project): Pipeline {
  const raw = ctx.pathParams.pipeline_id as string;
  const check = new ParamCheck({ pipeline_id: raw });
  check.optionalInteger('pipeline_id');
  check.done();
  const pipeline = ctx.services.state.pipelines.get(Number(raw));
  if (!pipeline || pipeline.projectId !== project.id) throw recordNotFound();
  return pipeline;
}

export function registerPipelineRoutes(router: Router): void {
  router.post('/projects/:id/pipeline', async (ctx) => {
    const user = requireUser(ctx); // authenticate_non_get!
    const check = new ParamCheck(ctx.params);
    const ref = check.requiredString('ref');
    const parsed = parseArrayVariables(ctx.params.variables);
    for (const error of parsed.errors) check.add(error);
    check.done();
    const { state } = ctx.services;
    const project = findProject(state, ctx.pathParams.id as string, user);
    if (!isDeveloper(project, user)) throw forbidden(); // authorize! :create_pipeline
    const pipeline = await createPipeline(ctx.services, { project, user, ref, variables: parsed.variables, source: 'api', triggerId: null });
    return json(201, pipelineEntity(state, project, pipeline));
  });

  const trigger = async (ctx: Ctx) => {
    const check = new ParamCheck(ctx.params);
    const ref = ctx.pathParams.ref ?? check.requiredString('ref', { allowBlank: false });
    const token = check.requiredString('token');
    for (const error of mapVariablesParamErrors(ctx.params.variables)) check.add(error);
    check.done();
    // A pipeline hook must not trigger pipelines (lib/api/ci/triggers.rb: forbidden! on that header).
    if (ctx.headers['x-gitlab-event'] === 'Pipeline Hook') throw forbidden();
    const variables = parseMapVariables(ctx.params.variables);
    const { state } = ctx.services;
    const idParam = ctx.pathParams.id as string;
    // `find_project`, not `find_project!`: the token, not a user, decides; nothing leaks either way.
    const project = /^\d+$/.test(idParam) ? state.projects.get(Number(idParam)) : state.projectByPath(idParam);
    const triggerToken = state.triggers.get(token);
    if (!project || !triggerToken || triggerToken.projectId !== project.id) throw notFound();
    const owner = state.user(triggerToken.ownerId);
    // Ci::PipelineTriggerService stores the request as TRIGGER_PAYLOAD, a file variable, token left out.
    const payload = JSON.stringify({ ref, id: idParam, variables: Object.fromEntries(variables.map((v) => [v.key, v.value])) });
    const pipeline = await createPipeline(ctx.services, {
      project,
      user: owner,
      ref,
      variables: [...variables, { key: 'TRIGGER_PAYLOAD', value: payload, variable_type: 'file' }],
      source: 'trigger',
      triggerId: triggerToken.id,
    });
    return json(201, pipelineEntity(state, project, pipeline));
  };
  router.post('/projects/:id/trigger/pipeline', trigger);
  router.post('/projects/:id/ref/:ref/trigger/pipeline', trigger);

  router.get('/projects/:id/pipelines', (ctx) => {
    const check = new ParamCheck(ctx.params);
    const scope = check.optionalEnum('scope', ['running', 'pending', 'finished', 'branches', 'tags'] as const);
    const status = check.optionalEnum('status', PIPELINE_STATUSES);
    const ref = check.optionalString('ref');
    const sha = check.optionalString('sha');
    const username = check.optionalString('username');
    const updatedBefore = check.optionalDate('updated_before');
    const updatedAfter = check.optionalDate('updated_after');
    const createdBefore = check.optionalDate('created_before');
    const createdAfter = check.optionalDate('created_after');
    const orderBy = check.optionalEnum('order_by', ['id', 'status', 'ref', 'updated_at', 'user_id'] as const) ?? 'id';
    const sort = check.optionalEnum('sort', ['asc', 'desc'] as const) ?? 'desc';
    const source = check.optionalEnum('source', SOURCES);
    check.done();
    const project = readablePipelines(ctx);
    const { state } = ctx.services;
    const list = [...state.pipelines.values()].filter((p) => {
      if (p.projectId !== project.id) return false;
      if (scope === 'running' && p.status !== 'running') return false;
      if (scope === 'pending' && p.status !== 'pending') return false;
      if (scope === 'finished' && !FINISHED_STATUSES.includes(p.status)) return false;
      if (status && p.status !== status) return false;
      if (ref !== undefined && p.ref !== ref) return false;
      if (sha !== undefined && p.sha !== sha) return false;
      if (username !== undefined && state.users.get(p.userId)?.username !== username) return false;
      if (source && p.source !== source) return false;
      if (updatedBefore && !(p.updatedAt < updatedBefore)) return false;
      if (updatedAfter && !(p.updatedAt > updatedAfter)) return false;
      if (createdBefore && !(p.createdAt < createdBefore)) return false;
      if (createdAfter && !(p.createdAt > createdAfter)) return false;
      return true;
    });
    const key = (p: Pipeline): number | string =>
      orderBy === 'status' ? p.status : orderBy === 'ref' ? p.ref : orderBy === 'updated_at' ? p.updatedAt.getTime() : orderBy === 'user_id' ? p.userId : p.id;
    list.sort((a, b) => {
      const ka = key(a);
      const kb = key(b);
      const delta = ka < kb ? -1 : ka > kb ? 1 : a.id - b.id;
      return sort === 'asc' ? delta : -delta;
    });
    const page = paginate(list, ctx.params, ctx.url);
    return json(200, page.items.map((p) => pipelineBasic(state, project, p)), page.headers);
  });

  router.get('/projects/:id/pipelines/:pipeline_id', (ctx) => {
    const project = readablePipelines(ctx);
    return json(200, pipelineEntity(ctx.services.state, project, findPipeline(ctx, project)));
  });

  router.get('/projects/:id/pipelines/:pipeline_id/variables', (ctx) => {
    const project = readablePipelines(ctx);
    const pipeline = findPipeline(ctx, project);
    // `read_pipeline_variable`: Developers and up, or whoever ran the pipeline.
    if (accessLevel(project, ctx.user) < AccessLevel.developer && pipeline.userId !== ctx.user?.id) throw forbidden();
    return json(200, variablesEntity(pipeline));
  });

  router.post('/projects/:id/pipelines/:pipeline_id/cancel', async (ctx) => {
    const user = requireUser(ctx);
    const project = findProject(ctx.services.state, ctx.pathParams.id as string, user);
    const pipeline = findPipeline(ctx, project);
    if (!isDeveloper(project, user)) throw forbidden();
    // GitLab answers 200 with the pipeline even when there was nothing left to cancel.
    if (!FINISHED_STATUSES.includes(pipeline.status)) void ctx.services.lifecycle.finish(pipeline, 'canceled');
    return json(200, pipelineEntity(ctx.services.state, project, pipeline));
  });
}
