import { execFileSync } from 'node:child_process';
import { loadIngest, type IngestResult } from './ingest.js';
import { median, startAndWaitHealthy } from './processes.js';
import { goalLine, INGEST_P99_GOAL_MS, INGEST_RATIO_GOAL, STARTUP_RATIO_GOAL, summary, type Goal } from './goals.js';
import { TEST_WEBHOOK_TOKEN } from '../devtools/payloads.js';

// `npm run bench`: every figure is a ratio against a baseline measured in the same run on the same
// machine (machines here are shared and noisy; absolute numbers mean little). Each ratio has a goal
// (bench/goals.ts); the run ends with one line per goal and exits 1 when any goal is missed.

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

async function main(goals: Goal[]): Promise<void> {
  const seconds = Number(process.env.BENCH_SECONDS ?? 10);
  const rounds = Number(process.env.BENCH_STARTUP_ROUNDS ?? 15);
  // BENCH_ONLY=startup (or ingest) measures that part alone, e.g. to compare start-up before and after a change.
  const only = process.env.BENCH_ONLY;
  if (only !== undefined && !['startup', 'ingest', 'round-trips'].includes(only)) throw new Error(`BENCH_ONLY is startup, ingest or round-trips, not ${only}`);
  if (process.env.BENCH_SKIP_BUILD !== '1') execFileSync('npm', ['run', '--silent', 'build'], { stdio: 'inherit' });
  const record = (goal: Goal) => {
    goals.push(goal);
    console.log(goalLine(goal));
  };

  if (only === undefined || only === 'round-trips') {
    const { countRoundTrips, roundTripLines } = await import('./round-trips.js');
    for (const line of roundTripLines(await countRoundTrips())) console.log(line);
    if (only === 'round-trips') return;
  }

  let bare: IngestResult | null = null;
  if (only !== 'startup') {
    const ingest = await ingestBench(seconds);
    const ingestRatio = ingest.ours.requestsPerSecond / ingest.bare.requestsPerSecond;
    console.log(`ingest: bare express ${ingest.bare.requestsPerSecond.toFixed(0)} req/s (p99 ${ingest.bare.p99Ms} ms); ours ${ingest.ours.requestsPerSecond.toFixed(0)} req/s (p99 ${ingest.ours.p99Ms} ms, non-2xx ${ingest.ours.non2xx}, errors ${ingest.ours.errors})`);
    record({ name: 'ingest throughput ratio', measured: ingestRatio, unit: 'x', atLeast: INGEST_RATIO_GOAL });
    record({ name: 'ingest p99', measured: ingest.ours.p99Ms, unit: 'ms', atMost: INGEST_P99_GOAL_MS });
    bare = ingest.bare;
  }

  if (only !== 'ingest') {
    const startup = await startupBench(rounds);
    console.log(`startup to first /healthz 200 (median of ${rounds}): bare express ${startup.bareMs.toFixed(0)} ms; ours ${startup.oursMs.toFixed(0)} ms`);
    record({ name: 'startup ratio', measured: startup.oursMs / startup.bareMs, unit: 'x', atMost: STARTUP_RATIO_GOAL });
  }

  if (bare && only === undefined && process.env.BENCH_WITH_EMULATOR !== '0') {
    const { pubsubBench } = await import('./pubsub.js');
    await pubsubBench(bare, seconds, goals);
  }
}

// The goals measured, summed up also when a later part failed. Exit 1 when a goal is missed, 2 when the
// bench itself failed.
const goals: Goal[] = [];
main(goals).then(
  () => {
    const { lines, ok } = summary(goals);
    console.log(lines.join('\n'));
    if (!ok) process.exitCode = 1;
  },
  (error: Error) => {
    console.error(error.stack ?? error.message);
    console.log(summary(goals).lines.join('\n'));
    console.error('bench failed before measuring every figure');
    process.exitCode = 2;
  },
);
