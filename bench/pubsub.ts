import { randomUUID } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import { PubSub } from '@google-cloud/pubsub';
import type { RunRecord } from '../service/store/types.js';
import { eventually } from '../devtools/eventually.js';
import { FirestoreStore } from '../service/store/firestore/firestore-store.js';
import { startEmulators, type EmulatorHandle } from '../devtools/emulators.js';
import { AccessLevel, startGitLabStandIn } from '../standins/gitlab/index.js';
import { TEST_WEBHOOK_TOKEN } from '../devtools/payloads.js';
import { startServiceProcess, type LogLine } from '../devtools/service-process.js';
import { loadIngest, type IngestResult } from './ingest.js';
import { startAndWaitHealthy } from './processes.js';
import { goalLine, PUBSUB_INGEST_RATIO_GOAL, summary, TRIGGER_P95_GOAL_MS, type Goal } from './goals.js';

// `npm run bench`, with the emulators (BENCH_WITH_EMULATOR=0 skips it): what production's parts cost.
// 1. Ingest with a durable publish: the service on Pub/Sub and Firestore (emulators) under the same
//    load as the bare express 202 handler measured earlier in the run; the ratio is the figure.
// 2. From the end of a thread's debounce window (ingest acceptance + DEBOUNCE_MS) to the trigger call
//    reaching GitLab (the stand-in), per run: p50 and p95, with where the time goes.
// Standalone: `npx tsx bench/pubsub.ts` (after `npm run build`) measures its own bare baseline.

const GOOGLE_PROJECT = 'bench-claude-gitlab-flow';
/** Runs both parts; adds their goals to `goals` as they are measured (and prints each). */
export async function pubsubBench(bare: IngestResult, seconds: number, goals: Goal[] = []): Promise<Goal[]> {
  const started = Date.now();
  const record = (goal: Goal) => {
    goals.push(goal);
    console.log(goalLine(goal));
  };
  const emulators = await startEmulators();
  console.log(`emulators up (pubsub ${emulators.pubsub.startMs} ms, firestore ${emulators.firestore.startMs} ms)`);
  try {
    const ours = await ingestOnPubSub(emulators.pubsub, emulators.firestore, seconds);
    const ratio = ours.result.requestsPerSecond / bare.requestsPerSecond;
    console.log(
      `pubsub ingest: bare express ${bare.requestsPerSecond.toFixed(0)} req/s; ours with durable publish ${ours.result.requestsPerSecond.toFixed(0)} req/s ` +
        `(p99 ${ours.result.p99Ms} ms, non-2xx ${ours.result.non2xx}, errors ${ours.result.errors}; ${ours.published} messages on the topic after warm-up and run)`,
    );
    record({ name: 'pubsub ingest throughput ratio', measured: ratio, unit: 'x', atLeast: PUBSUB_INGEST_RATIO_GOAL });
    // Where the time goes: the same service and publish with the embedded store (one instance only, so
    // not a production setting), i.e. what the durable publish costs without Firestore's writes.
    const publishOnly = await ingestOnPubSub(emulators.pubsub, emulators.firestore, seconds, { STORE: 'memory' });
    console.log(
      `  of which the publish: with STORE=memory ${publishOnly.result.requestsPerSecond.toFixed(0)} req/s, ` +
        `${(publishOnly.result.requestsPerSecond / bare.requestsPerSecond).toFixed(2)}x (p99 ${publishOnly.result.p99Ms} ms, non-2xx ${publishOnly.result.non2xx}; ${publishOnly.published} messages on the topic)`,
    );

    const latency = await debounceEndToTrigger(emulators.pubsub, emulators.firestore);
    const { total, stages } = latency;
    console.log(
      `debounce end -> trigger call over ${total.length} runs (DEBOUNCE_MS ${latency.debounceMs}): p50 ${percentile(total, 50).toFixed(0)} ms, p95 ${percentile(total, 95).toFixed(0)} ms, max ${Math.max(...total).toFixed(0)} ms`,
    );
    for (const [stage, values] of Object.entries(stages)) {
      if (values.length) console.log(`  ${stage}: p50 ${percentile(values, 50).toFixed(0)} ms, p95 ${percentile(values, 95).toFixed(0)} ms`);
    }
    const p95 = percentile(total, 95);
    record({ name: 'debounce-end to trigger p95', measured: p95, unit: 'ms', atMost: TRIGGER_P95_GOAL_MS });
  } finally {
    await emulators.stop();
    console.log(`pubsub bench took ${((Date.now() - started) / 1000).toFixed(0)} s`);
  }
  return goals;
}

