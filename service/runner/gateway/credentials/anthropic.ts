import { CredentialError, type CredentialAdapter } from './credential.js';

/** The Claude API key (x-api-key), or a bearer token for an LLM gateway that wants one (ANTHROPIC_AUTH_TOKEN). */
export function anthropicCredential(env: NodeJS.ProcessEnv): CredentialAdapter {
  const apiKey = env.ANTHROPIC_API_KEY || null;
  const authToken = env.ANTHROPIC_AUTH_TOKEN || null;
  return {
    async headersFor(): Promise<Record<string, string>> {
      if (apiKey) return { 'x-api-key': apiKey };
      if (authToken) return { authorization: `Bearer ${authToken}` };
      throw new CredentialError('neither ANTHROPIC_API_KEY nor ANTHROPIC_AUTH_TOKEN is set in the job');
    },
    secretValues: () => [apiKey, authToken].filter((value): value is string => value !== null),
  };
}
