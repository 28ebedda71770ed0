import { loadIngest } from './ingest.js';
import { startAndWaitHealthy } from './processes.js';
import { TEST_WEBHOOK_TOKEN } from '../test/support/payloads.js';
const env = { GITLAB_TOKEN: 'x', GITLAB_WEBHOOK_SECRET: TEST_WEBHOOK_TOKEN, GITLAB_URL: 'http://127.0.0.1:9', DEBOUNCE_MS: '60000', LOG_LEVEL: 'info' };
for (let i = 0; i < 2; i++) for (const [name, args, e] of [['bare', ['bench/bare-express.mjs'], {}], ['ours', ['dist/service/cli.js', 'serve'], env]] as const) {
  const s = await startAndWaitHealthy([...args], e as any);
  await loadIngest(s.url, 1);
  const r = await loadIngest(s.url, 4);
  console.log(name, r.requestsPerSecond.toFixed(0), 'p99', r.p99Ms);
  await s.stop();
}
