import { Construct } from 'constructs';
import type { ITerraformDependable } from 'cdktf';
import { SecretManagerSecret } from '@cdktf/provider-google/lib/secret-manager-secret/index.js';
import { SecretManagerSecretIamMember } from '@cdktf/provider-google/lib/secret-manager-secret-iam-member/index.js';

export interface ServiceSecretsConfig {
  projectId: string;
  // Environment variable name → secret id.
  secrets: Record<string, string>;
  accessor: string;
  dependsOn?: ITerraformDependable[];
}

// Secret containers only: values never pass through Terraform state; an operator adds versions with gcloud.
export class ServiceSecrets extends Construct {
  readonly secrets: Record<string, SecretManagerSecret> = {};
  readonly grants: SecretManagerSecretIamMember[] = [];
  readonly addVersionCommands: Record<string, string> = {};

  constructor(scope: Construct, id: string, config: ServiceSecretsConfig) {
    super(scope, id);
    const { projectId, secrets, accessor, dependsOn = [] } = config;
    for (const [envName, secretId] of Object.entries(secrets)) {
      const secret = new SecretManagerSecret(this, secretId, {
        secretId,
        replication: { auto: {} },
        dependsOn,
      });
      this.secrets[envName] = secret;
      this.grants.push(
        new SecretManagerSecretIamMember(this, `${secretId}-accessor`, {
          secretId: secret.id,
          role: 'roles/secretmanager.secretAccessor',
          member: accessor,
        }),
      );
      // Reads the value from stdin so it lands in neither the shell history nor the process list.
      this.addVersionCommands[envName] =
        `gcloud secrets versions add ${secretId} --project=${projectId} --data-file=-`;
    }
  }
}
