import { pino, type DestinationStream, type Logger } from 'pino';

// JSON logs in Cloud Logging's shape: `severity` instead of pino's numeric level, `message` as the text
// key, no pid/hostname noise. Secrets are redacted by path as a second line of defence: the code never
// logs them in the first place.

const SEVERITY: Record<string, string> = {
  trace: 'DEBUG',
  debug: 'DEBUG',
  info: 'INFO',
  warn: 'WARNING',
  error: 'ERROR',
  fatal: 'CRITICAL',
};

export const REDACTED_PATHS = [
  'gitlabToken',
  'triggerToken',
  'statusToken',
  'webhookSecrets',
  'token',
  'headers["x-gitlab-token"]',
  'headers.authorization',
  'headers["private-token"]',
  '*.gitlabToken',
  '*.token',
  '*.headers["x-gitlab-token"]',
  '*.headers.authorization',
];

export type { Logger };

export function createLogger(level: string, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      messageKey: 'message',
      base: undefined,
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
      formatters: {
        level: (label) => ({ severity: SEVERITY[label] ?? 'DEFAULT' }),
      },
    },
    // Asynchronous writes, coalesced while one is in flight (a synchronous write per line costs the
    // webhook path a quarter of its throughput); cli.ts flushes before the process exits.
    destination ?? pino.destination({ dest: 1, sync: false }),
  );
}

/** `logging.googleapis.com/trace` from Cloud Run's X-Cloud-Trace-Context, so logs group by request. */
export function traceField(header: string | undefined, projectId: string | null): Record<string, string> {
  const traceId = header?.split('/')[0];
  if (!traceId || !projectId) return {};
  return { 'logging.googleapis.com/trace': `projects/${projectId}/traces/${traceId}` };
}
