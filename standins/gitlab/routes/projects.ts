import { canReadCode, canReadProject, findProject } from '../access.js';
import { branchEntity, commitEntity, projectEntity, projectWebUrl } from '../entities/projects.js';
import { memberEntity, userBasic } from '../entities/users.js';
import { forbidden, notFound, paramErrors, recordNotFound } from '../http/errors.js';
import { paginate } from '../http/pagination.js';
import { json, requireUser, type Ctx, type Router } from '../http/router.js';
import { findCommit, refsOf } from '../repo/refs.js';

// Projects, members and the repository reads (https://docs.gitlab.com/api/projects/,
// https://docs.gitlab.com/api/members/, https://docs.gitlab.com/api/branches/, .../commits/).

export function registerProjectRoutes(router: Router): void {
  router.get('/projects/:id', async (ctx) => {
    const { state } = ctx.services;
    const project = findProject(state, ctx.pathParams.id as string, ctx.user);
    const refs = await refsOf(project);
    return json(200, projectEntity(project, ctx.user, state.baseUrl, refs.branches.size === 0));
  });

  // Members: `before { authenticate! }` in lib/api/members.rb.
  router.get('/projects/:id/members/all', (ctx) => {
    requireUser(ctx);
    const { state } = ctx.services;
    const project = findProject(state, ctx.pathParams.id as string, ctx.user);
    const members = [...project.members.values()].sort((a, b) => a.userId - b.userId);
    const page = paginate(members, ctx.params, ctx.url);
    return json(200, page.items.map((member) => memberEntity(state.user(member.userId), member, state.baseUrl)), page.headers);
  });

  router.get('/projects/:id/members/all/:user_id', (ctx) => {
    requireUser(ctx);
    const { state } = ctx.services;
    const raw = ctx.pathParams.user_id as string;
    if (!/^\d+$/.test(raw)) throw paramErrors(['user_id is invalid']);
    const project = findProject(state, ctx.pathParams.id as string, ctx.user);
    // `members.find_by!(user_id:)`: ActiveRecord's 404, {"message":"404 Not found"}.
    const member = project.members.get(Number(raw));
    if (!member) throw recordNotFound();
    return json(200, memberEntity(state.user(member.userId), member, state.baseUrl));
  });

  router.get('/projects/:id/repository/branches', async (ctx) => {
    const project = readableRepository(ctx);
    const refs = await refsOf(project);
    const names = [...refs.branches.keys()].sort();
    const page = paginate(names, ctx.params, ctx.url);
    const items = await Promise.all(page.items.map(async (name) => {
      const commit = await findCommit(project, refs.branches.get(name) as string);
      return commit ? branchEntity(project, name, commit, ctx.user, ctx.services.state.baseUrl) : null;
    }));
    return json(200, items.filter((item) => item !== null), page.headers);
  });

  router.get('/projects/:id/repository/branches/:branch', async (ctx) => {
    const project = readableRepository(ctx);
    const name = ctx.pathParams.branch as string;
    const sha = (await refsOf(project)).branches.get(name);
    const commit = sha ? await findCommit(project, sha) : null;
    if (!commit) throw notFound('Branch');
    return json(200, branchEntity(project, name, commit, ctx.user, ctx.services.state.baseUrl));
  });

  // Project snippets (https://docs.gitlab.com/api/project_snippets/): by id; one of another project is 404.
  router.get('/projects/:id/snippets/:snippet_id', (ctx) => {
    const { state } = ctx.services;
    const raw = ctx.pathParams.snippet_id as string;
    if (!/^\d+$/.test(raw)) throw paramErrors(['snippet_id is invalid']);
    const project = findProject(state, ctx.pathParams.id as string, ctx.user);
    const snippet = state.snippets.get(Number(raw));
    if (!snippet || snippet.projectId !== project.id || !canReadProject(project, ctx.user)) throw notFound('Snippet');
    return json(200, {
      id: snippet.id,
      title: snippet.title,
      description: null,
      visibility: project.visibility,
      author: userBasic(state.user(snippet.authorId), state.baseUrl),
      created_at: snippet.createdAt.toISOString(),
      updated_at: snippet.updatedAt.toISOString(),
      project_id: project.id,
      web_url: `${projectWebUrl(project, state.baseUrl)}/-/snippets/${snippet.id}`,
      raw_url: `${projectWebUrl(project, state.baseUrl)}/-/snippets/${snippet.id}/raw`,
    });
  });

  router.get('/projects/:id/repository/commits/:sha', async (ctx) => {
    const project = readableRepository(ctx);
    const commit = await findCommit(project, ctx.pathParams.sha as string);
    if (!commit) throw notFound('Commit');
    return json(200, commitEntity(commit, project, ctx.services.state.baseUrl));
  });
}

/** Repository reads need code access: a Guest of a private project gets 403 (`authorize! :read_code`). */
function readableRepository(ctx: Ctx) {
  const project = findProject(ctx.services.state, ctx.pathParams.id as string, ctx.user);
  if (!canReadCode(project, ctx.user)) throw forbidden();
  return project;
}
