import { Construct } from 'constructs';
import type { ITerraformDependable } from 'cdktf';
import { LoggingMetric } from '@cdktf/provider-google/lib/logging-metric/index.js';
import { MonitoringAlertPolicy } from '@cdktf/provider-google/lib/monitoring-alert-policy/index.js';
import { MonitoringNotificationChannel } from '@cdktf/provider-google/lib/monitoring-notification-channel/index.js';
import { EVENT_METRICS, eventFilter, type EventMetricKey } from './alert-metrics.js';

export interface ServiceAlertsConfig {
  /** The Cloud Run service whose logs are counted. */
  serviceName: string;
  /** The dead-letter subscription, whose backlog is the other sign of dead letters. */
  deadLetterSubscription: string;
  /** Existing notification channels (projects/<p>/notificationChannels/<id>). */
  notificationChannels?: readonly string[];
  /** E-mail addresses that get a channel each. */
  emails?: readonly string[];
  /** 503 answers to webhooks, within five minutes, that open an incident. */
  webhook503PerFiveMinutes?: number;
  dependsOn?: ITerraformDependable[];
}

const FIVE_MINUTES = '300s';

// Log-based counters of the service's events, and two alert policies on them: anything dead-lettered,
// and webhooks answered 503 (GitLab disables a webhook after four failures in a row).
export class ServiceAlerts extends Construct {
  readonly metrics: Record<EventMetricKey, LoggingMetric>;
  readonly deadLetterPolicy: MonitoringAlertPolicy;
  readonly webhook503Policy: MonitoringAlertPolicy;

  constructor(scope: Construct, id: string, config: ServiceAlertsConfig) {
    super(scope, id);
    const {
      serviceName,
      notificationChannels = [],
      emails = [],
      webhook503PerFiveMinutes = 5,
      dependsOn = [],
    } = config;
    this.metrics = Object.fromEntries(
      (Object.keys(EVENT_METRICS) as EventMetricKey[]).map((key) => {
        const spec = EVENT_METRICS[key];
        const metric = new LoggingMetric(this, spec.id, {
          name: `${serviceName}/${spec.id}`,
          description: spec.description,
          filter: eventFilter(serviceName, spec),
          metricDescriptor: { metricKind: 'DELTA', valueType: 'INT64', unit: '1' },
          dependsOn,
        });
        return [key, metric];
      }),
    ) as Record<EventMetricKey, LoggingMetric>;
    const channels = [
      ...notificationChannels,
      ...emails.map(
        (email, index) =>
          new MonitoringNotificationChannel(this, `email-${index}`, {
            displayName: `${serviceName} alerts: ${email}`,
            type: 'email',
            labels: { email_address: email },
            dependsOn,
          }).name,
      ),
    ];
    this.deadLetterPolicy = this.deadLetters(serviceName, config.deadLetterSubscription, channels, dependsOn);
    this.webhook503Policy = this.webhook503s(serviceName, webhook503PerFiveMinutes, channels, dependsOn);
  }

  private deadLetters(
    serviceName: string,
    subscription: string,
    channels: string[],
    dependsOn: ITerraformDependable[],
  ) {
    return new MonitoringAlertPolicy(this, 'dead-letter-policy', {
      displayName: `${serviceName}: work dead-lettered`,
      combiner: 'OR',
      severity: 'ERROR',
      notificationChannels: channels,
      documentation: {
        mimeType: 'text/markdown',
        content:
          'A mention or Pipeline Hook failed every delivery attempt and was not answered. See docs/operations.md, "Dead letters".',
      },
      conditions: [
        {
          displayName: 'a message was dead-lettered',
          conditionThreshold: {
            filter: `resource.type="cloud_run_revision" AND metric.type="logging.googleapis.com/user/${this.metrics.deadLetters.name}"`,
            comparison: 'COMPARISON_GT',
            thresholdValue: 0,
            duration: '0s',
            aggregations: [
              { alignmentPeriod: FIVE_MINUTES, perSeriesAligner: 'ALIGN_SUM', crossSeriesReducer: 'REDUCE_SUM' },
            ],
          },
        },
        {
          // Pub/Sub's own dead-lettering logs nothing of ours: the subscription's backlog shows it.
          displayName: 'the dead-letter subscription holds messages',
          conditionThreshold: {
            filter:
              'resource.type="pubsub_subscription" AND metric.type="pubsub.googleapis.com/subscription/num_undelivered_messages"' +
              ` AND resource.labels.subscription_id=${JSON.stringify(subscription)}`,
            comparison: 'COMPARISON_GT',
            thresholdValue: 0,
            duration: FIVE_MINUTES,
            aggregations: [{ alignmentPeriod: FIVE_MINUTES, perSeriesAligner: 'ALIGN_MAX' }],
          },
        },
      ],
      dependsOn,
    });
  }

  private webhook503s(serviceName: string, threshold: number, channels: string[], dependsOn: ITerraformDependable[]) {
    return new MonitoringAlertPolicy(this, 'webhook-503-policy', {
      displayName: `${serviceName}: webhooks answered 503`,
      combiner: 'OR',
      severity: 'WARNING',
      notificationChannels: channels,
      documentation: {
        mimeType: 'text/markdown',
        content:
          'GitLab got 503 for webhooks: the store or the queue failed. GitLab disables a webhook after four failures in a row. ' +
          'See docs/operations.md, "Webhooks answered 503".',
      },
      conditions: [
        {
          displayName: `more than ${threshold} webhooks answered 503 in five minutes`,
          conditionThreshold: {
            filter: `resource.type="cloud_run_revision" AND metric.type="logging.googleapis.com/user/${this.metrics.webhooks503.name}"`,
            comparison: 'COMPARISON_GT',
            thresholdValue: threshold,
            duration: '0s',
            aggregations: [
              { alignmentPeriod: FIVE_MINUTES, perSeriesAligner: 'ALIGN_SUM', crossSeriesReducer: 'REDUCE_SUM' },
            ],
          },
        },
      ],
      dependsOn,
    });
  }
}
