import { canReadCode, canReadIssue, findProject, isDeveloper } from '../access.js';
import { issueEntity, mergeRequestEntity } from '../entities/issuables.js';
import { apiError, forbidden, notFound, recordNotFound, validationError } from '../http/errors.js';
import { paginate } from '../http/pagination.js';
import { ParamCheck } from '../http/params.js';
import { json, requireUser, type Ctx, type Router } from '../http/router.js';
import { branchHead, mergeRequestDiffs } from '../repo/refs.js';
import type { MergeRequest, Project } from '../types.js';
import { requireIntegers } from './notes.js';

// Issues and merge requests (https://docs.gitlab.com/api/issues/, https://docs.gitlab.com/api/merge_requests/).
// Both are addressed by iid in a project; an iid that does not exist or that the user may not see is
// ActiveRecord's {"message":"404 Not found"}.
//
// Creating a merge request fails like GitLab's (lib/api/helpers/merge_requests_helpers.rb
// handle_merge_request_errors!): 409 with {"message":["Another open merge request already exists for this
// source branch: !1"]} for a duplicate, 422 for the same branch as source and target or a project outside
// the fork network, and 400 {"message":{"source_branch":["does not exist"]}} for a branch that is not there.

function findIssueByIid(ctx: Ctx, project: Project) {
  const iid = Number(ctx.pathParams.issue_iid);
  const issue = [...ctx.services.state.issues.values()].find((item) => item.projectId === project.id && item.iid === iid);
  if (!issue || !canReadIssue(project, issue, ctx.user)) throw recordNotFound();
  return issue;
}

export function findMergeRequestByIid(ctx: Ctx, project: Project): MergeRequest {
  const iid = Number(ctx.pathParams.merge_request_iid);
  const mr = [...ctx.services.state.mergeRequests.values()].find((item) => item.projectId === project.id && item.iid === iid);
  if (!mr || !canReadCode(project, ctx.user)) throw recordNotFound();
  return mr;
}

async function presentMergeRequest(ctx: Ctx, project: Project, mr: MergeRequest, single: boolean) {
  const { state } = ctx.services;
  const source = state.projects.get(mr.sourceProjectId) ?? project;
  const [sha, baseSha] = await Promise.all([branchHead(source, mr.sourceBranch), branchHead(project, mr.targetBranch)]);
  return mergeRequestEntity(state, project, mr, { sha, baseSha, single });
}

