import { ConfigError, parseConfig } from './config.js';
import { createLogger } from './log.js';

// The one entry point: `serve` runs the webhook service, `run` the in-job runner, `doctor` checks the
// set-up, `pause`, `resume` and `replay-dead-letters` are the operator's switches. The only place that
// reads process.env wholesale and calls process.exit.

const USAGE = 'usage: claude-gitlab-flow <serve|run|doctor|pause|resume|replay-dead-letters>';

async function main(argv: string[]): Promise<number> {
  const command = argv[0] ?? 'serve';
  if (command === 'run') {
    const runner = await import('./runner/main.js');
    return runner.main(argv.slice(1), process.env);
  }
  if (command === 'doctor') {
    const { doctorMain } = await import('./doctor/main.js');
    return doctorMain(argv.slice(1), process.env, { write: (text) => process.stdout.write(text) });
  }
  if (command === 'pause' || command === 'resume' || command === 'replay-dead-letters') {
    const { controlMain } = await import('./control/main.js');
    return controlMain(command, argv.slice(1), process.env, { write: (text) => process.stdout.write(text) });
  }
  if (command !== 'serve') {
    process.stderr.write(`${USAGE}\n`);
    return 2;
  }
  let config;
  try {
    config = parseConfig(process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`claude-gitlab-flow: ${error.message}\n`);
      return 1;
    }
    throw error;
  }
  const logger = createLogger(config.logLevel);
  const { serve } = await import('./serve.js');
  const service = await serve(config, logger);
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      logger.info({ signal }, 'signal received');
      service.stop().then(
        () => exitAfterFlush(logger, 0),
        (error: Error) => {
          logger.error({ err: error }, 'shutdown failed');
          exitAfterFlush(logger, 1);
        },
      );
    });
  }
  return -1;
}

/** Log lines are written asynchronously: write out what is buffered, then exit. */
function exitAfterFlush(logger: ReturnType<typeof createLogger>, code: number): void {
  logger.flush(() => process.exit(code));
  // Never hang on a stuck stdout.
  setTimeout(() => process.exit(code), 2000).unref();
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exitCode = code;
  },
  (error: Error) => {
    process.stderr.write(`claude-gitlab-flow: ${error.stack ?? error.message}\n`);
    process.exitCode = 1;
  },
);
