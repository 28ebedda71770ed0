import { OAuth2Client } from 'google-auth-library';

// Pub/Sub push requests carry `Authorization: Bearer <OIDC token>` signed by Google for the push
// subscription's service account; we accept one only if Google signed it (RS256, a known key), it is
// unexpired, its audience is ours and its e-mail is the configured, verified service account:
// https://cloud.google.com/pubsub/docs/authenticate-push-subscriptions
// A bad or missing token → 401 (who are you?); a valid token for someone else → 403. Nothing runs.
// The emulator sends no token: `allowUnauthenticated` (off by default) lets everything through and says
// so in the result, for the caller to log loudly.

export interface PushVerifierOptions {
  /** PUBSUB_PUSH_AUDIENCE: the `aud` the subscription puts in its tokens (the push endpoint URL by default). */
  audience: string;
  /** PUBSUB_PUSH_SERVICE_ACCOUNT: the `email` of the subscription's push service account. */
  serviceAccountEmail: string;
  /** Emulator only: accept requests without checking any token. */
  allowUnauthenticated?: boolean;
  /** PEM public keys or certificates by key id, instead of Google's published ones (tests). */
  certs?: Record<string, string>;
  client?: OAuth2Client;
}

export type PushAuthResult =
  | { ok: true; email: string | null; unauthenticated: boolean }
  | { ok: false; status: 401 | 403; reason: string };

export type PushVerifier = (authorization: string | undefined) => Promise<PushAuthResult>;

const GOOGLE_ISSUERS = ['https://accounts.google.com', 'accounts.google.com'];

export function createPushVerifier(options: PushVerifierOptions): PushVerifier {
  if (!options.allowUnauthenticated && (!options.audience || !options.serviceAccountEmail)) {
    // google-auth-library skips the audience check when none is given: never let that happen.
    throw new Error('push verification needs PUBSUB_PUSH_AUDIENCE and PUBSUB_PUSH_SERVICE_ACCOUNT');
  }
  const client = options.client ?? new OAuth2Client();
  return async (authorization) => {
    if (options.allowUnauthenticated) return { ok: true, email: null, unauthenticated: true };
    const token = /^Bearer +([A-Za-z0-9_\-.]+=*)$/.exec(authorization?.trim() ?? '')?.[1];
    if (!token) return { ok: false, status: 401, reason: 'missing bearer token' };
    // The library verifies any header as RS256; refusing other algorithms up front (alg "none",
    // HS256 with the public key as secret) keeps that assumption explicit.
    if (headerAlg(token) !== 'RS256') return { ok: false, status: 401, reason: 'token is not RS256-signed' };
    let payload;
    try {
      const ticket = options.certs
        ? await client.verifySignedJwtWithCertsAsync(token, options.certs, options.audience, GOOGLE_ISSUERS)
        : await client.verifyIdToken({ idToken: token, audience: options.audience });
      payload = ticket.getPayload();
    } catch (error) {
      // The library's messages quote the token: keep it out of the logs.
      return { ok: false, status: 401, reason: `invalid token: ${firstWords((error as Error).message)}` };
    }
    if (!payload || payload.email !== options.serviceAccountEmail || payload.email_verified !== true) {
      return { ok: false, status: 403, reason: 'token is not from the push service account' };
    }
    return { ok: true, email: payload.email, unauthenticated: false };
  };
}

function headerAlg(token: string): string | null {
  try {
    const header = JSON.parse(Buffer.from(token.split('.')[0] ?? '', 'base64url').toString('utf8')) as { alg?: unknown };
    return typeof header.alg === 'string' ? header.alg : null;
  } catch {
    return null;
  }
}

/** "Token used too late, 1700000000 > ...: {payload}" → "Token used too late". */
function firstWords(message: string): string {
  return message.split(/[,:]/)[0]?.slice(0, 80) ?? 'unknown';
}
