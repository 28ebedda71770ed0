import { Construct } from 'constructs';
import { ProjectService } from '@cdktf/provider-google/lib/project-service/index.js';

export interface ProjectApisConfig {
  projectId: string;
  services: readonly string[];
}

// Enables the APIs a stack uses, so a fresh project deploys in one go.
export class ProjectApis extends Construct {
  readonly enabled: ProjectService[];

  constructor(scope: Construct, id: string, config: ProjectApisConfig) {
    super(scope, id);
    const { projectId, services } = config;
    this.enabled = services.map(
      (service) =>
        new ProjectService(this, service.split('.')[0] ?? service, {
          project: projectId,
          service,
          // The other stack, or something else in the project, may use the same API: never turn it off.
          disableOnDestroy: false,
        }),
    );
  }
}
