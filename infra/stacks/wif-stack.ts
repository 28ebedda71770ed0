import type { Construct } from 'constructs';
import { TerraformOutput } from 'cdktf';
import type { InfraConfig } from '../config.js';
import { GitlabWorkloadIdentity } from '../constructs/gitlab-workload-identity.js';
import { GoogleStack } from './google-stack.js';

export type WifStackConfig = Pick<InfraConfig, 'project' | 'gitlab' | 'wif' | 'stateBucket' | 'enableApis'>;

// Everything a GitLab CI job needs to run Claude Code on Vertex AI; deployable without the service.
export class WifStack extends GoogleStack {
  constructor(scope: Construct, id: string, config: WifStackConfig) {
    const { project, gitlab, wif, stateBucket, enableApis } = config;
    super(scope, id, {
      project,
      stateBucket,
      enableApis,
      apis: ['iam.googleapis.com', 'iamcredentials.googleapis.com', 'sts.googleapis.com', 'aiplatform.googleapis.com'],
    });

    const identity = new GitlabWorkloadIdentity(this, 'gitlab', {
      projectId: project.id,
      projectNumber: project.number,
      gitlabUrl: gitlab.url,
      jwksJson: gitlab.jwksJson,
      namespaceIds: gitlab.namespaceIds,
      projectIds: gitlab.projectIds,
      requireProtectedRef: gitlab.requireProtectedRef,
      poolId: wif.poolId,
      providerId: wif.providerId,
      runnerAccountId: wif.runnerAccountId,
      dependsOn: this.apis,
    });

    // Named after the GitLab CI/CD variables the templates read, so the output can be pasted as is.
    const ciVariables: Record<string, { value: string; description: string }> = {
      GCP_WORKLOAD_IDENTITY_PROVIDER: {
        value: identity.provider.name,
        description: 'Full resource name of the workload identity provider.',
      },
      GCP_SERVICE_ACCOUNT: { value: identity.runner.email, description: 'Service account the CI job impersonates.' },
      CLOUD_ML_REGION: { value: wif.vertexRegion, description: 'Vertex AI region for Claude.' },
      ANTHROPIC_VERTEX_PROJECT_ID: { value: project.id, description: 'Project that serves Claude on Vertex AI.' },
    };
    for (const [name, { value, description }] of Object.entries(ciVariables)) {
      new TerraformOutput(this, name, { value, description: `GitLab CI/CD variable: ${description}` });
    }
    new TerraformOutput(this, 'ID_TOKEN_AUDIENCE', {
      value: identity.audience,
      description: 'The aud of the id_token in the CI job; the provider accepts only this audience.',
    });
  }
}
