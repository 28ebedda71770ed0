import { execFileSync } from 'node:child_process';
import { loadIngest, type IngestResult } from './ingest.js';
import { median, startAndWaitHealthy } from './processes.js';
import { TEST_WEBHOOK_TOKEN } from '../devtools/payloads.js';

// `npm run bench`: every figure is a ratio against a baseline measured in the same run on the same
// machine (machines here are shared and noisy; absolute numbers mean little).

const SERVICE = ['dist/service/cli.js', 'serve'];
const BARE = ['bench/bare-express.mjs'];
const serviceEnv = {
  GITLAB_TOKEN: 'bench-token-not-real',
  GITLAB_WEBHOOK_SECRET: TEST_WEBHOOK_TOKEN,
  // Nothing listens there: the worker's GitLab calls fail fast and retry; ingest is what is measured.
  GITLAB_URL: 'http://127.0.0.1:9',
  LOG_LEVEL: 'info',
  // Longer than a run: the worker holds what arrives (as it would a real burst) instead of calling a
  // GitLab that is not there; what is measured is the webhook path.
  DEBOUNCE_MS: '60000',
};

async function ingestBench(seconds: number): Promise<{ bare: IngestResult; ours: IngestResult }> {
  const measure = async (args: string[], env: Record<string, string>) => {
    const server = await startAndWaitHealthy(args, env);
    try {
      await loadIngest(server.url, 2); // warm-up: JIT, connection pools
      return await loadIngest(server.url, seconds);
    } finally {
      await server.stop();
    }
  };
  const bare = await measure(BARE, {});
  const ours = await measure(SERVICE, serviceEnv);
  return { bare, ours };
}

async function startupBench(rounds: number): Promise<{ bareMs: number; oursMs: number }> {
  const bare: number[] = [];
  const ours: number[] = [];
  // Interleaved, so a noisy neighbour hurts both sides alike.
  for (let round = 0; round < rounds; round += 1) {
    for (const [args, env, into] of [
      [BARE, {}, bare],
      [SERVICE, serviceEnv, ours],
    ] as const) {
      const server = await startAndWaitHealthy([...args], env);
      into.push(server.readyMs);
      await server.stop();
    }
  }
  return { bareMs: median(bare), oursMs: median(ours) };
}

async function main(): Promise<void> {
  const seconds = Number(process.env.BENCH_SECONDS ?? 10);
  const rounds = Number(process.env.BENCH_STARTUP_ROUNDS ?? 15);
  if (process.env.BENCH_SKIP_BUILD !== '1') execFileSync('npm', ['run', '--silent', 'build'], { stdio: 'inherit' });

  const ingest = await ingestBench(seconds);
  const ingestRatio = ingest.ours.requestsPerSecond / ingest.bare.requestsPerSecond;
  console.log(`ingest: bare express ${ingest.bare.requestsPerSecond.toFixed(0)} req/s (p99 ${ingest.bare.p99Ms} ms); ours ${ingest.ours.requestsPerSecond.toFixed(0)} req/s (p99 ${ingest.ours.p99Ms} ms, non-2xx ${ingest.ours.non2xx}, errors ${ingest.ours.errors})`);
  console.log(`ingest throughput ratio ${ingestRatio.toFixed(2)}x (goal >= 0.6x) ${ingestRatio >= 0.6 ? 'MET' : 'MISSED'}; p99 ${ingest.ours.p99Ms} ms (goal <= 50 ms) ${ingest.ours.p99Ms <= 50 ? 'MET' : 'MISSED'}`);

  const startup = await startupBench(rounds);
  const startupRatio = startup.oursMs / startup.bareMs;
  console.log(`startup to first /healthz 200 (median of ${rounds}): bare express ${startup.bareMs.toFixed(0)} ms; ours ${startup.oursMs.toFixed(0)} ms`);
  console.log(`startup ratio ${startupRatio.toFixed(2)}x (goal <= 1.2x) ${startupRatio <= 1.2 ? 'MET' : 'MISSED'}`);

  if (process.env.BENCH_WITH_EMULATOR !== '0') {
    const { pubsubBench } = await import('./pubsub.js');
    await pubsubBench(ingest.bare, seconds);
  }
}

main().catch((error: Error) => {
  console.error(error.stack ?? error.message);
  process.exitCode = 1;
});
