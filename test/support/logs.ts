import { createLogger, type Logger } from '../../service/log.js';

// A real (pino) logger whose lines are kept, as objects to assert on (`logs`, a live array) and as the
// raw text (to assert that secrets never reach it).

export interface CapturedLogger {
  logger: Logger;
  logs: Array<Record<string, unknown>>;
  text: () => string;
}

export function captureLogger(level = 'debug'): CapturedLogger {
  const lines: string[] = [];
  const logs: Array<Record<string, unknown>> = [];
  const write = (chunk: string) => {
    for (const line of chunk.split('\n').filter(Boolean)) {
      lines.push(line);
      logs.push(JSON.parse(line) as Record<string, unknown>);
    }
  };
  return { logger: createLogger(level, { write }), logs, text: () => lines.join('\n') };
}
