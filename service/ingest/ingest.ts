import type { ProjectAccessConfig } from '../project-access.js';
import { admitDelivery, type AdmitConfig } from './admit-delivery.js';
import { ANSWER_WITHIN_MS, answerBudget } from './answer-budget.js';
import type { ClassifyConfig } from './classify.js';
import type { IncomingDelivery, IngestOutcome } from './outcome.js';
import { queueDelivery, type QueueDeliveryDeps } from './queue-delivery.js';
import { createSecretMatcher } from './webhook-secrets.js';

// Ingest: one webhook delivery to its outcome. Authenticate, admit (classify, project check), then store
// and queue within the answer budget. Answers in milliseconds for anything it chooses not to act on.

export interface IngestDeps extends Partial<ProjectAccessConfig>, Omit<QueueDeliveryDeps, 'now'> {
  webhookSecrets: string[];
  classifyConfig: () => ClassifyConfig;
  isShuttingDown: () => boolean;
  now?: () => number;
  /** Overrides ANSWER_WITHIN_MS (tests). */
  answerWithinMs?: number;
}

export type Ingest = (delivery: IncomingDelivery) => Promise<IngestOutcome>;

export function createIngest(deps: IngestDeps): Ingest {
  const access: ProjectAccessConfig = {
    allowedProjects: deps.allowedProjects ?? [],
    scopedWebhookSecrets: deps.scopedWebhookSecrets ?? [],
  };
  const matchSecret = createSecretMatcher(deps.webhookSecrets, access.scopedWebhookSecrets);
  const now = deps.now ?? Date.now;
  const admitConfig: AdmitConfig = { classifyConfig: deps.classifyConfig, access, logger: deps.logger, now };
  const queueDeps: QueueDeliveryDeps = {
    store: deps.store,
    debounceMs: deps.debounceMs,
    publish: deps.publish,
    logger: deps.logger,
    now,
  };
  const answerWithinMs = deps.answerWithinMs ?? ANSWER_WITHIN_MS;
  return async (delivery) => {
    const timeLeft = answerBudget(answerWithinMs);
    // The token is checked before the body is read: unauthenticated bytes are never parsed.
    const secret = matchSecret(delivery.token);
    if (!secret) return { kind: 'unauthenticated', reason: 'invalid or missing X-Gitlab-Token' };
    if (deps.isShuttingDown()) return { kind: 'unavailable', reason: 'shutting down; GitLab will retry' };
    const admission = admitDelivery(await delivery.readBody(), delivery, secret, admitConfig);
    if (admission.kind !== 'work') return admission;
    return queueDelivery(admission.work, delivery, timeLeft, queueDeps);
  };
}
