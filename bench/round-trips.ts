import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { isClosedOut } from '../service/tracking-note.js';
import { MemoryQueue } from '../service/queue/memory-queue.js';
import { MemoryStore } from '../service/store/memory-store.js';
import type { CoordinationStore } from '../service/store/types.js';
import { eventually } from '../devtools/eventually.js';
import { startFlowWorld } from '../test/support/flow-harness.js';
import { TEST_WEBHOOK_TOKEN } from '../devtools/payloads.js';
import { DEFAULT_DOC_OPS, FIRESTORE_DOC_OPS, PRICES } from './prices.js';

// What one mention costs in round trips, counted on the real flow (the stand-in GitLab, the embedded queue,
// the memory store behind a counting proxy): store calls and publishes before the 202, and per handled
// mention from the note to the closed-out tracking note (its pipeline's hook included), plus the GitLab
// calls. Then a cost per 1,000 mentions from list prices (bench/prices.ts).

export interface RoundTrips {
  mentions: number;
  beforeAccept: { store: Record<string, number>; publishes: number };
  handled: { store: Record<string, number>; publishes: number; gitlab: number; webhooks: number };
  costPerThousandUsd: { cloudRun: number; pubsub: number; firestore: number; total: number };
}

interface Counters {
  store: Record<string, number>;
  docs: { reads: number; writes: number; deletes: number };
  publishes: number;
  publishedBytes: number;
}

const emptyCounters = (): Counters => ({ store: {}, docs: { reads: 0, writes: 0, deletes: 0 }, publishes: 0, publishedBytes: 0 });

