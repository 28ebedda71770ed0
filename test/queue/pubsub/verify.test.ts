import { OAuth2Client } from 'google-auth-library';
import { describe, expect, it } from 'vitest';
import { createPushVerifier } from '../../../service/queue/pubsub/verify-push.js';
import { AUDIENCE, PUSHER, pushClaims, signToken, signingKey, unsignedToken } from './tokens.js';

// Push requests must carry a Google-signed OIDC token for our audience and our push service account.

const key = signingKey();
const verify = createPushVerifier({ audience: AUDIENCE, serviceAccountEmail: PUSHER, certs: key.certs });
const bearer = (token: string) => `Bearer ${token}`;

describe('push request verification', () => {
  it('accepts a token signed by a known key for our audience and service account', async () => {
    expect(await verify(bearer(signToken(key, pushClaims())))).toEqual({ ok: true, email: PUSHER, unauthenticated: false });
  });

  it.each([
    ['no header', undefined],
    ['an empty header', ''],
    ['another scheme', `Basic ${Buffer.from('a:b').toString('base64')}`],
    ['garbage', 'Bearer not-a-jwt'],
    ['three garbage segments', 'Bearer aaa.bbb.ccc'],
  ])('refuses %s with 401', async (_name, header) => {
    expect(await verify(header)).toMatchObject({ ok: false, status: 401 });
  });

  it('refuses an expired token', async () => {
    const now = Math.floor(Date.now() / 1000);
    const result = await verify(bearer(signToken(key, pushClaims({ iat: now - 7200, exp: now - 3600 }))));
    expect(result).toMatchObject({ ok: false, status: 401 });
  });

  it('refuses a token for another audience', async () => {
    const result = await verify(bearer(signToken(key, pushClaims({ aud: 'https://elsewhere.example/push' }))));
    expect(result).toEqual({ ok: false, status: 401, reason: 'invalid token: Wrong recipient' });
  });

  it('refuses a token from another issuer', async () => {
    expect(await verify(bearer(signToken(key, pushClaims({ iss: 'https://evil.example' }))))).toMatchObject({ ok: false, status: 401 });
  });

  it('refuses a valid token of another service account, or an unverified e-mail, with 403', async () => {
    expect(await verify(bearer(signToken(key, pushClaims({ email: 'someone@evil.example' }))))).toMatchObject({ ok: false, status: 403 });
    expect(await verify(bearer(signToken(key, pushClaims({ email_verified: false }))))).toMatchObject({ ok: false, status: 403 });
    const { email: _email, ...noEmail } = pushClaims();
    expect(await verify(bearer(signToken(key, noEmail)))).toMatchObject({ ok: false, status: 403 });
  });

  it('refuses an unsigned (alg none) token', async () => {
    expect(await verify(bearer(unsignedToken(pushClaims())))).toEqual({ ok: false, status: 401, reason: 'token is not RS256-signed' });
  });

  it('refuses a token signed by a key it does not know, or with the key id of a known one', async () => {
    const stranger = signingKey('stranger');
    expect(await verify(bearer(signToken(stranger, pushClaims())))).toMatchObject({ ok: false, status: 401 });
    // Same kid as ours, different key: the signature does not verify.
    const impostor = { ...signingKey(key.kid), kid: key.kid };
    expect(await verify(bearer(signToken(impostor, pushClaims())))).toMatchObject({ ok: false, status: 401 });
  });

  it('refuses a token whose payload was changed after signing', async () => {
    const [head, , signature] = signToken(key, pushClaims()).split('.');
    const forged = Buffer.from(JSON.stringify(pushClaims({ email: 'someone@evil.example', aud: AUDIENCE }))).toString('base64url');
    expect(await verify(bearer(`${head}.${forged}.${signature}`))).toMatchObject({ ok: false, status: 401 });
  });

  it('never quotes the token in its reason', async () => {
    const token = signToken(key, pushClaims({ aud: 'https://elsewhere.example/push' }));
    const result = await verify(bearer(token));
    expect(JSON.stringify(result)).not.toContain(token.split('.')[1]);
  });

  it('in production mode checks with verifyIdToken against the certificates Google publishes', async () => {
    // The published certificates, without the network: the client fetches them through this method.
    const client = new OAuth2Client();
    client.getFederatedSignonCertsAsync = async () => ({ certs: key.certs, format: 'PEM' as never });
    const production = createPushVerifier({ audience: AUDIENCE, serviceAccountEmail: PUSHER, client });
    expect(await production(bearer(signToken(key, pushClaims())))).toMatchObject({ ok: true, email: PUSHER });
    expect(await production(bearer(signToken(key, pushClaims({ aud: 'https://elsewhere.example/push' }))))).toMatchObject({ ok: false, status: 401 });
    expect(await production(bearer(signToken(signingKey('stranger'), pushClaims())))).toMatchObject({ ok: false, status: 401 });
  });

  it('lets everything through only when explicitly told to, and says so', async () => {
    const open = createPushVerifier({ audience: '', serviceAccountEmail: '', allowUnauthenticated: true });
    expect(await open(undefined)).toEqual({ ok: true, email: null, unauthenticated: true });
  });

  it('refuses to be built without an audience or service account (the library would skip the audience check)', () => {
    expect(() => createPushVerifier({ audience: '', serviceAccountEmail: PUSHER })).toThrow(/PUBSUB_PUSH_AUDIENCE/);
    expect(() => createPushVerifier({ audience: AUDIENCE, serviceAccountEmail: '' })).toThrow(/PUBSUB_PUSH_SERVICE_ACCOUNT/);
  });
});
