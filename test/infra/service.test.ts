import { describe, expect, it } from 'vitest';
import { broadRoleProblems, securityProblems, subscriptionProblems, type TrustExpectations } from './security-checks.js';
import { configWith, onlyResource, resourcesOf, synthStacks, type Json, type TfJson } from './helpers.js';

const config = configWith();
const { service } = synthStacks(config);
const expected: TrustExpectations = {
  namespaceIds: config.gitlab.namespaceIds,
  projectIds: config.gitlab.projectIds,
  runnerAccountId: config.wif.runnerAccountId,
};
const agent = 'serviceAccount:service-123456789012@gcp-sa-pubsub.iam.gserviceaccount.com';
const audience = 'https://claude-gitlab-flow-123456789012.europe-west1.run.app/pubsub/push';

function mutated(change: (json: TfJson) => void): TfJson {
  const copy = structuredClone(service);
  change(copy);
  return copy;
}
const run = (json: TfJson): Json => onlyResource(json, 'google_cloud_run_v2_service');
const container = (json: TfJson): Json => run(json).template.containers[0];
const env = (json: TfJson): Record<string, unknown> =>
  Object.fromEntries((container(json).env as Json[]).map((e) => [e.name, e.value ?? e.value_source]));
const subscription = (json: TfJson, name: string): Json =>
  resourcesOf(json, 'google_pubsub_subscription').find((s) => s.name === name)!;
const push = (json: TfJson): Json => subscription(json, 'claude-gitlab-flow-push');
const accountRef = (json: TfJson, accountId: string): string => {
  const [key] = Object.entries(json.resource!.google_service_account!).find(([, b]) => b.account_id === accountId)!;
  return `\${google_service_account.${key}.member}`;
};
// Every grant to `member`, as [resource type, role, scoped to] triples.
function grantsTo(json: TfJson, member: string): string[][] {
  return Object.entries(json.resource ?? {})
    .filter(([type]) => type.endsWith('_iam_member'))
    .flatMap(([type, byName]) =>
      Object.values(byName)
        .filter((b) => b.member === member)
        .map((b) => [type, b.role, b.topic ?? b.secret_id ?? b.subscription ?? b.service_account_id ?? b.name ?? b.condition?.expression]),
    )
    .sort();
}

