import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startAnthropicStandIn } from '../../../standins/model/anthropic.js';
import { startBedrockStandIn, type AwsTestKeys } from '../../../standins/model/bedrock.js';
import { startGoogleStandIn, type GoogleStandIn } from '../../../standins/model/google.js';
import type { ModelRequest, ModelStandIn, Script } from '../../../standins/model/standin.js';
import { startVertexStandIn } from '../../../standins/model/vertex.js';

// One upstream per provider, and the job environment that points the gateway at it with real-looking
// credentials. `accepted` lists the model requests the upstream let through on their credential.

export interface ProviderSetup {
  /** The job's environment as the gateway reads it. */
  jobEnv: NodeJS.ProcessEnv;
  upstream: ModelStandIn;
  accepted(): ModelRequest[];
  /** The credential values the job holds (and the agent must never see). */
  credentials: string[];
  close(): Promise<void>;
}

const secret = (prefix: string) => `${prefix}${randomBytes(20).toString('hex')}`;

export async function anthropicSetup(script: Script, options: { wrongKey?: boolean } = {}): Promise<ProviderSetup> {
  const apiKey = secret('sk-ant-api03-');
  const upstream = await startAnthropicStandIn({ script, apiKey });
  const jobKey = options.wrongKey ? secret('sk-ant-api03-') : apiKey;
  return {
    jobEnv: { ANTHROPIC_API_KEY: jobKey, ANTHROPIC_BASE_URL: upstream.url },
    upstream,
    accepted: () => upstream.authorized,
    credentials: [jobKey],
    close: () => upstream.close(),
  };
}

/** Workload Identity Federation as the Vertex template sets it up: an external_account file, the ID token in a file. */
export async function vertexSetup(
  script: Script,
  options: { strangerGoogle?: boolean } = {}
): Promise<ProviderSetup & { google: GoogleStandIn }> {
  const dir = mkdtempSync(join(tmpdir(), 'gateway-vertex-'));
  const idToken = secret('eyJhbGciOiJSUzI1NiJ9.gitlab.');
  const audience = '//iam.googleapis.com/projects/123/locations/global/workloadIdentityPools/gitlab/providers/gitlab';
  const serviceAccount = 'claude-runner@proj.iam.gserviceaccount.com';
  const google = await startGoogleStandIn({ subjectToken: idToken, audience, serviceAccount });
  // A Google that issues tokens the Vertex stand-in never saw: a credential the upstream refuses.
  const issuer = options.strangerGoogle
    ? await startGoogleStandIn({ subjectToken: idToken, audience, serviceAccount })
    : google;
  const upstream = await startVertexStandIn({ script, google });
  writeFileSync(join(dir, 'gitlab-id-token'), idToken);
  writeFileSync(
    join(dir, 'credentials.json'),
    JSON.stringify({
      type: 'external_account',
      audience,
      subject_token_type: 'urn:ietf:params:oauth:token-type:jwt',
      token_url: issuer.tokenUrl,
      credential_source: { file: join(dir, 'gitlab-id-token'), format: { type: 'text' } },
      service_account_impersonation_url: issuer.impersonationUrl(serviceAccount),
    })
  );
  return {
    jobEnv: {
      CLAUDE_CODE_USE_VERTEX: '1',
      ANTHROPIC_VERTEX_PROJECT_ID: 'proj',
      CLOUD_ML_REGION: 'us-east5',
      ANTHROPIC_VERTEX_BASE_URL: `${upstream.url}/v1`,
      GOOGLE_APPLICATION_CREDENTIALS: join(dir, 'credentials.json'),
      GCP_ID_TOKEN: idToken,
    },
    upstream,
    google,
    accepted: () => upstream.authorized,
    credentials: [idToken],
    close: async () => {
      await upstream.close();
      await google.close();
      if (issuer !== google) await issuer.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export async function bedrockSetup(script: Script, options: { wrongSecret?: boolean } = {}): Promise<ProviderSetup> {
  const keys: AwsTestKeys = {
    accessKeyId: 'ASIATESTGATEWAY00001',
    secretAccessKey: secret(''),
    sessionToken: secret('IQoJb3JpZ2luX2VjE'),
  };
  const region = 'us-west-2';
  const upstream = await startBedrockStandIn({ script, keys, region });
  const secretAccessKey = options.wrongSecret ? secret('') : keys.secretAccessKey;
  return {
    jobEnv: {
      CLAUDE_CODE_USE_BEDROCK: '1',
      AWS_REGION: region,
      AWS_ACCESS_KEY_ID: keys.accessKeyId,
      AWS_SECRET_ACCESS_KEY: secretAccessKey,
      AWS_SESSION_TOKEN: keys.sessionToken,
      ANTHROPIC_BEDROCK_BASE_URL: upstream.url,
    },
    upstream,
    accepted: () => upstream.authorized,
    credentials: [secretAccessKey, keys.sessionToken],
    close: () => upstream.close(),
  };
}
