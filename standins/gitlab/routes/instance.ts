import { json, requireUser, type Router } from '../http/router.js';
import type { AccessToken } from '../types.js';

// GET /version (https://docs.gitlab.com/api/version/) and GET /personal_access_tokens/self
// (https://docs.gitlab.com/api/personal_access_tokens/#get-single-personal-access-token): both need a
// user. A revoked or expired token never gets here: the guard answers 401 first (http/auth.ts).

/** The version the stand-in claims to be; a real 17.x answers in this shape. */
export const STANDIN_VERSION = { version: '17.11.0-ee', revision: '0123456789a' } as const;

export function registerInstanceRoutes(router: Router): void {
  router.get('/version', (ctx) => {
    requireUser(ctx);
    return json(200, {
      ...STANDIN_VERSION,
      kas: { enabled: false, externalUrl: null, externalK8sProxyUrl: null, version: null },
      enterprise: true,
    });
  });

  router.get('/personal_access_tokens/self', (ctx) => {
    requireUser(ctx);
    return json(200, personalAccessTokenEntity(ctx.token as AccessToken));
  });
}

/** lib/api/entities/personal_access_token.rb: `expires_at` is a date, never the token itself. */
function personalAccessTokenEntity(token: AccessToken) {
  return {
    id: token.id,
    name: token.name,
    revoked: token.revoked,
    created_at: token.createdAt.toISOString(),
    description: null,
    scopes: [...token.scopes],
    user_id: token.userId,
    last_used_at: null,
    active: !token.revoked,
    expires_at: token.expiresAt ? token.expiresAt.toISOString().slice(0, 10) : null,
  };
}