describe('service stack', () => {
  it('runs the image on Cloud Run with its own account, probes, scaling and deletion protection', () => {
    expect(run(service)).toMatchObject({
      name: 'claude-gitlab-flow',
      location: 'europe-west1',
      ingress: 'INGRESS_TRAFFIC_ALL',
      deletion_protection: true,
      template: {
        service_account: '${google_service_account.runtime-account.email}',
        max_instance_request_concurrency: 80,
        scaling: { min_instance_count: 0, max_instance_count: 3 },
      },
    });
    expect(container(service)).toMatchObject({
      image: config.service.image,
      startup_probe: { http_get: { path: '/healthz' } },
      liveness_probe: { http_get: { path: '/healthz' } },
    });
    const unprotected = synthStacks(configWith({ service: { deletionProtection: false, minInstances: 1, maxInstances: 5, concurrency: 10 } })).service;
    expect(run(unprotected)).toMatchObject({
      deletion_protection: false,
      template: { max_instance_request_concurrency: 10, scaling: { min_instance_count: 1, max_instance_count: 5 } },
    });
    expect(onlyResource(unprotected, 'google_firestore_database')).toMatchObject({
      delete_protection_state: 'DELETE_PROTECTION_DISABLED',
      deletion_policy: 'DELETE',
    });
  });

  it('wires the service environment, secrets from Secret Manager by reference', () => {
    expect(env(service)).toEqual({
      TRIGGER_PHRASE: '@claude',
      LOG_LEVEL: 'info',
      GITLAB_URL: 'https://gitlab.com',
      GOOGLE_CLOUD_PROJECT: 'my-gcp-project',
      PUBSUB_TOPIC: expect.stringMatching(/^\$\{google_pubsub_topic\.queue_topic_\w+\.name\}$/),
      PUBSUB_DEAD_LETTER_TOPIC: expect.stringMatching(/^\$\{google_pubsub_topic\.queue_dead-letter_\w+\.name\}$/),
      MAX_DELIVERY_ATTEMPTS: '10',
      PUBSUB_PUSH_AUDIENCE: audience,
      PUBSUB_PUSH_SERVICE_ACCOUNT: expect.stringMatching(/^\$\{google_service_account\.queue_push-account_\w+\.email\}$/),
      STORE: 'firestore',
      FIRESTORE_DATABASE: expect.stringMatching(/^\$\{google_firestore_database\.\w+\.name\}$/),
      GITLAB_WEBHOOK_SECRET: { secret_key_ref: { secret: 'claude-gitlab-flow-webhook-secret', version: 'latest' } },
      GITLAB_TOKEN: { secret_key_ref: { secret: 'claude-gitlab-flow-gitlab-token', version: 'latest' } },
      GITLAB_TRIGGER_TOKEN: { secret_key_ref: { secret: 'claude-gitlab-flow-trigger-token', version: 'latest' } },
    });
    const withoutTrigger = synthStacks(configWith({ service: { useTriggerToken: false } })).service;
    expect(env(withoutTrigger)).not.toHaveProperty('GITLAB_TRIGGER_TOKEN');
  });

  it('creates the secrets without values, and says how to add them', () => {
    expect(resourcesOf(service, 'google_secret_manager_secret').map((s) => s.secret_id).sort()).toEqual([
      'claude-gitlab-flow-gitlab-token',
      'claude-gitlab-flow-trigger-token',
      'claude-gitlab-flow-webhook-secret',
    ]);
    expect(service.resource).not.toHaveProperty('google_secret_manager_secret_version');
    expect(service.output?.secret_commands?.value).toEqual({
      GITLAB_WEBHOOK_SECRET: 'gcloud secrets versions add claude-gitlab-flow-webhook-secret --project=my-gcp-project --data-file=-',
      GITLAB_TOKEN: 'gcloud secrets versions add claude-gitlab-flow-gitlab-token --project=my-gcp-project --data-file=-',
      GITLAB_TRIGGER_TOKEN: 'gcloud secrets versions add claude-gitlab-flow-trigger-token --project=my-gcp-project --data-file=-',
    });
  });

  it('with service.statusPage, creates a STATUS_TOKEN secret and gives it to the service', () => {
    const withStatus = synthStacks(configWith({ service: { statusPage: true } })).service;
    expect(resourcesOf(withStatus, 'google_secret_manager_secret').map((s) => s.secret_id)).toContain('claude-gitlab-flow-status-token');
    expect(env(withStatus).STATUS_TOKEN).toEqual({ secret_key_ref: { secret: 'claude-gitlab-flow-status-token', version: 'latest' } });
    expect(env(service)).not.toHaveProperty('STATUS_TOKEN');
  });

  it('pushes ordered messages with an OIDC token, retries, then dead-letters', () => {
    expect(push(service)).toMatchObject({
      topic: expect.stringMatching(/^\$\{google_pubsub_topic\.queue_topic_\w+\.id\}$/),
      enable_message_ordering: false,
      push_config: {
        push_endpoint: expect.stringMatching(/^\$\{google_cloud_run_v2_service\.\w+\.uri\}\/pubsub\/push$/),
        oidc_token: { audience, service_account_email: env(service).PUBSUB_PUSH_SERVICE_ACCOUNT },
      },
      retry_policy: { minimum_backoff: '10s', maximum_backoff: '600s' },
      dead_letter_policy: {
        dead_letter_topic: expect.stringMatching(/^\$\{google_pubsub_topic\.queue_dead-letter_\w+\.id\}$/),
        max_delivery_attempts: 10,
      },
    });
    expect(subscription(service, 'claude-gitlab-flow-dead-letter').topic).toBe(push(service).dead_letter_policy.dead_letter_topic);
  });

  it("grants the Pub/Sub service agent what dead-lettering needs, on the one topic and subscription", () => {
    expect(grantsTo(service, agent)).toEqual([
      ['google_pubsub_subscription_iam_member', 'roles/pubsub.subscriber', expect.stringMatching(/queue_push_\w+\.name/)],
      ['google_pubsub_topic_iam_member', 'roles/pubsub.publisher', expect.stringMatching(/queue_dead-letter_\w+\.name/)],
      ['google_service_account_iam_member', 'roles/iam.serviceAccountTokenCreator', expect.stringMatching(/queue_push-account_\w+\.name/)],
    ]);
  });

  it('gives the runtime account exactly: publisher on its topic and its dead-letter topic, accessor on each secret, its Firestore database', () => {
    expect(grantsTo(service, accountRef(service, 'claude-gitlab-flow-run'))).toEqual([
      ['google_project_iam_member', 'roles/datastore.user', 'resource.name == "projects/my-gcp-project/databases/claude-gitlab-flow"'],
      ['google_pubsub_topic_iam_member', 'roles/pubsub.publisher', expect.stringMatching(/queue_dead-letter_\w+\.name/)],
      ['google_pubsub_topic_iam_member', 'roles/pubsub.publisher', expect.stringMatching(/queue_topic_\w+\.name/)],
      ...['gitlab-token', 'trigger-token', 'webhook-secret'].map((s) => [
        'google_secret_manager_secret_iam_member',
        'roles/secretmanager.secretAccessor',
        expect.stringContaining(`claude-gitlab-flow-${s}_`),
      ]),
    ]);
  });

  it('lets the push account invoke the service and nothing else; anyone may call the webhook', () => {
    expect(grantsTo(service, accountRef(service, 'claude-gitlab-flow-push'))).toEqual([
      ['google_cloud_run_v2_service_iam_member', 'roles/run.invoker', expect.stringMatching(/^\$\{google_cloud_run_v2_service\./)],
    ]);
    expect(grantsTo(service, 'allUsers')).toEqual([
      ['google_cloud_run_v2_service_iam_member', 'roles/run.invoker', expect.stringMatching(/^\$\{google_cloud_run_v2_service\./)],
    ]);
  });

  it('creates the registry and a Firestore database of its own', () => {
    expect(onlyResource(service, 'google_artifact_registry_repository')).toMatchObject({ format: 'DOCKER', repository_id: 'claude-gitlab-flow' });
    expect(onlyResource(service, 'google_firestore_database')).toMatchObject({
      name: 'claude-gitlab-flow',
      type: 'FIRESTORE_NATIVE',
      location_id: 'europe-west1',
      delete_protection_state: 'DELETE_PROTECTION_ENABLED',
    });
  });

  it('outputs the webhook URL', () => {
    expect(service.output?.webhook_url?.value).toMatch(/^\$\{google_cloud_run_v2_service\.\w+\.uri\}\/webhooks\/gitlab$/);
  });

  it('without an image, stops before Cloud Run and the push subscription', () => {
    const firstDeploy = synthStacks(configWith({ service: { image: null } })).service;
    expect(firstDeploy.resource).not.toHaveProperty('google_cloud_run_v2_service');
    expect(resourcesOf(firstDeploy, 'google_pubsub_subscription').map((s) => s.name)).toEqual(['claude-gitlab-flow-dead-letter']);
    expect(Object.keys(firstDeploy.output ?? {}).sort()).toEqual(['dead_letter_subscription', 'image_repository', 'secret_commands']);
    expect(securityProblems(firstDeploy, expected)).toEqual([]);
  });

  it('has none of the security mistakes', () => {
    expect(securityProblems(service, expected)).toEqual([]);
  });
});

describe('service security checks catch', () => {
  it('a push subscription without an OIDC token', () => {
    const broken = mutated((json) => delete push(json).push_config.oidc_token);
    expect(subscriptionProblems(broken)).toEqual([expect.stringContaining('without an OIDC token')]);
  });

  it('a subscription without a dead-letter policy', () => {
    const broken = mutated((json) => delete push(json).dead_letter_policy);
    expect(subscriptionProblems(broken)).toEqual([expect.stringContaining('no dead-letter policy')]);
  });

  it('a dead-letter topic nobody subscribes to', () => {
    const broken = mutated((json) => {
      delete json.resource!.google_pubsub_subscription![
        Object.keys(json.resource!.google_pubsub_subscription!).find((k) => k.startsWith('queue_dead-letter-sub'))!
      ];
    });
    expect(subscriptionProblems(broken)).toEqual([expect.stringContaining('dead letters would be dropped')]);
  });

  it('broad or project-wide roles, and public access beyond invoking the service', () => {
    for (const [grant, problem] of [
      [{ role: 'roles/editor', member: accountRef(service, 'claude-gitlab-flow-run') }, 'grants roles/editor'],
      [{ role: 'roles/owner', member: 'user:a@example.com' }, 'grants roles/owner'],
      [{ role: 'roles/iam.serviceAccountUser', member: 'user:a@example.com' }, 'on the whole project'],
      [{ role: 'roles/iam.serviceAccountTokenCreator', member: agent }, 'on the whole project'],
      [{ role: 'roles/pubsub.viewer', member: 'allUsers' }, 'public access'],
    ] as const) {
      const broken = mutated((json) => {
        json.resource!.google_project_iam_member!.extra = { project: 'my-gcp-project', ...grant };
      });
      expect(broadRoleProblems(broken)).toEqual([expect.stringContaining(problem)]);
    }
    const authoritative = mutated((json) => {
      json.resource!.google_project_iam_policy = { p: { project: 'x', policy_data: '{"bindings":[{"role":"roles/owner"}]}' } };
    });
    expect(broadRoleProblems(authoritative)).toEqual([
      expect.stringContaining('grants roles/owner'),
      expect.stringContaining('authoritative'),
    ]);
  });
});
