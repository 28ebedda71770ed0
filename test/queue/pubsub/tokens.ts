import { createSign, generateKeyPairSync, type KeyObject } from 'node:crypto';

// OIDC tokens shaped like the ones Pub/Sub push sends, signed with a key pair made here, so the
// verifier can be tested against certificates we supply instead of Google's.

export interface SigningKey {
  kid: string;
  privateKey: KeyObject;
  /** What the verifier takes: PEM by key id. */
  certs: Record<string, string>;
}

export function signingKey(kid = 'test-key-1'): SigningKey {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return { kid, privateKey, certs: { [kid]: publicKey.export({ type: 'spki', format: 'pem' }).toString() } };
}

export const AUDIENCE = 'https://flow.example.run.app/pubsub/push';
export const PUSHER = 'pubsub-push@flow-project.iam.gserviceaccount.com';

export function pushClaims(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const now = Math.floor(Date.now() / 1000);
  return {
    iss: 'https://accounts.google.com',
    aud: AUDIENCE,
    azp: '1234567890',
    sub: '1234567890',
    email: PUSHER,
    email_verified: true,
    iat: now - 10,
    exp: now + 3590,
    ...overrides,
  };
}

export function signToken(key: SigningKey, claims: Record<string, unknown>, header: Record<string, unknown> = {}): string {
  const head = b64({ alg: 'RS256', kid: key.kid, typ: 'JWT', ...header });
  const body = b64(claims);
  const signer = createSign('RSA-SHA256');
  signer.update(`${head}.${body}`);
  return `${head}.${body}.${signer.sign(key.privateKey).toString('base64url')}`;
}

/** A token with `alg: none` and no signature. */
export function unsignedToken(claims: Record<string, unknown>, kid = 'test-key-1'): string {
  return `${b64({ alg: 'none', kid, typ: 'JWT' })}.${b64(claims)}.`;
}

function b64(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}
