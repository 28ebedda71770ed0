import { randomUUID } from 'node:crypto';
import type { Request } from 'express';
import type { Logger } from '../log.js';
import { traceField } from '../log.js';

// One child logger per request, keyed by GitLab's delivery id so a webhook can be followed from the
// GitLab "Recent events" page to our logs.

export function requestIdOf(req: Request): string {
  return req.get('x-gitlab-event-uuid') ?? req.get('idempotency-key') ?? req.get('x-request-id') ?? randomUUID();
}

export function requestLogger(logger: Logger, req: Request, googleProjectId: string | null): Logger {
  return logger.child({
    requestId: requestIdOf(req),
    httpRequest: { requestMethod: req.method, requestUrl: req.originalUrl },
    ...traceField(req.get('x-cloud-trace-context'), googleProjectId),
  });
}