function googleEnv(pubsub: EmulatorHandle, firestore: EmulatorHandle, id: string): Record<string, string> {
  return {
    GOOGLE_CLOUD_PROJECT: GOOGLE_PROJECT,
    PUBSUB_EMULATOR_HOST: pubsub.host,
    FIRESTORE_EMULATOR_HOST: firestore.host,
    PUBSUB_TOPIC: `bench-${id}`,
    PUBSUB_SUBSCRIPTION: `bench-${id}-worker`,
    PUBSUB_DEAD_LETTER_TOPIC: `bench-${id}-dead-letter`,
    FIRESTORE_COLLECTION_PREFIX: `bench${id}_`,
  };
}

/** The same load as the bare handler got, on a service that stores the delivery key and publishes before its 202. */
async function ingestOnPubSub(
  pubsubEmulator: EmulatorHandle,
  firestore: EmulatorHandle,
  seconds: number,
  extraEnv: Record<string, string> = {},
): Promise<{ result: IngestResult; published: number }> {
  const id = randomUUID().slice(0, 8);
  const env = googleEnv(pubsubEmulator, firestore, id);
  // A second subscription on the topic counts what was durably published (read after the run).
  const pubsub = new PubSub({ projectId: GOOGLE_PROJECT, apiEndpoint: pubsubEmulator.host, emulatorMode: true, universeDomain: 'googleapis.com' });
  const [topic] = await pubsub.createTopic(env.PUBSUB_TOPIC as string);
  const [tap] = await topic.createSubscription(`${env.PUBSUB_TOPIC}-count`);
  const server = await startAndWaitHealthy(['dist/service/cli.js', 'serve'], {
    ...env,
    GITLAB_TOKEN: 'bench-token-not-real',
    GITLAB_WEBHOOK_SECRET: TEST_WEBHOOK_TOKEN,
    // Nothing listens there, and the window outlasts the run: the worker holds what arrives, as it would
    // a burst, and what is measured is the webhook path (as in the embedded ingest benchmark).
    GITLAB_URL: 'http://127.0.0.1:9',
    DEBOUNCE_MS: '600000',
    LOG_LEVEL: 'info',
    ...extraEnv,
  }, 60_000);
  try {
    await loadIngest(server.url, 2); // warm-up: JIT, connection pools, the emulators' first requests
    const result = await loadIngest(server.url, seconds);
    return { result, published: await countMessages(tap) };
  } finally {
    await server.stop();
    await tap.delete().catch(() => undefined);
    await pubsub.close();
  }
}

/** Drains a subscription until it stays quiet for a second; returns how many messages it held. */
async function countMessages(subscription: import('@google-cloud/pubsub').Subscription): Promise<number> {
  let count = 0;
  let last = Date.now();
  subscription.setOptions({ flowControl: { maxMessages: 5000 } });
  subscription.on('message', (message: import('@google-cloud/pubsub').Message) => {
    count += 1;
    last = Date.now();
    message.ack();
  });
  subscription.on('error', () => undefined);
  // The stream takes a moment to open: wait for a first message (or 5 s), then for 1.5 s of quiet.
  const opened = Date.now();
  const deadline = opened + 60_000;
  while (count === 0 && Date.now() - opened < 5000) await new Promise((resolve) => setTimeout(resolve, 100));
  while (Date.now() - last < 1500 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 250));
  await subscription.close();
  return count;
}

interface LatencyResult {
  debounceMs: number;
  /** Per run: trigger call time - (ingest acceptance of its last note + DEBOUNCE_MS). */
  total: number[];
  stages: Record<string, number[]>;
}

/**
 * Single-note threads spread over projects (so the measure is the path, not contention on one thread or
 * one project's slot document, which the Firestore emulator makes cost seconds). Acceptance times come
 * from the store (`receivedAt`, what the worker's window counts from), trigger times from the stand-in.
 */
