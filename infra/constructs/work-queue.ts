import { Construct } from 'constructs';
import type { ITerraformDependable } from 'cdktf';
import type { CloudRunV2Service } from '@cdktf/provider-google/lib/cloud-run-v2-service/index.js';
import { CloudRunV2ServiceIamMember } from '@cdktf/provider-google/lib/cloud-run-v2-service-iam-member/index.js';
import { PubsubSubscription } from '@cdktf/provider-google/lib/pubsub-subscription/index.js';
import { PubsubSubscriptionIamMember } from '@cdktf/provider-google/lib/pubsub-subscription-iam-member/index.js';
import { PubsubTopic } from '@cdktf/provider-google/lib/pubsub-topic/index.js';
import { PubsubTopicIamMember } from '@cdktf/provider-google/lib/pubsub-topic-iam-member/index.js';
import { ServiceAccount } from '@cdktf/provider-google/lib/service-account/index.js';
import { ServiceAccountIamMember } from '@cdktf/provider-google/lib/service-account-iam-member/index.js';

export interface WorkQueueConfig {
  name: string;
  projectNumber: string;
  publisher: string;
  pushAudience: string;
  ackDeadlineSeconds: number;
  maxDeliveryAttempts: number;
  dependsOn?: ITerraformDependable[];
}

const WEEK = '604800s';

// The topic the webhook publishes to, its dead-letter topic, and (once the service exists) the
// OIDC-authenticated push subscription that delivers to the worker.
export class WorkQueue extends Construct {
  readonly topic: PubsubTopic;
  readonly deadLetterTopic: PubsubTopic;
  readonly deadLetterSubscription: PubsubSubscription;
  readonly pushAccount: ServiceAccount;
  readonly publisherGrant: PubsubTopicIamMember;
  readonly deadLetterPublisherGrant: PubsubTopicIamMember;
  private readonly config: WorkQueueConfig;
  private readonly pubsubAgent: string;

  constructor(scope: Construct, id: string, config: WorkQueueConfig) {
    super(scope, id);
    const { name, projectNumber, publisher, dependsOn = [] } = config;
    this.config = config;
    this.pubsubAgent = `serviceAccount:service-${projectNumber}@gcp-sa-pubsub.iam.gserviceaccount.com`;

    this.topic = new PubsubTopic(this, 'topic', { name: `${name}-requests`, dependsOn });
    this.publisherGrant = new PubsubTopicIamMember(this, 'publisher', {
      topic: this.topic.name,
      role: 'roles/pubsub.publisher',
      member: publisher,
    });

    this.deadLetterTopic = new PubsubTopic(this, 'dead-letter', { name: `${name}-dead-letter`, dependsOn });
    // The service dead-letters by its own attempt count too (one code path with the emulator, which
    // has none), so it may publish here as well; nothing else.
    this.deadLetterPublisherGrant = new PubsubTopicIamMember(this, 'dead-letter-publisher', {
      topic: this.deadLetterTopic.name,
      role: 'roles/pubsub.publisher',
      member: publisher,
    });
    // A topic without a subscription drops what it receives: this one keeps dead letters for a week.
    this.deadLetterSubscription = new PubsubSubscription(this, 'dead-letter-sub', {
      name: `${name}-dead-letter`,
      topic: this.deadLetterTopic.id,
      messageRetentionDuration: WEEK,
      expirationPolicy: { ttl: '' },
    });
    // Pub/Sub moves a message to the dead-letter topic as its own service agent.
    new PubsubTopicIamMember(this, 'agent-dead-letter-publisher', {
      topic: this.deadLetterTopic.name,
      role: 'roles/pubsub.publisher',
      member: this.pubsubAgent,
    });

    this.pushAccount = new ServiceAccount(this, 'push-account', {
      accountId: `${name}-push`,
      displayName: 'Pub/Sub push to claude-gitlab-flow',
      description: 'Identity in the OIDC token of Pub/Sub push requests; may only invoke the service.',
      dependsOn,
    });
    // Projects created before 2021-04-08 need this for Pub/Sub to mint the push token; scoped to the one account.
    new ServiceAccountIamMember(this, 'agent-token-creator', {
      serviceAccountId: this.pushAccount.name,
      role: 'roles/iam.serviceAccountTokenCreator',
      member: this.pubsubAgent,
    });
  }

  // Delivery waits for the service, whose URL is the push endpoint.
  pushTo(service: CloudRunV2Service, endpoint: string): PubsubSubscription {
    const { name, pushAudience, ackDeadlineSeconds, maxDeliveryAttempts } = this.config;
    new CloudRunV2ServiceIamMember(this, 'push-invoker', {
      name: service.name,
      location: service.location,
      role: 'roles/run.invoker',
      member: this.pushAccount.member,
    });
    const subscription = new PubsubSubscription(this, 'push', {
      name: `${name}-push`,
      topic: this.topic.id,
      // Not ordered, on purpose: the worker holds a message through its thread's debounce window and
      // while it waits for a project slot; an ordered subscription would stall every later message of
      // that project (no coalescing, and the Pipeline Hook that frees the slot stuck behind the waiter).
      // Publishes carry no ordering key either; order and limits come from Firestore.
      enableMessageOrdering: false,
      ackDeadlineSeconds,
      messageRetentionDuration: WEEK,
      expirationPolicy: { ttl: '' },
      retryPolicy: { minimumBackoff: '10s', maximumBackoff: '600s' },
      deadLetterPolicy: { deadLetterTopic: this.deadLetterTopic.id, maxDeliveryAttempts },
      pushConfig: {
        pushEndpoint: endpoint,
        oidcToken: { serviceAccountEmail: this.pushAccount.email, audience: pushAudience },
      },
    });
    // Pub/Sub acknowledges the original after dead-lettering it, again as its service agent.
    new PubsubSubscriptionIamMember(this, 'agent-subscriber', {
      subscription: subscription.name,
      role: 'roles/pubsub.subscriber',
      member: this.pubsubAgent,
    });
    return subscription;
  }
}
