import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import { systemClock } from './clock.js';
import type { Config } from './config.js';
import { describeConfig } from './config-summary.js';
import { createGitLabApi } from './gitlab/lazy-api.js';
import { buildApp } from './http/app.js';
import { statusRoute } from './status/status-route.js';
import { startStalledSweep } from './worker/stalled-sweep.js';
import type { Logger } from './log.js';
import { createBackends, type Backends } from './backends.js';
import { pauseGate } from './worker/pause-gate.js';
import { createWorker } from './worker/worker.js';

// Composition root for `claude-gitlab-flow serve`: wires config → backends (queue, store) → worker →
// HTTP, and owns the shutdown order (stop accepting, end waits, finish or hand back in-flight work).

export interface RunningService {
  server: Server;
  url: string;
  /** Graceful stop: the same path SIGTERM takes. */
  stop(): Promise<void>;
}

export interface ServeOptions {
  host?: string;
  /** The queue and store to use instead of the configured ones (the bench counts their calls). */
  backends?: Backends;
}

export async function serve(config: Config, logger: Logger, options: ServeOptions = {}): Promise<RunningService> {
  const instanceId = randomUUID();
  const shutdown = new AbortController();
  let shuttingDown = false;
  const gitlab = createGitLabApi({ baseUrl: config.gitlabUrl, token: config.gitlabToken });
  const backends = options.backends ?? (await createBackends(config, logger));
  const worker = createWorker({ store: backends.store, gitlab, config, logger, clock: systemClock, shutdown: shutdown.signal, instanceId });
  const handler = pauseGate(worker, { store: backends.store, gitlab, logger, clock: systemClock, debounceMs: config.debounceMs });

  let selfUsername: string | null = null;

  const app = buildApp({
    logger,
    webhookSecrets: config.webhookSecrets,
    scopedWebhookSecrets: config.scopedWebhookSecrets,
    allowedProjects: config.allowedProjects,
    maxBodyBytes: config.maxBodyBytes,
    classifyConfig: () => ({
      triggerPhrase: config.triggerPhrase,
      allowConfidential: config.allowConfidential,
      gitlabUrl: config.gitlabUrl,
      selfUsername,
      triggerLabel: config.triggerLabel,
      reviewOnReady: config.reviewOnReady,
    }),
    store: backends.store,
    debounceMs: config.debounceMs,
    publish: (work) => backends.queue.publish(work),
    googleProjectId: config.google.projectId,
    isShuttingDown: () => shuttingDown,
    extraRoutes: [
      ...backends.routes(handler),
      statusRoute({
        token: config.statusToken,
        store: backends.store,
        publish: (work) => backends.queue.publish(work),
        clock: systemClock,
        logger,
        stalledAfterMs: config.stalledWorkAfterMs,
      }),
    ],
  });

  await backends.queue.start(handler);
  const sweeping = startStalledSweep({
    store: backends.store,
    publish: (work) => backends.queue.publish(work),
    logger,
    clock: systemClock,
    stalledAfterMs: config.stalledWorkAfterMs,
    shutdown: shutdown.signal,
  });
  const host = options.host ?? '0.0.0.0';
  const server = await new Promise<Server>((resolve, reject) => {
    const listening = app.listen(config.port, host, () => resolve(listening));
    listening.once('error', reject);
  });
  const address = server.address();
  const url = typeof address === 'object' && address ? `http://127.0.0.1:${address.port}` : `http://127.0.0.1:${config.port}`;
  logger.info({ instanceId, url, config: describeConfig(config) }, 'claude-gitlab-flow is listening');
  if (config.allowedProjects.length === 0 && !/^(127\.|localhost$|::1$)/.test(host)) {
    logger.warn(
      { host },
      'ALLOWED_PROJECTS is empty: every project whose webhook knows a secret can start pipelines here; list your project ids or groups',
    );
  }
  // Learn the bot's own username once listening: ingest uses it as a cheap first loop guard, the worker
  // checks ids anyway, and start-up must not wait on GitLab (nor load the HTTP client before /healthz).
  setTimeout(() => {
    gitlab
      .currentUser()
      .then((user) => {
        selfUsername = user.username;
        logger.info({ botUser: user.username, botUserId: user.id }, 'GitLab token works');
      })
      .catch((error: unknown) => logger.error({ err: error }, `GITLAB_TOKEN check failed: GET /user on ${config.gitlabUrl} did not work; check the token and GITLAB_URL`));
  }, 100).unref();

  let stopping: Promise<void> | null = null;
  const stop = () =>
    (stopping ??= (async () => {
      shuttingDown = true;
      logger.info('shutting down: no new requests; finishing or handing back in-flight work');
      // A keep-alive connection whose request ends during the shutdown would otherwise hold close() open
      // for the whole keep-alive timeout (5 s of Cloud Run's 10).
      const closingIdle = setInterval(() => server.closeIdleConnections(), 100);
      const closed = new Promise<void>((resolve) => server.close(() => resolve())).finally(() => clearInterval(closingIdle));
      shutdown.abort();
      // Deliveries stop while the webhooks under way finish: those still publish (each within ingest's
      // 8.5 s budget), so a comment that arrived just before SIGTERM is accepted, not answered 503.
      await Promise.all([sweeping, backends.queue.stopDeliveries(), closed]);
      await backends.queue.stop();
      await backends.close();
      logger.info('shut down cleanly');
    })());
  return { server, url, stop };
}
