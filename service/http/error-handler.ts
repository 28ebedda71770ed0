import type { NextFunction, Request, Response } from 'express';
import type { Logger } from '../log.js';
import { HttpError } from './http-error.js';

// The one place errors become responses. An error says how to answer by its `status` (HttpError, and
// body-parser's 413 and 400); anything else is a 500 whose message stays in the log.

export function errorHandler(logger: Logger) {
  return (error: unknown, req: Request, res: Response, _next: NextFunction): void => {
    const status = statusOf(error);
    const message = status === 500 ? 'internal error' : (error as Error).message;
    if (status >= 500) logger.error({ err: error, path: req.path, status }, 'request failed');
    else logger.info({ path: req.path, status, reason: message }, 'request refused');
    res.status(status).json({ error: message });
  };
}

function statusOf(error: unknown): number {
  if (error instanceof HttpError) return error.status;
  // By shape too: body-parser's errors, and an HttpError of the lazily loaded Pub/Sub module, which in the
  // bundled image is a class of its own (scripts/bundle.mjs).
  const status = (error as { status?: unknown })?.status;
  if (typeof status === 'number' && status >= 400 && status < 600) return status;
  return 500;
}
