import type { QueuedWork } from '../domain.js';
import type { Logger } from '../log.js';

// What ingest made of one webhook delivery. Ingest knows nothing of HTTP: http/webhook-route.ts turns an
// outcome into GitLab's answer (accepted 202; duplicate and ignored 200, so GitLab counts no failure;
// unauthenticated 401; invalid 400; unavailable 503, which GitLab or a person may resend).

export type IngestOutcome =
  | { kind: 'accepted'; work: QueuedWork }
  | { kind: 'duplicate'; keys: string[] }
  | { kind: 'ignored'; reason: string }
  | { kind: 'unauthenticated'; reason: string }
  | { kind: 'invalid'; reason: string }
  | { kind: 'unavailable'; reason: string };

/** One webhook delivery as ingest sees it: GitLab's headers, and the body, read only once asked for. */
export interface IncomingDelivery {
  /** X-Gitlab-Token. */
  token: string | undefined;
  /** X-Gitlab-Event. */
  eventHeader: string | undefined;
  /** GitLab's delivery id (X-Gitlab-Event-UUID), or another request id. */
  deliveryId: string;
  /** Idempotency-Key: the same on GitLab's resends of one delivery. */
  idempotencyKey: string | undefined;
  /** Reads the body (within the size limit); called only after the token matched. */
  readBody: () => Promise<Buffer>;
  /** The delivery's own logger, made when first needed (most deliveries are ignored without a line). */
  log: () => Logger;
}
