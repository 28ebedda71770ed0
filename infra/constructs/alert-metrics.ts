// The service's events as log-based metrics: each counts the structured log lines (jsonPayload.message,
// pino's `message` key) the service writes for that event. The messages are the service's own strings;
// test/infra/alerts.test.ts greps service/ for each, so renaming a log line breaks that test, not the alert.

export interface EventMetricSpec {
  /** Suffix of the metric's name: `<service>/<id>`. */
  id: string;
  description: string;
  /** A log line counts when its message is one of these, exactly. */
  messages: readonly string[];
  /** Further conditions on the line, in the Logging query language. */
  extra?: string;
}

export const EVENT_METRICS = {
  webhooksAccepted: {
    id: 'webhooks_accepted',
    description: 'Webhooks accepted and queued (mentions and Pipeline Hooks).',
    messages: ['webhook accepted'],
  },
  webhooksIgnored: {
    id: 'webhooks_ignored',
    description:
      'Webhooks answered 200 and not acted on. Plain ignores are logged at debug only; at info this counts projects not served.',
    messages: ['webhook ignored', 'webhook ignored: project not served'],
  },
  webhooks503: {
    id: 'webhooks_503',
    description:
      'Webhooks answered 503 (store or queue failed or was late, or the instance was stopping): GitLab must resend them.',
    messages: ['request failed'],
    extra: 'jsonPayload.status=503 AND jsonPayload.path="/webhooks/gitlab"',
  },
  runsTriggered: {
    id: 'runs_triggered',
    description: 'Pipelines the worker started for a run.',
    messages: ['pipeline triggered'],
  },
  deadLetters: {
    id: 'dead_letters',
    description:
      'Work given up after its last delivery attempt (republished to the dead-letter topic, or dropped without one).',
    messages: [
      'message dead-lettered after its last delivery attempt',
      'message dropped after its last delivery attempt (no dead-letter topic configured; this log line is its only record)',
    ],
  },
  stalledWork: {
    id: 'stalled_work',
    description:
      'Sweeps that found work whose queue message was lost (queued again), and runs given up after too many resumes.',
    messages: ['stalled work found in the store: queued again', 'run stalled and was resumed too often: given up'],
  },
} as const satisfies Record<string, EventMetricSpec>;

export type EventMetricKey = keyof typeof EVENT_METRICS;

/** The log lines of one Cloud Run service whose message is one of the spec's. */
export function eventFilter(serviceName: string, spec: EventMetricSpec): string {
  const messages = spec.messages.map((message) => `jsonPayload.message=${JSON.stringify(message)}`).join(' OR ');
  const parts = [
    'resource.type="cloud_run_revision"',
    `resource.labels.service_name=${JSON.stringify(serviceName)}`,
    `(${messages})`,
    ...(spec.extra ? [spec.extra] : []),
  ];
  return parts.join(' AND ');
}
