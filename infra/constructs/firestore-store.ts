import { Construct } from 'constructs';
import type { ITerraformDependable } from 'cdktf';
import { FirestoreDatabase } from '@cdktf/provider-google/lib/firestore-database/index.js';
import { ProjectIamMember } from '@cdktf/provider-google/lib/project-iam-member/index.js';

export interface FirestoreStoreConfig {
  projectId: string;
  name: string;
  location: string;
  deletionProtection: boolean;
  user: string;
  dependsOn?: ITerraformDependable[];
}

// A named database of its own, so the service neither needs nor touches the project's (default) database.
export class FirestoreStore extends Construct {
  readonly database: FirestoreDatabase;
  readonly grant: ProjectIamMember;

  constructor(scope: Construct, id: string, config: FirestoreStoreConfig) {
    super(scope, id);
    const { projectId, name, location, deletionProtection, user, dependsOn = [] } = config;
    this.database = new FirestoreDatabase(this, 'database', {
      name,
      locationId: location,
      type: 'FIRESTORE_NATIVE',
      deleteProtectionState: deletionProtection ? 'DELETE_PROTECTION_ENABLED' : 'DELETE_PROTECTION_DISABLED',
      deletionPolicy: deletionProtection ? 'ABANDON' : 'DELETE',
      dependsOn,
    });
    // Firestore has no per-database IAM resource; a condition on the database name narrows the project role.
    this.grant = new ProjectIamMember(this, 'user', {
      project: projectId,
      role: 'roles/datastore.user',
      member: user,
      condition: {
        title: `only-${name}`,
        description: `Firestore database ${name} only`,
        expression: `resource.name == "projects/${projectId}/databases/${name}"`,
      },
    });
  }
}
