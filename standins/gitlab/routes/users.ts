import { currentUserEntity, userEntity } from '../entities/users.js';
import { notFound, paramErrors } from '../http/errors.js';
import { json, requireUser, type Router } from '../http/router.js';

// GET /user and GET /users/:id (https://docs.gitlab.com/api/users/).

export function registerUserRoutes(router: Router): void {
  router.get('/user', (ctx) => json(200, currentUserEntity(requireUser(ctx), ctx.services.state.baseUrl)));

  router.get('/users/:user_id', (ctx) => {
    const { state } = ctx.services;
    const raw = ctx.pathParams.user_id as string;
    // `requires :id, type: Integer` in lib/api/users.rb: a username here is a 400, not a lookup.
    if (!/^\d+$/.test(raw)) throw paramErrors(['id is invalid']);
    const user = state.users.get(Number(raw));
    // Blocked users stay visible to the API (with state "blocked"), as on GitLab.
    if (!user) throw notFound('User');
    return json(200, userEntity(user, state.baseUrl));
  });
}
