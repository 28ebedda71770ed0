import type { AddressInfo } from 'node:net';
import type { QueuedWork } from '../../service/domain.js';
import { buildApp } from '../../service/http/app.js';
import type { ProjectAccessConfig } from '../../service/project-access.js';
import { MemoryStore } from '../../service/store/memory-store.js';
import { captureLogger } from './logs.js';
import { TEST_WEBHOOK_TOKEN } from '../../devtools/payloads.js';

// The real express app on a free port, with the embedded store and a recording (or failing) publisher,
// and its log lines captured as objects (to assert that secrets never reach them).

export interface AppUnderTest {
  url: string;
  published: Array<{ work: QueuedWork }>;
  logs: Array<Record<string, unknown>>;
  logText: () => string;
  store: MemoryStore;
  failPublish: (fail: boolean) => void;
  /** A publish that never confirms (a paused broker). */
  hangPublish: (hang: boolean) => void;
  close: () => Promise<void>;
}

export async function startAppUnderTest(
  options: { maxBodyBytes?: number; secrets?: string[]; answerWithinMs?: number; access?: Partial<ProjectAccessConfig> } = {},
): Promise<AppUnderTest> {
  const published: AppUnderTest['published'] = [];
  const store = new MemoryStore();
  const captured = captureLogger();
  let failing = false;
  let hanging = false;
  const app = buildApp({
    logger: captured.logger,
    webhookSecrets: options.secrets ?? [TEST_WEBHOOK_TOKEN],
    ...options.access,
    maxBodyBytes: options.maxBodyBytes ?? 1024 * 1024,
    classifyConfig: () => ({ triggerPhrase: '@claude', allowConfidential: false, gitlabUrl: 'https://gitlab.example.com', selfUsername: 'claude-bot' }),
    store,
    debounceMs: 5000,
    publish: async (work) => {
      if (failing) throw new Error('queue unavailable');
      if (hanging) return new Promise<never>(() => undefined);
      published.push({ work });
    },
    googleProjectId: null,
    isShuttingDown: () => false,
    ...(options.answerWithinMs === undefined ? {} : { answerWithinMs: options.answerWithinMs }),
  });
  const server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    published,
    get logs() {
      return captured.logs;
    },
    logText: captured.text,
    store,
    failPublish: (fail) => {
      failing = fail;
    },
    hangPublish: (hang) => {
      hanging = hang;
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
