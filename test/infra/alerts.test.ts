import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../infra/config.js';
import { EVENT_METRICS } from '../../infra/constructs/alert-metrics.js';
import { messagesOf, policyReferenceProblems, sourcesUnder, unloggedMessageProblems } from './alert-checks.js';
import { configWith, resourcesOf, synthStacks, type Json } from './helpers.js';

// The service stack's log-based metrics and alert policies, on the synthesized Terraform.

const { service } = synthStacks();
const metrics = resourcesOf(service, 'google_logging_metric');
const policies = resourcesOf(service, 'google_monitoring_alert_policy');
const sources = sourcesUnder('service');
const byName = (name: string): Json => metrics.find((metric) => metric.name === `claude-gitlab-flow/${name}`)!;

describe('log-based metrics', () => {
  it('count each event the operator watches, as counters', () => {
    expect(metrics.map((metric) => metric.name).sort()).toEqual([
      'claude-gitlab-flow/dead_letters',
      'claude-gitlab-flow/runs_triggered',
      'claude-gitlab-flow/stalled_work',
      'claude-gitlab-flow/webhooks_503',
      'claude-gitlab-flow/webhooks_accepted',
      'claude-gitlab-flow/webhooks_ignored',
    ]);
    for (const metric of metrics)
      expect(metric.metric_descriptor).toEqual({ metric_kind: 'DELTA', value_type: 'INT64', unit: '1' });
  });

  it("count only this Cloud Run service's log lines", () => {
    for (const metric of metrics) {
      expect(metric.filter).toMatch(
        /^resource\.type="cloud_run_revision" AND resource\.labels\.service_name="claude-gitlab-flow" AND \(/,
      );
    }
    expect(byName('webhooks_503').filter).toContain(
      'AND jsonPayload.status=503 AND jsonPayload.path="/webhooks/gitlab"',
    );
  });

  it('name messages the service really logs (renaming a log line breaks this test)', () => {
    expect(unloggedMessageProblems(service, sources)).toEqual([]);
    expect(messagesOf(byName('runs_triggered').filter)).toEqual(['pipeline triggered']);
    expect(messagesOf(byName('dead_letters').filter)).toEqual([...EVENT_METRICS.deadLetters.messages]);
  });

  it('a filter on a message nobody logs is caught', () => {
    const mutated = structuredClone(service);
    const [name, body] = Object.entries(mutated.resource!.google_logging_metric!)[0]!;
    body.filter = String(body.filter).replace(/jsonPayload\.message="[^"]*"/, 'jsonPayload.message="webhook acepted"');
    expect(unloggedMessageProblems(mutated, sources)).toContain(
      `${name}: no log line in service/ says "webhook acepted"`,
    );
    // With no sources at all, every message of every metric is reported.
    const allMessages = Object.values(EVENT_METRICS).flatMap((spec) => spec.messages);
    expect(unloggedMessageProblems(mutated, new Map())).toHaveLength(allMessages.length);
  });
});

describe('alert policies', () => {
  const policy = (text: string): Json => policies.find((p) => String(p.display_name).includes(text))!;

  it('fire on any dead letter, logged or waiting in the dead-letter subscription', () => {
    const deadLetters = policy('dead-lettered');
    expect(deadLetters).toMatchObject({ combiner: 'OR', severity: 'ERROR' });
    const [logged, waiting] = deadLetters.conditions as Json[];
    expect(logged!.condition_threshold).toMatchObject({
      filter: expect.stringMatching(
        /logging\.googleapis\.com\/user\/\$\{google_logging_metric\.alerts_dead_letters_[0-9A-F]+\.name\}"$/,
      ),
      comparison: 'COMPARISON_GT',
      threshold_value: 0,
      aggregations: [{ alignment_period: '300s', per_series_aligner: 'ALIGN_SUM', cross_series_reducer: 'REDUCE_SUM' }],
    });
    expect(waiting!.condition_threshold.filter).toMatch(
      /num_undelivered_messages" AND resource\.labels\.subscription_id="\$\{google_pubsub_subscription\.queue_dead-letter-sub_/,
    );
  });

  it('fire on webhooks answered 503, above the configured count in five minutes', () => {
    const answered503 = policy('503');
    expect(answered503.conditions[0].condition_threshold).toMatchObject({
      filter: expect.stringMatching(/\$\{google_logging_metric\.alerts_webhooks_503_[0-9A-F]+\.name\}"$/),
      comparison: 'COMPARISON_GT',
      threshold_value: 5,
    });
    const strict = synthStacks(configWith({ alerts: { webhook503PerFiveMinutes: 1 } })).service;
    const strictPolicy = resourcesOf(strict, 'google_monitoring_alert_policy').find((p) =>
      String(p.display_name).includes('503'),
    )!;
    expect(strictPolicy.conditions[0].condition_threshold.threshold_value).toBe(1);
  });

  it('reference the metrics of this stack, and a policy on an unknown metric is caught', () => {
    expect(policies).toHaveLength(2);
    expect(policyReferenceProblems(service)).toEqual([]);
    const mutated = structuredClone(service);
    const [name, body] = Object.entries(mutated.resource!.google_monitoring_alert_policy!)[0]!;
    body.conditions[0].condition_threshold.filter =
      'metric.type="logging.googleapis.com/user/claude-gitlab-flow/dead_letters"';
    expect(policyReferenceProblems(mutated)).toEqual([
      `${name}: condition ${body.conditions[0].display_name} names no log-based metric of this stack`,
    ]);
  });

  it('notify the configured channels and one e-mail channel per address', () => {
    expect(policies.every((p) => p.notification_channels.length === 0)).toBe(true);
    const existing = 'projects/my-gcp-project/notificationChannels/123';
    const json = synthStacks(
      configWith({ alerts: { notificationChannels: [existing], emails: ['oncall@example.com'] } }),
    ).service;
    const [email] = resourcesOf(json, 'google_monitoring_notification_channel');
    expect(email).toMatchObject({ type: 'email', labels: { email_address: 'oncall@example.com' } });
    for (const p of resourcesOf(json, 'google_monitoring_alert_policy')) {
      expect(p.notification_channels).toEqual([
        existing,
        expect.stringMatching(/^\$\{google_monitoring_notification_channel\.alerts_email-0_[0-9A-F]+\.name\}$/),
      ]);
    }
  });

  it('refuse a malformed channel or address in the config', () => {
    expect(() => configWith({ alerts: { emails: ['not an address'] } })).toThrow(ConfigError);
    expect(() => configWith({ alerts: { notificationChannels: ['123'] } })).toThrow(
      /alerts\.notificationChannels\[0\]: must be projects/,
    );
  });

  it('come with the APIs they need', () => {
    const apis = resourcesOf(service, 'google_project_service').map((api) => api.service);
    expect(apis).toEqual(expect.arrayContaining(['logging.googleapis.com', 'monitoring.googleapis.com']));
  });
});
