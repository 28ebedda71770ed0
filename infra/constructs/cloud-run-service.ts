import { Construct } from 'constructs';
import type { ITerraformDependable } from 'cdktf';
import { CloudRunV2Service } from '@cdktf/provider-google/lib/cloud-run-v2-service/index.js';
import { CloudRunV2ServiceIamMember } from '@cdktf/provider-google/lib/cloud-run-v2-service-iam-member/index.js';

export interface CloudRunServiceConfig {
  name: string;
  region: string;
  image: string;
  serviceAccountEmail: string;
  minInstances: number;
  maxInstances: number;
  concurrency: number;
  cpu: string;
  memory: string;
  timeoutSeconds: number;
  deletionProtection: boolean;
  env: Record<string, string>;
  // Environment variable name → Secret Manager secret id.
  secretEnv: Record<string, string>;
  // The service account must be able to read the secrets before the first revision starts.
  dependsOn?: ITerraformDependable[];
}

const HEALTH_PATH = '/healthz';

// The webhook receiver and push worker (the image's default command, `serve`), reachable from GitLab without Google credentials:
// the service checks X-Gitlab-Token itself, and the push route checks the OIDC token.
export class CloudRunService extends Construct {
  readonly service: CloudRunV2Service;

  constructor(scope: Construct, id: string, config: CloudRunServiceConfig) {
    super(scope, id);
    const { name, region, image, serviceAccountEmail, env, secretEnv, dependsOn = [] } = config;

    this.service = new CloudRunV2Service(this, 'service', {
      name,
      location: region,
      ingress: 'INGRESS_TRAFFIC_ALL',
      deletionProtection: config.deletionProtection,
      template: {
        serviceAccount: serviceAccountEmail,
        timeout: `${config.timeoutSeconds}s`,
        maxInstanceRequestConcurrency: config.concurrency,
        scaling: { minInstanceCount: config.minInstances, maxInstanceCount: config.maxInstances },
        containers: [
          {
            image,
            ports: { containerPort: 8080 },
            resources: { limits: { cpu: config.cpu, memory: config.memory } },
            env: [
              ...Object.entries(env).map(([envName, value]) => ({ name: envName, value })),
              ...Object.entries(secretEnv).map(([envName, secret]) => ({
                name: envName,
                // "latest" is read when an instance starts: running instances keep the value they started with.
                valueSource: { secretKeyRef: { secret, version: 'latest' } },
              })),
            ],
            startupProbe: {
              httpGet: { path: HEALTH_PATH },
              periodSeconds: 2,
              timeoutSeconds: 1,
              failureThreshold: 15,
            },
            livenessProbe: {
              httpGet: { path: HEALTH_PATH },
              periodSeconds: 30,
              timeoutSeconds: 3,
              failureThreshold: 3,
            },
          },
        ],
      },
      dependsOn,
    });

    // GitLab cannot present Google credentials; the service authenticates webhooks by their secret token.
    new CloudRunV2ServiceIamMember(this, 'public', {
      name: this.service.name,
      location: this.service.location,
      role: 'roles/run.invoker',
      member: 'allUsers',
    });
  }
}
