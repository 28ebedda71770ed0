import type { IncomingHttpHeaders } from 'node:http';
import type { State } from '../state.js';
import type { AccessToken, User } from '../types.js';
import { ApiError, forbidden, unauthorized } from './errors.js';
import type { Params } from './params.js';

// Token authentication as GitLab's API guard does it (https://docs.gitlab.com/api/rest/authentication/):
// `PRIVATE-TOKEN: <token>`, `Authorization: Bearer <token>`, or the `private_token` / `access_token`
// parameter. A token that is sent but unknown is a 401 on every endpoint, even ones that need no user;
// a revoked or expired one is the OAuth-style 401 body; a `read_api` token may only read.

export interface Authenticated {
  user: User | null;
  token: AccessToken | null;
}

export function tokenFrom(headers: IncomingHttpHeaders, params: Params): string | null {
  const header = headers['private-token'];
  if (typeof header === 'string' && header !== '') return header;
  const authorization = headers.authorization;
  if (typeof authorization === 'string') {
    const match = /^Bearer\s+(.+)$/i.exec(authorization);
    if (match) return (match[1] as string).trim();
  }
  for (const name of ['private_token', 'access_token']) {
    const value = params[name];
    if (typeof value === 'string' && value !== '') return value;
  }
  return null;
}

export function authenticate(state: State, method: string, headers: IncomingHttpHeaders, params: Params): Authenticated {
  const raw = tokenFrom(headers, params);
  if (raw === null) return { user: null, token: null };
  const token = state.tokens.get(raw);
  if (!token) throw unauthorized();
  if (token.revoked) throw invalidToken('Token has been revoked.');
  if (token.expiresAt && token.expiresAt.getTime() <= state.now().getTime()) throw invalidToken('Token has expired.');
  const user = state.users.get(token.userId);
  if (!user) throw unauthorized();
  // Gitlab::Auth::UserAccessDeniedReason: a blocked or deactivated account cannot use the API.
  if (user.state === 'blocked') throw forbidden('Your account has been blocked.');
  if (user.state === 'deactivated') {
    throw forbidden('Your account has been deactivated by your administrator. Please log back in to reactivate your account.');
  }
  if (method !== 'GET' && method !== 'HEAD' && !token.scopes.includes('api')) {
    throw new ApiError(403, {
      error: 'insufficient_scope',
      error_description: 'The request requires higher privileges than provided by the access token.',
      scope: 'api',
    });
  }
  return { user, token };
}

function invalidToken(description: string): ApiError {
  return new ApiError(
    401,
    { error: 'invalid_token', error_description: description },
    { 'www-authenticate': `Bearer realm="Protected by OAuth 2.0", error="invalid_token", error_description="${description}"` },
  );
}
