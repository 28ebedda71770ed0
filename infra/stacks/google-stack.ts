import type { Construct } from 'constructs';
import { GcsBackend, TerraformStack, type ITerraformDependable } from 'cdktf';
import { DataGoogleProject } from '@cdktf/provider-google/lib/data-google-project/index.js';
import { GoogleProvider } from '@cdktf/provider-google/lib/provider/index.js';
import { ProjectApis } from '../constructs/project-apis.js';

export interface GoogleStackConfig {
  project: { id: string; number: string; region: string };
  stateBucket?: string;
  enableApis: boolean;
  apis: readonly string[];
}

// What each stack needs before its first resource: the provider, where state lives, the APIs, and a
// check that the configured project number is the project's (audiences and agent e-mails are built from it).
export abstract class GoogleStack extends TerraformStack {
  protected readonly apis: ITerraformDependable[];

  constructor(scope: Construct, id: string, config: GoogleStackConfig) {
    super(scope, id);
    const { project, stateBucket, enableApis, apis } = config;

    new GoogleProvider(this, 'google', {
      project: project.id,
      region: project.region,
      defaultLabels: { app: 'claude-gitlab-flow' },
    });
    if (stateBucket) new GcsBackend(this, { bucket: stateBucket, prefix: `claude-gitlab-flow/${id}` });

    new DataGoogleProject(this, 'project', {
      projectId: project.id,
      lifecycle: {
        postcondition: [
          {
            condition: `\${self.number == "${project.number}"}`,
            errorMessage: `project.number in the infra config is not the number of project ${project.id}: get it with gcloud projects describe ${project.id} --format="value(projectNumber)".`,
          },
        ],
      },
    });

    this.apis = enableApis ? new ProjectApis(this, 'apis', { projectId: project.id, services: apis }).enabled : [];
  }
}