export function registerIssuableRoutes(router: Router): void {
  router.get('/projects/:id/issues/:issue_iid', (ctx) => {
    requireIntegers(ctx, ['issue_iid']);
    const project = findProject(ctx.services.state, ctx.pathParams.id as string, ctx.user);
    return json(200, issueEntity(ctx.services.state, project, findIssueByIid(ctx, project)));
  });

  router.get('/projects/:id/merge_requests', async (ctx) => {
    const check = new ParamCheck(ctx.params);
    const state = check.optionalEnum('state', ['opened', 'closed', 'locked', 'merged', 'all'] as const) ?? 'all';
    const sourceBranch = check.optionalString('source_branch');
    const targetBranch = check.optionalString('target_branch');
    const orderBy = check.optionalEnum('order_by', ['created_at', 'updated_at', 'title', 'merged_at'] as const) ?? 'created_at';
    const sort = check.optionalEnum('sort', ['asc', 'desc'] as const) ?? 'desc';
    check.done();
    const project = findProject(ctx.services.state, ctx.pathParams.id as string, ctx.user);
    if (!canReadCode(project, ctx.user)) throw forbidden();
    const list = [...ctx.services.state.mergeRequests.values()]
      .filter((mr) => mr.projectId === project.id)
      .filter((mr) => state === 'all' || mr.state === state)
      .filter((mr) => sourceBranch === undefined || mr.sourceBranch === sourceBranch)
      .filter((mr) => targetBranch === undefined || mr.targetBranch === targetBranch)
      .sort((a, b) => {
        const delta = orderBy === 'title' ? a.title.localeCompare(b.title) : orderBy === 'updated_at' ? a.updatedAt.getTime() - b.updatedAt.getTime() : a.createdAt.getTime() - b.createdAt.getTime();
        return (sort === 'asc' ? delta : -delta) || (sort === 'asc' ? a.id - b.id : b.id - a.id);
      });
    const page = paginate(list, ctx.params, ctx.url);
    const items = await Promise.all(page.items.map((mr) => presentMergeRequest(ctx, project, mr, false)));
    return json(200, items, page.headers);
  });

  router.get('/projects/:id/merge_requests/:merge_request_iid', async (ctx) => {
    requireIntegers(ctx, ['merge_request_iid']);
    const project = findProject(ctx.services.state, ctx.pathParams.id as string, ctx.user);
    return json(200, await presentMergeRequest(ctx, project, findMergeRequestByIid(ctx, project), true));
  });

  router.get('/projects/:id/merge_requests/:merge_request_iid/diffs', async (ctx) => {
    requireIntegers(ctx, ['merge_request_iid']);
    const { state } = ctx.services;
    const project = findProject(state, ctx.pathParams.id as string, ctx.user);
    const mr = findMergeRequestByIid(ctx, project);
    const source = state.projects.get(mr.sourceProjectId) ?? project;
    const diffs = await mergeRequestDiffs(project, source, mr.targetBranch, mr.sourceBranch, mr.diffs);
    const page = paginate(diffs.map((diff) => ({ ...diff, generated_file: false })), ctx.params, ctx.url);
    return json(200, page.items, page.headers);
  });

  router.post('/projects/:id/merge_requests', async (ctx) => {
    const user = requireUser(ctx);
    const check = new ParamCheck(ctx.params);
    const title = check.requiredString('title');
    const sourceBranch = check.requiredString('source_branch');
    const targetBranch = check.requiredString('target_branch');
    const targetProjectId = check.optionalInteger('target_project_id');
    const description = check.optionalString('description') ?? '';
    check.done();
    const { state } = ctx.services;
    const source = findProject(state, ctx.pathParams.id as string, user);
    if (!isDeveloper(source, user)) throw forbidden(); // authorize! :create_merge_request_from
    let target = source;
    if (targetProjectId !== undefined && targetProjectId !== source.id) {
      const candidate = state.projects.get(targetProjectId);
      if (!candidate) throw notFound('Project');
      if (source.forkedFromProjectId !== candidate.id) throw apiError(422, ['Source project is not a fork of the target project']);
      target = candidate;
    }
    if (target.id === source.id && sourceBranch === targetBranch) {
      throw apiError(422, ["You can't use same project/branch for source and target"]);
    }
    const [sourceSha, targetSha] = await Promise.all([branchHead(source, sourceBranch), branchHead(target, targetBranch)]);
    const missing: Record<string, string[]> = {};
    if (!sourceSha) missing.source_branch = ['does not exist'];
    if (!targetSha) missing.target_branch = ['does not exist'];
    if (Object.keys(missing).length > 0) throw validationError(missing);
    const duplicate = [...state.mergeRequests.values()].find(
      (mr) => mr.state === 'opened' && mr.projectId === target.id && mr.sourceProjectId === source.id && mr.sourceBranch === sourceBranch,
    );
    if (duplicate) throw apiError(409, [`Another open merge request already exists for this source branch: !${duplicate.iid}`]);
    const now = state.now();
    const mr: MergeRequest = {
      id: state.nextId('mergeRequest', undefined, (id) => state.mergeRequests.has(id)),
      iid: target.nextMergeRequestIid++,
      projectId: target.id,
      sourceProjectId: source.id,
      sourceBranch,
      targetBranch,
      title,
      description,
      state: 'opened',
      authorId: user.id,
      createdAt: now,
      updatedAt: now,
      diffs: null,
      reviewerIds: [],
      assigneeIds: [],
      labels: [],
    };
    state.mergeRequests.set(mr.id, mr);
    return json(201, await presentMergeRequest(ctx, target, mr, true));
  });
}
