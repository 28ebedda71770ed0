import { canReadCode, findProject, isDeveloper } from '../access.js';
import { forbidden, notFound, recordNotFound } from '../http/errors.js';
import { paginate } from '../http/pagination.js';
import { ParamCheck } from '../http/params.js';
import { json, type Ctx, type Router } from '../http/router.js';
import { PIPELINE_STATUSES, type Job, type Project } from '../types.js';

// The jobs API's reads (https://docs.gitlab.com/api/jobs/): a pipeline's jobs, filtered by `scope` (one
// status or an array of them), and a job's log as plain text. `read_build` as for pipelines: a Guest of
// a private project sees neither.

function readableProject(ctx: Ctx): Project {
  const project = findProject(ctx.services.state, ctx.pathParams.id as string, ctx.user);
  if (!canReadCode(project, ctx.user)) throw forbidden();
  return project;
}

function jobEntity(ctx: Ctx, project: Project, job: Job) {
  const pipeline = ctx.services.state.pipelines.get(job.pipelineId)!;
  const base = `${ctx.services.state.baseUrl}/${project.path}`;
  return {
    id: job.id,
    name: job.name,
    stage: job.stage,
    status: job.status,
    ref: pipeline.ref,
    allow_failure: job.allowFailure,
    failure_reason: job.failureReason ?? undefined,
    created_at: job.createdAt.toISOString(),
    web_url: `${base}/-/jobs/${job.id}`,
    pipeline: { id: pipeline.id, project_id: project.id, ref: pipeline.ref, sha: pipeline.sha, status: pipeline.status },
  };
}

export function registerJobRoutes(router: Router): void {
  router.get('/projects/:id/pipelines/:pipeline_id/jobs', (ctx) => {
    const check = new ParamCheck(ctx.params);
    const raw = check.raw('scope') ?? check.raw('scope[]');
    const scopes = raw === undefined ? [] : Array.isArray(raw) ? raw.map(String) : [String(raw)];
    if (scopes.some((scope) => !(PIPELINE_STATUSES as readonly string[]).includes(scope))) check.add('scope does not have a valid value');
    check.done();
    const project = readableProject(ctx);
    const pipeline = ctx.services.state.pipelines.get(Number(ctx.pathParams.pipeline_id));
    if (!pipeline || pipeline.projectId !== project.id) throw recordNotFound();
    const jobs = [...ctx.services.state.jobs.values()]
      .filter((job) => job.pipelineId === pipeline.id && (scopes.length === 0 || scopes.includes(job.status)))
      .sort((a, b) => b.id - a.id);
    const page = paginate(jobs, ctx.params, ctx.url);
    return json(200, page.items.map((job) => jobEntity(ctx, project, job)), page.headers);
  });

  router.get('/projects/:id/jobs/:job_id', (ctx) => {
    const project = readableProject(ctx);
    const job = ctx.services.state.jobs.get(Number(ctx.pathParams.job_id));
    if (!job || job.projectId !== project.id) throw recordNotFound();
    return json(200, jobEntity(ctx, project, job));
  });

  // https://docs.gitlab.com/api/job_artifacts/#download-a-single-artifact-file-by-job-id: the file's
  // bytes; 404 when the job, its artifacts (never uploaded, expired) or the file are not there.
  // `artifacts:access: developer` keeps them from anyone below Developer, `none` from everyone.
  router.get('/projects/:id/jobs/:job_id/artifacts/*artifact_path', (ctx) => {
    const project = readableProject(ctx);
    const job = ctx.services.state.jobs.get(Number(ctx.pathParams.job_id));
    if (!job || job.projectId !== project.id) throw recordNotFound();
    const artifacts = job.artifacts;
    if (!artifacts || artifacts.expired) throw notFound();
    if (artifacts.access === 'none' || (artifacts.access === 'developer' && !isDeveloper(project, ctx.user))) throw forbidden();
    const file = artifacts.files.get(ctx.pathParams.artifact_path as string);
    if (!file) throw notFound();
    return { status: 200, body: file, headers: { 'content-type': 'application/octet-stream' } };
  });

  router.get('/projects/:id/jobs/:job_id/trace', (ctx) => {
    const project = readableProject(ctx);
    const job = ctx.services.state.jobs.get(Number(ctx.pathParams.job_id));
    if (!job || job.projectId !== project.id) throw recordNotFound();
    return { status: 200, body: job.trace, headers: { 'content-type': 'text/plain' } };
  });
}
