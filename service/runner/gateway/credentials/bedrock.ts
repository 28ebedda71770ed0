import { Hash } from '@smithy/hash-node';
import { SignatureV4 } from '@smithy/signature-v4';
import { CredentialError, type CredentialAdapter } from './credential.js';

// Bedrock's SigV4 signature (service `bedrock`), with the AWS keys the job got from
// assume-role-with-web-identity. The signature covers the method, path, query, host, content type and body hash;
// the other headers Claude Code sends travel unsigned, so nothing on the way can break the signature by adding one.

const SIGNED_HEADERS = ['content-type'];

export function bedrockCredential(env: NodeJS.ProcessEnv): CredentialAdapter {
  const accessKeyId = env.AWS_ACCESS_KEY_ID || null;
  const secretAccessKey = env.AWS_SECRET_ACCESS_KEY || null;
  const sessionToken = env.AWS_SESSION_TOKEN || undefined;
  const region = env.AWS_REGION || env.AWS_DEFAULT_REGION || null;
  const signer =
    accessKeyId && secretAccessKey && region
      ? new SignatureV4({
          service: 'bedrock',
          region,
          credentials: { accessKeyId, secretAccessKey, sessionToken },
          sha256: Hash.bind(null, 'sha256'),
        })
      : null;
  return {
    async headersFor(request) {
      if (!signer) {
        const missing = ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY'].filter((name) => !env[name]);
        if (!region) missing.push('AWS_REGION');
        throw new CredentialError(`${missing.join(', ')} not set in the job (did assume-role-with-web-identity fail?)`);
      }
      const headers: Record<string, string> = { host: request.url.host };
      for (const name of SIGNED_HEADERS) if (request.headers[name]) headers[name] = request.headers[name]!;
      const signed = await signer.sign({
        method: request.method,
        protocol: request.url.protocol,
        hostname: request.url.hostname,
        port: request.url.port ? Number(request.url.port) : undefined,
        path: request.url.pathname,
        query: Object.fromEntries(request.url.searchParams),
        headers,
        body: request.body,
      });
      const out: Record<string, string> = {};
      for (const [name, value] of Object.entries(signed.headers))
        if (!(name.toLowerCase() in headers)) out[name.toLowerCase()] = value;
      return out;
    },
    secretValues: () => [secretAccessKey, sessionToken].filter((value): value is string => !!value),
  };
}
