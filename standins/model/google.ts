import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

// A stand-in of Google's token endpoints for Workload Identity Federation, which google-auth-library calls
// from an `external_account` credential file (the Vertex template writes one; the library takes any token_url,
// also http://127.0.0.1): STS exchanges the GitLab ID token for a federated token (`POST /v1/token`), and IAM
// Credentials trades that for a service account's token (`POST /v1/projects/-/serviceAccounts/{sa}:generateAccessToken`).
// Only the tokens it issued open the Vertex stand-in.

export interface GoogleStandIn {
  url: string;
  /** For the credential file. */
  tokenUrl: string;
  impersonationUrl(serviceAccount: string): string;
  /** Tokens that Vertex AI accepts: the service account's when impersonating, else the federated ones. */
  accessTokens(): string[];
  /** What the library sent, for the tests to look at. */
  exchanges: Array<{ path: string; form?: Record<string, string>; authorization?: string }>;
  close(): Promise<void>;
}

export interface GoogleStandInOptions {
  /** The GitLab ID token the credential file's credential_source holds. */
  subjectToken: string;
  audience: string;
  /** With a service account, only its tokens open Vertex (the federated token is for IAM Credentials). */
  serviceAccount?: string;
}

const token = (prefix: string) => `${prefix}.${randomBytes(18).toString('base64url')}`;

function read(request: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
  });
}

const json = (response: ServerResponse, status: number, body: unknown) =>
  response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));

export async function startGoogleStandIn(options: GoogleStandInOptions): Promise<GoogleStandIn> {
  const federated = new Set<string>();
  const impersonated = new Set<string>();
  const exchanges: GoogleStandIn['exchanges'] = [];
  const server = createServer((request, response) => {
    void read(request).then((body) => {
      const path = request.url ?? '/';
      if (request.method === 'POST' && path === '/v1/token') {
        const form = Object.fromEntries(new URLSearchParams(body));
        exchanges.push({ path, form });
        if (form.subject_token !== options.subjectToken || form.audience !== options.audience) {
          return json(response, 400, {
            error: 'invalid_grant',
            error_description: 'the subject token or audience is wrong',
          });
        }
        const issued = token('ya29.sts');
        federated.add(issued);
        return json(response, 200, {
          access_token: issued,
          issued_token_type: 'urn:ietf:params:oauth:token-type:access_token',
          token_type: 'Bearer',
          expires_in: 3600,
        });
      }
      const account = /^\/v1\/projects\/-\/serviceAccounts\/([^/:]+):generateAccessToken$/.exec(path)?.[1];
      if (request.method === 'POST' && account) {
        const authorization = request.headers.authorization;
        exchanges.push({ path, authorization });
        const bearer = /^Bearer (.+)$/.exec(authorization ?? '')?.[1];
        if (!bearer || !federated.has(bearer) || decodeURIComponent(account) !== options.serviceAccount) {
          return json(response, 403, {
            error: { code: 403, message: 'Permission denied', status: 'PERMISSION_DENIED' },
          });
        }
        const issued = token('ya29.sa');
        impersonated.add(issued);
        return json(response, 200, { accessToken: issued, expireTime: new Date(Date.now() + 3600_000).toISOString() });
      }
      json(response, 404, { error: { code: 404, message: `no route ${path}`, status: 'NOT_FOUND' } });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    tokenUrl: `${url}/v1/token`,
    impersonationUrl: (serviceAccount) => `${url}/v1/projects/-/serviceAccounts/${serviceAccount}:generateAccessToken`,
    accessTokens: () => [...(options.serviceAccount ? impersonated : federated)],
    exchanges,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
