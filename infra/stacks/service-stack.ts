import type { Construct } from 'constructs';
import { TerraformOutput } from 'cdktf';
import { ArtifactRegistryRepository } from '@cdktf/provider-google/lib/artifact-registry-repository/index.js';
import { ServiceAccount } from '@cdktf/provider-google/lib/service-account/index.js';
import type { InfraConfig } from '../config.js';
import { ServiceAlerts } from '../constructs/alerts.js';
import { CloudRunService } from '../constructs/cloud-run-service.js';
import { FirestoreStore } from '../constructs/firestore-store.js';
import { ServiceSecrets } from '../constructs/service-secrets.js';
import { WorkQueue } from '../constructs/work-queue.js';
import { GoogleStack } from './google-stack.js';

export type ServiceStackConfig = Pick<InfraConfig, 'project' | 'gitlab' | 'service' | 'stateBucket' | 'enableApis'> &
  Partial<Pick<InfraConfig, 'alerts'>>;

export const WEBHOOK_PATH = '/webhooks/gitlab';
export const PUSH_PATH = '/pubsub/push';

// Cloud Run's deterministic URL, known before the service exists, so the push audience can be wired into
// the service's own environment without a cycle. https://cloud.google.com/run/docs/triggering/https-request
export function deterministicServiceUrl(name: string, projectNumber: string, region: string): string {
  return `https://${name}-${projectNumber}.${region}.run.app`;
}

// What the Cloud Run service needs. Without service.image it stops short of Cloud Run and the push
// subscription: a first deploy creates the registry and secrets the service needs before it can start.
export class ServiceStack extends GoogleStack {
  constructor(scope: Construct, id: string, config: ServiceStackConfig) {
    const { project, gitlab, service, stateBucket, enableApis, alerts } = config;
    super(scope, id, {
      project,
      stateBucket,
      enableApis,
      apis: [
        'run.googleapis.com',
        'artifactregistry.googleapis.com',
        'pubsub.googleapis.com',
        'secretmanager.googleapis.com',
        'firestore.googleapis.com',
        'iam.googleapis.com',
        'logging.googleapis.com',
        'monitoring.googleapis.com',
      ],
    });
    const dependsOn = this.apis;

    const registry = new ArtifactRegistryRepository(this, 'registry', {
      repositoryId: service.name,
      location: project.region,
      format: 'DOCKER',
      description: 'Images of the claude-gitlab-flow service',
      dependsOn,
    });
    const imageRepository = `${project.region}-docker.pkg.dev/${project.id}/${registry.repositoryId}`;

    const runtime = new ServiceAccount(this, 'runtime-account', {
      accountId: `${service.name}-run`,
      displayName: 'claude-gitlab-flow service',
      description: 'Runs the Cloud Run service: publishes to its topic, reads its secrets, uses its Firestore database.',
      dependsOn,
    });

    const secretIds: Record<string, string> = {
      GITLAB_WEBHOOK_SECRET: `${service.name}-webhook-secret`,
      GITLAB_TOKEN: `${service.name}-gitlab-token`,
      GITLAB_TRIGGER_TOKEN: `${service.name}-trigger-token`,
      ...(service.statusPage ? { STATUS_TOKEN: `${service.name}-status-token` } : {}),
    };
    const secrets = new ServiceSecrets(this, 'secrets', {
      projectId: project.id,
      secrets: secretIds,
      accessor: runtime.member,
      dependsOn,
    });

    const pushAudience = `${deterministicServiceUrl(service.name, project.number, project.region)}${PUSH_PATH}`;
    const queue = new WorkQueue(this, 'queue', {
      name: service.name,
      projectNumber: project.number,
      publisher: runtime.member,
      pushAudience,
      ackDeadlineSeconds: service.ackDeadlineSeconds,
      maxDeliveryAttempts: service.maxDeliveryAttempts,
      dependsOn,
    });

    const store = new FirestoreStore(this, 'firestore', {
      projectId: project.id,
      name: service.firestoreDatabase,
      location: service.firestoreLocation,
      deletionProtection: service.deletionProtection,
      user: runtime.member,
      dependsOn,
    });

    // Counted from the service's logs, so they can exist before the service does.
    new ServiceAlerts(this, 'alerts', {
      serviceName: service.name,
      deadLetterSubscription: queue.deadLetterSubscription.name,
      notificationChannels: alerts?.notificationChannels,
      emails: alerts?.emails,
      webhook503PerFiveMinutes: alerts?.webhook503PerFiveMinutes,
      dependsOn,
    });

    new TerraformOutput(this, 'image_repository', {
      value: imageRepository,
      description: 'Push the images here: the Dockerfile\'s service target as service:TAG (then set service.image in the infra config), its runner target as runner:TAG (the templates\' CLAUDE_FLOW_IMAGE).',
    });
    new TerraformOutput(this, 'secret_commands', {
      value: secrets.addVersionCommands,
      description: 'Run each with the value on stdin to add it to Secret Manager (the values never enter Terraform state).',
    });
    new TerraformOutput(this, 'dead_letter_subscription', {
      value: queue.deadLetterSubscription.name,
      description: 'Requests that failed every delivery attempt wait here for a week.',
    });

    if (!service.image) return;

    const { GITLAB_TRIGGER_TOKEN: triggerSecret, ...requiredSecrets } = secretIds;
    const run = new CloudRunService(this, 'run', {
      name: service.name,
      region: project.region,
      image: service.image,
      serviceAccountEmail: runtime.email,
      minInstances: service.minInstances,
      maxInstances: service.maxInstances,
      concurrency: service.concurrency,
      cpu: service.cpu,
      memory: service.memory,
      timeoutSeconds: service.timeoutSeconds,
      deletionProtection: service.deletionProtection,
      env: {
        ...service.env,
        GITLAB_URL: gitlab.url,
        GOOGLE_CLOUD_PROJECT: project.id,
        PUBSUB_TOPIC: queue.topic.name,
        PUBSUB_DEAD_LETTER_TOPIC: queue.deadLetterTopic.name,
        MAX_DELIVERY_ATTEMPTS: String(service.maxDeliveryAttempts),
        PUBSUB_PUSH_AUDIENCE: pushAudience,
        PUBSUB_PUSH_SERVICE_ACCOUNT: queue.pushAccount.email,
        STORE: 'firestore',
        FIRESTORE_DATABASE: store.database.name,
      },
      secretEnv: {
        ...requiredSecrets,
        ...(service.useTriggerToken && triggerSecret ? { GITLAB_TRIGGER_TOKEN: triggerSecret } : {}),
      },
      dependsOn: [...dependsOn, ...secrets.grants, queue.publisherGrant, queue.deadLetterPublisherGrant, store.grant],
    });
    queue.pushTo(run.service, `${run.service.uri}${PUSH_PATH}`);

    new TerraformOutput(this, 'webhook_url', {
      value: `${run.service.uri}${WEBHOOK_PATH}`,
      description: 'GitLab > Settings > Webhooks: URL (secret token: the GITLAB_WEBHOOK_SECRET value).',
    });
  }
}
