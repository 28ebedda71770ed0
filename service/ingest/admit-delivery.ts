import type { QueuedWork } from '../domain.js';
import type { Logger } from '../log.js';
import { projectRefusal, type ProjectAccessConfig } from '../project-access.js';
import { classifyWebhook, type ClassifyConfig } from './classify.js';
import type { IncomingDelivery, IngestOutcome } from './outcome.js';
import type { SecretMatch } from './webhook-secrets.js';

// From an authenticated delivery's bytes to the work to queue, or why there is none (invalid, ignored).
// Pure but for the log lines: nothing is stored or queued here.

export interface AdmitConfig {
  classifyConfig: () => ClassifyConfig;
  access: ProjectAccessConfig;
  logger: Logger;
  now: () => number;
}

export type Admission = { kind: 'work'; work: QueuedWork } | Extract<IngestOutcome, { kind: 'invalid' | 'ignored' }>;

export function admitDelivery(
  body: Buffer,
  delivery: IncomingDelivery,
  secret: SecretMatch,
  config: AdmitConfig
): Admission {
  const payload = parseJson(body);
  if (!payload.ok) return { kind: 'invalid', reason: payload.reason };
  const input = {
    eventHeader: delivery.eventHeader,
    deliveryId: delivery.deliveryId,
    payload: payload.value,
    receivedAt: new Date(config.now()),
  };
  const classification = classifyWebhook(input, config.classifyConfig());
  if (classification.kind === 'invalid') return { kind: 'invalid', reason: classification.reason };
  if (classification.kind === 'ignore') {
    if (config.logger.isLevelEnabled('debug'))
      delivery.log().debug({ reason: classification.reason }, 'webhook ignored');
    return { kind: 'ignored', reason: classification.reason };
  }
  const project =
    classification.kind === 'flow'
      ? { id: classification.request.project.id, path: classification.request.project.path }
      : { id: classification.event.projectId, path: classification.event.projectPath ?? null };
  // From the payload, so only a first filter: the worker checks again with the project GitLab describes.
  const refused = projectRefusal(project, secret, config.access);
  if (refused) {
    delivery.log().info({ projectId: project.id, reason: refused }, 'webhook ignored: project not served');
    return { kind: 'ignored', reason: refused };
  }
  const work: QueuedWork =
    classification.kind === 'flow'
      ? { kind: 'flow', request: { ...classification.request, webhookSecret: secret } }
      : { kind: 'pipeline', event: classification.event };
  return { kind: 'work', work };
}

function parseJson(body: Buffer): { ok: true; value: unknown } | { ok: false; reason: string } {
  const text = body.toString('utf8');
  if (text.trim() === '') return { ok: false, reason: 'empty body: expected a GitLab webhook JSON payload' };
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    return { ok: false, reason: 'malformed JSON body' };
  }
}
