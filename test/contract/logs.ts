import { createLogger, type Logger } from '../../service/log.js';

// A real (pino) logger whose lines are kept as objects, to assert on what was logged.
export function captureLogger(): { logger: Logger; records: Array<Record<string, unknown>> } {
  const records: Array<Record<string, unknown>> = [];
  const logger = createLogger('debug', { write: (line: string) => void records.push(JSON.parse(line) as Record<string, unknown>) });
  return { logger, records };
}
