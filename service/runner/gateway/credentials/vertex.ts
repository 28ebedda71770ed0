import { GoogleAuth } from 'google-auth-library';
import { CredentialError, type CredentialAdapter } from './credential.js';

// A Vertex AI access token through google-auth-library: from GOOGLE_APPLICATION_CREDENTIALS (the template's
// Workload Identity Federation `external_account` file, which exchanges the GitLab ID token at Google's STS and
// may impersonate a service account), or Application Default Credentials without it. The library caches the
// token and refreshes it before it expires.

const CLOUD_PLATFORM = 'https://www.googleapis.com/auth/cloud-platform';

export function vertexCredential(env: NodeJS.ProcessEnv): CredentialAdapter {
  const keyFilename = env.GOOGLE_APPLICATION_CREDENTIALS || undefined;
  const auth = new GoogleAuth({ scopes: [CLOUD_PLATFORM], keyFilename });
  const tokens = new Set<string>();
  return {
    async headersFor(request) {
      let headers: Headers;
      try {
        const client = await auth.getClient();
        headers = await client.getRequestHeaders(request.url);
      } catch (error) {
        const source = keyFilename
          ? 'the credential file in GOOGLE_APPLICATION_CREDENTIALS'
          : 'Application Default Credentials';
        throw new CredentialError(`could not get a Google access token from ${source}: ${(error as Error).message}`);
      }
      const out: Record<string, string> = {};
      headers.forEach((value, name) => {
        out[name] = value;
      });
      const token = /^Bearer (.+)$/i.exec(out.authorization ?? '')?.[1];
      if (!token) throw new CredentialError('google-auth-library returned no bearer token');
      tokens.add(token);
      return out;
    },
    secretValues: () => [...tokens],
  };
}