function countingStore(store: CoordinationStore, counters: () => Counters): CoordinationStore {
  return new Proxy(store, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver) as unknown;
      if (typeof value !== 'function' || typeof property !== 'string') return value;
      return (...args: unknown[]) => {
        const into = counters();
        into.store[property] = (into.store[property] ?? 0) + 1;
        const ops = { deletes: 0, ...(FIRESTORE_DOC_OPS[property]?.(args) ?? DEFAULT_DOC_OPS) };
        into.docs.reads += ops.reads;
        into.docs.writes += ops.writes;
        into.docs.deletes += ops.deletes;
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
}

/** A front door that forwards each webhook and says which calls happened while it was being answered. */
async function frontDoor(target: () => string, onAnswer: (during: 'start' | 'end', event: string) => void): Promise<Server> {
  const server = createServer((req, res) => {
    const event = String(req.headers['x-gitlab-event'] ?? '');
    onAnswer('start', event);
    const url = new URL(req.url ?? '/', target());
    const forward = httpRequest(url, { method: req.method, headers: req.headers }, (answer) => {
      onAnswer('end', event);
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    req.pipe(forward);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}

export async function countRoundTrips(mentions = 5): Promise<RoundTrips> {
  const ingest = emptyCounters();
  const rest = emptyCounters();
  let answering = 0;
  let noteHooks = 0;
  let webhooks = 0;
  const current = () => (answering > 0 ? ingest : rest);
  const store = countingStore(new MemoryStore(), current);
  const queue = new MemoryQueue({ minBackoffMs: 20 });
  const publish = queue.publish.bind(queue);
  queue.publish = (work) => {
    const into = current();
    into.publishes += 1;
    into.publishedBytes += Math.max(PRICES.pubsub.minimumBytes, Buffer.byteLength(JSON.stringify(work)));
    return publish(work);
  };
  const world = await startFlowWorld({
    env: { DEBOUNCE_MS: '200' },
    standIn: { pipelines: { autoRunAfterMs: 50, autoFinishAfterMs: 200, hookOn: 'finish' } },
    backends: { queue, store, routes: () => [], close: async () => {} },
  });
  const door = await frontDoor(
    () => world.service.url,
    (during, event) => {
      // Only a note hook's answer is "before the 202" of a mention; a pipeline hook's is part of handling it.
      if (event !== 'Note Hook') return;
      if (during === 'start') {
        answering += 1;
        noteHooks += 1;
      } else answering -= 1;
    },
  );
  door.on('request', () => (webhooks += 1));
  try {
    const { gitlab, project, users } = world;
    // The service's own hook goes through the front door instead.
    gitlab.removeWebhook(world.serviceHookId);
    gitlab.registerWebhook(project.id, { url: `http://127.0.0.1:${(door.address() as AddressInfo).port}/webhooks/gitlab`, token: TEST_WEBHOOK_TOKEN, noteEvents: true });
    const gitlabBefore = gitlab.requests.length;
    for (let index = 0; index < mentions; index += 1) {
      const issue = gitlab.addIssue(project.id, { title: `Round trips ${index}`, authorId: users.dana.id });
      const spec = { type: 'Issue' as const, iid: issue.iid };
      gitlab.addNote(project.id, spec, { body: '@claude count the round trips', authorId: users.dana.id });
      await eventually('the closed-out note', () => gitlab.notes(project.id, spec).find((note) => note.authorUsername === 'claude-bot' && isClosedOut(note.body)), 30_000);
    }
    const gitlabCalls = gitlab.requests.length - gitlabBefore;
    const per = (value: number) => value / mentions;
    const perRecord = (record: Record<string, number>) => Object.fromEntries(Object.entries(record).map(([key, value]) => [key, per(value)]));
    const requests = per(webhooks) + per(rest.publishes + ingest.publishes); // webhooks, and push deliveries on Cloud Run
    const cloudRun = (requests * 1000 * PRICES.cloudRun.perMillionRequests) / 1_000_000;
    const pubsubBytes = per(ingest.publishedBytes + rest.publishedBytes) * 2; // published, then delivered
    const pubsub = (pubsubBytes * 1000 * PRICES.pubsub.perTib) / 2 ** 40;
    const docs = { reads: per(ingest.docs.reads + rest.docs.reads), writes: per(ingest.docs.writes + rest.docs.writes), deletes: per(ingest.docs.deletes + rest.docs.deletes) };
    const firestore =
      (docs.reads * 1000 * PRICES.firestore.perHundredThousandReads) / 100_000 +
      (docs.writes * 1000 * PRICES.firestore.perHundredThousandWrites) / 100_000 +
      (docs.deletes * 1000 * PRICES.firestore.perHundredThousandDeletes) / 100_000;
    return {
      mentions,
      beforeAccept: { store: perRecord(ingest.store), publishes: per(ingest.publishes) },
      handled: { store: perRecord(rest.store), publishes: per(rest.publishes), gitlab: per(gitlabCalls), webhooks: per(webhooks) - per(noteHooks) },
      costPerThousandUsd: { cloudRun, pubsub, firestore, total: cloudRun + pubsub + firestore },
    };
  } finally {
    await new Promise((resolve) => door.close(resolve));
    await world.close();
  }
}

export function roundTripLines(counts: RoundTrips): string[] {
  const sum = (record: Record<string, number>) => Object.values(record).reduce((a, b) => a + b, 0);
  const list = (record: Record<string, number>) => Object.entries(record).map(([key, value]) => `${key} ${value}`).join(', ');
  const usd = (value: number) => `$${value.toFixed(4)}`;
  return [
    `round trips per mention (mean of ${counts.mentions}, store calls on the memory store):`,
    `  before the 202: ${sum(counts.beforeAccept.store)} store calls (${list(counts.beforeAccept.store)}), ${counts.beforeAccept.publishes} publish`,
    `  handling it, to the closed-out note: ${sum(counts.handled.store)} store calls (${list(counts.handled.store)}), ${counts.handled.publishes} publishes, ${counts.handled.gitlab} GitLab calls, ${counts.handled.webhooks} more webhooks`,
    `cost per 1,000 mentions at list prices of ${PRICES.checked} (bench/prices.ts): Cloud Run requests ${usd(counts.costPerThousandUsd.cloudRun)}, Pub/Sub ${usd(counts.costPerThousandUsd.pubsub)}, Firestore ${usd(counts.costPerThousandUsd.firestore)}; total ${usd(counts.costPerThousandUsd.total)} (CPU time not included; the pipeline's runner and the model are billed elsewhere)`,
  ];
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const counts = await countRoundTrips(Number(process.env.BENCH_MENTIONS ?? 5));
  for (const line of roundTripLines(counts)) console.log(line);
}
