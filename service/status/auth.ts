import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

// Who may see the status page: a request with `Authorization: Bearer <STATUS_TOKEN>`, or a browser whose
// cookie holds the session value the login form set. The cookie holds an HMAC of the token, never the
// token: a cookie that leaks opens the page but is not the token, and changing STATUS_TOKEN ends every
// session. Comparisons hash both sides first, so timingSafeEqual sees equal lengths and nothing leaks by time.

export const SESSION_COOKIE = 'cgf_status';

export interface StatusAuth {
  /** The candidate is STATUS_TOKEN. */
  tokenMatches(candidate: string): boolean;
  /** The request's bearer token or session cookie opens the page. */
  allows(headers: { authorization?: string | undefined; cookie?: string | undefined }): boolean;
  /** The Set-Cookie value after a good login. */
  sessionCookie(): string;
}

export function statusAuth(token: string): StatusAuth {
  const session = createHmac('sha256', token).update('claude-gitlab-flow status session v1').digest('base64url');
  const tokenMatches = (candidate: string) => sameSecret(candidate, token);
  return {
    tokenMatches,
    allows(headers) {
      const bearer = /^Bearer[ ]+(\S+)\s*$/i.exec(headers.authorization ?? '')?.[1];
      if (bearer !== undefined) return tokenMatches(bearer);
      const cookie = cookieValue(headers.cookie, SESSION_COOKIE);
      return cookie !== null && sameSecret(cookie, session);
    },
    // A day; HttpOnly (no script reads it), Secure (https only; browsers allow it on localhost), Strict
    // (never sent from another site, which is also what protects the pause and resume buttons).
    sessionCookie: () => `${SESSION_COOKIE}=${session}; Path=/status; Max-Age=86400; HttpOnly; Secure; SameSite=Strict`,
  };
}

export function sameSecret(candidate: string, secret: string): boolean {
  const digest = (value: string) => createHash('sha256').update(value, 'utf8').digest();
  return timingSafeEqual(digest(candidate), digest(secret));
}

function cookieValue(header: string | undefined, name: string): string | null {
  for (const part of (header ?? '').split(';')) {
    const at = part.indexOf('=');
    if (at > 0 && part.slice(0, at).trim() === name) return part.slice(at + 1).trim();
  }
  return null;
}
