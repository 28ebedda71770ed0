import { Construct } from 'constructs';
import type { ITerraformDependable } from 'cdktf';
import { IamWorkloadIdentityPool } from '@cdktf/provider-google/lib/iam-workload-identity-pool/index.js';
import { IamWorkloadIdentityPoolProvider } from '@cdktf/provider-google/lib/iam-workload-identity-pool-provider/index.js';
import { ProjectIamMember } from '@cdktf/provider-google/lib/project-iam-member/index.js';
import { ServiceAccount } from '@cdktf/provider-google/lib/service-account/index.js';
import { ServiceAccountIamMember } from '@cdktf/provider-google/lib/service-account-iam-member/index.js';
import {
  attributeCondition,
  attributeMapping,
  idTokenAudience,
  projectPrincipalSet,
  providerResourceName,
  type TrustPolicy,
} from './workload-identity-policy.js';

export interface GitlabWorkloadIdentityConfig extends TrustPolicy {
  projectId: string;
  projectNumber: string;
  gitlabUrl: string;
  jwksJson?: string;
  poolId: string;
  providerId: string;
  runnerAccountId: string;
  dependsOn?: ITerraformDependable[];
}

// Lets CI jobs of the listed GitLab projects, and only those, act as one service account that can call Vertex AI.
export class GitlabWorkloadIdentity extends Construct {
  readonly provider: IamWorkloadIdentityPoolProvider;
  readonly runner: ServiceAccount;
  readonly audience: string;

  constructor(scope: Construct, id: string, config: GitlabWorkloadIdentityConfig) {
    super(scope, id);
    const { projectId, projectNumber, gitlabUrl, jwksJson, poolId, providerId, runnerAccountId, dependsOn = [] } = config;
    this.audience = idTokenAudience(providerResourceName(projectNumber, poolId, providerId));

    const pool = new IamWorkloadIdentityPool(this, 'pool', {
      workloadIdentityPoolId: poolId,
      displayName: 'GitLab CI',
      description: `GitLab CI jobs of ${gitlabUrl} (claude-gitlab-flow)`,
      dependsOn,
    });

    this.provider = new IamWorkloadIdentityPoolProvider(this, 'provider', {
      workloadIdentityPoolId: pool.workloadIdentityPoolId,
      workloadIdentityPoolProviderId: providerId,
      displayName: 'GitLab',
      attributeMapping: attributeMapping(),
      attributeCondition: attributeCondition(config),
      oidc: {
        issuerUri: gitlabUrl,
        allowedAudiences: [this.audience],
        ...(jwksJson ? { jwksJson } : {}),
      },
    });

    this.runner = new ServiceAccount(this, 'runner', {
      accountId: runnerAccountId,
      displayName: 'Claude Code in GitLab CI',
      description: 'Impersonated by GitLab CI jobs through workload identity federation; may only call Vertex AI.',
      dependsOn,
    });

    new ProjectIamMember(this, 'runner-vertex', {
      project: projectId,
      role: 'roles/aiplatform.user',
      member: this.runner.member,
    });

    for (const gitlabProjectId of config.projectIds) {
      new ServiceAccountIamMember(this, `impersonate-${gitlabProjectId}`, {
        serviceAccountId: this.runner.name,
        role: 'roles/iam.workloadIdentityUser',
        member: projectPrincipalSet(pool.name, gitlabProjectId),
      });
    }
  }
}