async function debounceEndToTrigger(pubsub: EmulatorHandle, firestore: EmulatorHandle): Promise<LatencyResult> {
  const runs = Number(process.env.BENCH_TRIGGER_RUNS ?? 60);
  const projectsCount = 20;
  const debounceMs = 1000;
  const id = randomUUID().slice(0, 8);
  const env = googleEnv(pubsub, firestore, id);
  const gitlab = await startGitLabStandIn({ pipelines: { autoRunAfterMs: 50, autoFinishAfterMs: 300, hookOn: 'finish' } });
  const bot = gitlab.addUser({ username: 'claude-bot' });
  const dana = gitlab.addUser({ username: 'dana' });
  const projects = Array.from({ length: projectsCount }, (_, index) => {
    const project = gitlab.addProject({ path: `bench-${index}/app`, protectedBranches: [] });
    gitlab.addMember(project.id, bot.id, AccessLevel.developer);
    gitlab.addMember(project.id, dana.id, AccessLevel.developer);
    return project;
  });
  const service = await startServiceProcess({
    name: 'bench service',
    entry: 'dist',
    env: { ...env, GITLAB_URL: gitlab.url, GITLAB_TOKEN: bot.token, GITLAB_WEBHOOK_SECRET: TEST_WEBHOOK_TOKEN, DEBOUNCE_MS: String(debounceMs), MAX_CONCURRENT_PIPELINES: '100', LOG_LEVEL: 'info' },
  });
  const store = new FirestoreStore({ projectId: GOOGLE_PROJECT, emulatorHost: firestore.host, collectionPrefix: env.FIRESTORE_COLLECTION_PREFIX });
  try {
    for (const project of projects) gitlab.registerWebhook(project.id, { url: `${service.url}/webhooks/gitlab`, token: TEST_WEBHOOK_TOKEN, noteEvents: true });
    // Warm-up: one run, so the first measured run does not pay for connections and JIT.
    await oneRun(gitlab, projects[0] as { id: number }, dana.id, 0);
    await eventually('the warm-up pipeline', () => gitlab.pipelines().length >= 1, 30_000, 100);
    for (let index = 0; index < runs; index += 1) {
      await oneRun(gitlab, projects[index % projectsCount] as { id: number }, dana.id, index + 1);
      await new Promise((resolve) => setTimeout(resolve, 150));
    }
    await eventually(`${runs + 1} pipelines`, () => gitlab.pipelines().length >= runs + 1, 90_000, 100);
    const pipelines = new Map(gitlab.pipelines().map((pipeline) => [pipeline.id, pipeline]));
    const snapshot = await store.db.collection(`${env.FIRESTORE_COLLECTION_PREFIX}runs`).get();
    const records = snapshot.docs.map((doc) => JSON.parse(String(doc.get('record'))) as RunRecord);
    const logs = service.logs();
    const logTime = (runId: string, message: string) => {
      const line = logs.find((entry: LogLine) => entry.runId === runId && entry.message === message);
      return line?.time ? Date.parse(line.time) : null;
    };
    const result: LatencyResult = { debounceMs, total: [], stages: { 'window end -> run claimed (log)': [], 'claimed -> announced (log)': [], 'announced -> trigger call': [] } };
    const firstPipelineId = Math.min(...pipelines.keys());
    for (const run of records) {
      const pipeline = run.pipelineId ? pipelines.get(run.pipelineId) : undefined;
      if (!pipeline || pipeline.id === firstPipelineId) continue;
      const windowEnd = Math.max(...run.mentions.map((mention) => Date.parse(mention.request.receivedAt))) + debounceMs;
      const triggerAt = pipeline.createdAt.getTime();
      result.total.push(triggerAt - windowEnd);
      const claimed = logTime(run.runId, 'thread quiet: run claimed');
      const announced = logTime(run.runId, 'run announced in the thread');
      if (claimed !== null) result.stages['window end -> run claimed (log)']?.push(claimed - windowEnd);
      if (claimed !== null && announced !== null) result.stages['claimed -> announced (log)']?.push(announced - claimed);
      if (announced !== null) result.stages['announced -> trigger call']?.push(triggerAt - announced);
    }
    if (result.total.length < runs) throw new Error(`only ${result.total.length} of ${runs} runs could be measured`);
    return result;
  } finally {
    await service.stop();
    await store.close();
    await gitlab.close();
  }
}

async function oneRun(gitlab: Awaited<ReturnType<typeof startGitLabStandIn>>, project: { id: number }, authorId: number, index: number): Promise<void> {
  const issue = gitlab.addIssue(project.id, { title: `Bench ${index}`, authorId });
  gitlab.addNote(project.id, { type: 'Issue', iid: issue.iid }, { body: `@claude bench run ${index}`, authorId });
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number;
}

// Standalone: measure the bare baseline here too, then this benchmark.
if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const seconds = Number(process.env.BENCH_SECONDS ?? 10);
  const bareServer = await startAndWaitHealthy(['bench/bare-express.mjs'], {});
  let bare: IngestResult;
  try {
    await loadIngest(bareServer.url, 2);
    bare = await loadIngest(bareServer.url, seconds);
  } finally {
    await bareServer.stop();
  }
  const goals: Goal[] = [];
  try {
    await pubsubBench(bare, seconds, goals);
  } finally {
    console.log(summary(goals).lines.join('\n'));
  }
  if (!summary(goals).ok) process.exitCode = 1;
}
