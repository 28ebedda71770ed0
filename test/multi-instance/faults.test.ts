import { afterEach, describe, expect, inject, it } from 'vitest';
import { eventually } from '../../devtools/eventually.js';
import { startEmulator, type EmulatorHandle } from '../../devtools/emulators.js';
import { concurrencyHighWater, serviceLogs, settleAndCheckNothingLost } from './support/checks.js';
import { startCluster, type Cluster } from './support/cluster.js';
import { pauseProcessGroup } from './support/pubsub-side.js';
import { commentCount, driveWorkload, planWorkload } from './support/workload.js';

// Issue 3, item 5: the two-instance setup under faults, each test with its own Pub/Sub emulator (the
// shared one serves other files in parallel, and these break it on purpose). The contract: a webhook
// that could not be queued gets 503, so it was not acknowledged and GitLab must send it again (real
// GitLab does not retry by itself: a person resends it, or an upstream retry does; the stand-in
// retries failed deliveries, with enough attempts to outlast each fault). Every note whose hook was
// acknowledged with a 2xx ends in exactly one pipeline (or, a poisoned one, in the dead-letter topic),
// none in two, and the project limit holds.
//
// Two accommodations for the emulator, where it differs from Pub/Sub (docs/pubsub-firestore.md, "What the emulator does"):
// - The crash runs on a subscription without a retry policy (a nack is redelivered at once). With one,
//   once a client dies holding messages, the emulator stops redelivering nacked messages for the whole
//   subscription (seen here, and reproduced by hand: not deterministic enough to pin in a test); real
//   Pub/Sub keeps to the policy.
// - The freeze runs without GitLab faults: a nack (a handler's retry) sent around the freeze was
//   sometimes never redelivered, likely the same defect; the crash test covers faults with recovery.

const MAX_CONCURRENT_PIPELINES = 2;
const GITLAB_FAULTS = { error500Rate: 0.05, rate429Rate: 0.05, retryAfterSeconds: 1 };

let cluster: Cluster | undefined;
let pubsubEmulator: EmulatorHandle | undefined;
let firestoreEmulator: EmulatorHandle | undefined;
afterEach(async () => {
  await cluster?.close();
  await pubsubEmulator?.stop();
  await firestoreEmulator?.stop();
  cluster = undefined;
  pubsubEmulator = undefined;
  firestoreEmulator = undefined;
});

describe('two instances under faults', () => {
  it('SIGKILL mid-run and restart, GitLab 500s and 429s: nothing acknowledged lost, nothing twice; a mention that keeps failing is dead-lettered and logged', async () => {
    pubsubEmulator = await startEmulator('pubsub');
    cluster = await startCluster({
      pubsubHost: pubsubEmulator.host,
      firestoreHost: inject('firestoreEmulatorHost'),
      projects: 11, // ten for the workload, one whose API always fails
      // Five attempts (the least Pub/Sub allows) dead-letter the poisoned mention within a minute.
      env: { DEBOUNCE_MS: '6000', MAX_CONCURRENT_PIPELINES: String(MAX_CONCURRENT_PIPELINES), STALLED_WORK_AFTER_MS: '20000', MAX_DELIVERY_ATTEMPTS: '5' },
      standIn: {
        pipelines: { autoRunAfterMs: 300, autoFinishAfterMs: 2000, hookOn: 'finish' },
        hookDelivery: { maxAttempts: 8, backoffMs: 300 },
        faults: { ...GITLAB_FAULTS, seed: 42 },
      },
      // A short ack deadline: what the dead instance held comes back in seconds. No retry backoff: see above.
      pubsub: { retry: null, ackDeadlineSeconds: 10 },
    });
    const { gitlab, pubsub, users } = cluster;
    const poisonProject = cluster.projects[10] as { id: number };
    // Every call about that project fails (the worker reads the project, the note and its thread before the author).
    gitlab.queueFault({ status: 500, path: new RegExp(`^/projects/${poisonProject.id}(/|$)`), times: 100_000 });

    // The crash comes once runs are being announced, queued and triggered: B dies holding webhooks,
    // mentions inside their window, slot waits and run locks (which go stale 20 s after their last renewal).
    let crashed: Promise<void> | null = null;
    let created = 0;
    const stopWatching = gitlab.onPipelineCreated(() => {
      if (++created === 3) {
        crashed = (async () => {
          await cluster!.kill('B');
          await cluster!.start('B');
        })();
      }
    });
    const plan = planWorkload(10, 4, [3, 2]);
    expect(commentCount(plan)).toBe(200);
    const poisonIssue = gitlab.addIssue(poisonProject.id, { title: 'Poison', authorId: users.dana.id });
    const poison = gitlab.addNote(poisonProject.id, { type: 'Issue', iid: poisonIssue.iid }, { body: '@claude this one cannot be authorised', authorId: users.dana.id });
    const sent = await driveWorkload(cluster, plan, { startSpreadMs: 2000, noteGapMs: 150, nextBurstSpreadMs: 3000, claimTimeoutMs: 240_000 });
    cluster.artifacts.sent = sent;
    await crashed;
    stopWatching();
    expect(crashed).not.toBeNull();

    const pipelines = await settleAndCheckNothingLost(cluster, sent, { maxConcurrentPipelines: MAX_CONCURRENT_PIPELINES, openRunsAllowed: [poison.id] });
    expect(pipelines.some((pipeline) => pipeline.noteIds.includes(poison.id))).toBe(false);

    // The faults happened: B died by SIGKILL (webhooks it was answering got 502) and came back to work;
    // GitLab answered 500s and 429s.
    expect(cluster.history('B')).toHaveLength(2);
    expect((await cluster.history('B')[0]?.exited)?.signal).toBe('SIGKILL');
    expect(cluster.instance('B').logs().some((line) => line.message === 'pipeline triggered' || line.message === 'webhook accepted')).toBe(true);
    const faultStatuses = gitlab.requests.map((request) => request.fault).filter(Boolean);
    expect(faultStatuses).toContain(500);
    expect(faultStatuses).toContain(429);

    // The poisoned mention: dead-lettered after its last attempt, with the reason, and logged as an error.
    // Its own message, or (when the emulator lost that message's nack) the stalled-work sweep's message
    // that resumed its run: either way the work that keeps failing ends in the dead-letter topic.
    const store = cluster.store();
    const poisonRun = await eventually('the poisoned mention claimed', () => store.runOfNote(poison.id), 60_000, 500);
    const isPoison = (work: { kind: string; request?: { note?: { id?: number } }; runId?: string } | undefined) =>
      (work?.kind === 'flow' && work.request?.note?.id === poison.id) || (work?.kind === 'run' && work.runId === poisonRun);
    const letter = await eventually('the poisoned mention in the dead-letter topic', () => pubsub.deadLettered().find((entry) => isPoison(entry.work as Parameters<typeof isPoison>[0])), 180_000, 500);
    expect(letter?.attributes.deadLetterReason).toMatch(/500/);
    expect(Number(letter?.attributes.deliveryAttempt)).toBeGreaterThanOrEqual(5);
    const logs = serviceLogs(cluster).map(({ line }) => line);
    expect(logs.some((line) => line.message === 'message dead-lettered after its last delivery attempt' && line.severity === 'ERROR' && isPoison(line.work as Parameters<typeof isPoison>[0]))).toBe(true);

    const statuses = countBy(cluster.frontDoor.records().map((record) => record.status));
    console.log(
      `crash: ${sent.length} comments -> ${pipelines.length} pipelines; webhook answers ${JSON.stringify(statuses)}; GitLab faults injected ${faultStatuses.length}; ` +
        `dead-lettered ${pubsub.deadLettered().length}; high-water ${JSON.stringify(concurrencyHighWater(cluster))}`,
    );
  }, 420_000);

  it('Pub/Sub frozen (SIGSTOP) while webhooks arrive: 503 for what could not be stored, everything stored before or after handled, nothing twice', async () => {
    pubsubEmulator = await startEmulator('pubsub');
    cluster = await startCluster({
      pubsubHost: pubsubEmulator.host,
      firestoreHost: inject('firestoreEmulatorHost'),
      projects: 6,
      env: { DEBOUNCE_MS: '6000', MAX_CONCURRENT_PIPELINES: String(MAX_CONCURRENT_PIPELINES), STALLED_WORK_AFTER_MS: '20000' },
      standIn: {
        pipelines: { autoRunAfterMs: 300, autoFinishAfterMs: 2000, hookOn: 'finish' },
        // Enough attempts, spaced out, to outlast the freeze (each attempt in it waits the 5 s publish deadline).
        hookDelivery: { maxAttempts: 8, backoffMs: 300 },
      },
      pubsub: { retry: { minimumBackoffMs: 1000, maximumBackoffMs: 30_000 }, ackDeadlineSeconds: 10 },
    });
    const pgid = pubsubEmulator.processGroup;
    const pauseMs = 8000;
    let frozen: Promise<void> | null = null;
    let frozenAt = 0;
    let secondBursts = 0;
    const onBurstSent = (_thread: number, burst: number) => {
      // While the second bursts arrive (and the first ones are being triggered and finished).
      if (burst === 1 && ++secondBursts === 6) {
        frozenAt = Date.now();
        frozen = pauseProcessGroup(pgid, pauseMs);
      }
    };
    const sent = await driveWorkload(cluster, planWorkload(6, 4, [3, 2]), { startSpreadMs: 2000, noteGapMs: 150, nextBurstSpreadMs: 3000, onBurstSent, claimTimeoutMs: 240_000 });
    cluster.artifacts.sent = sent;
    expect(frozen).not.toBeNull();
    await frozen;

    const pipelines = await settleAndCheckNothingLost(cluster, sent, { maxConcurrentPipelines: MAX_CONCURRENT_PIPELINES });
    // While frozen, webhooks got 503 after the publish deadline: not acknowledged, resent, then stored.
    const records = cluster.frontDoor.records();
    const duringFreeze = records.filter((record) => record.startedAt >= frozenAt && record.startedAt < frozenAt + pauseMs);
    expect(duringFreeze.filter((record) => record.status === 503).length).toBeGreaterThan(0);
    const refusedThenStored = records.filter((record) => record.status === 503 && record.noteId !== null).map((record) => record.noteId);
    expect(refusedThenStored.length).toBeGreaterThan(0);
    console.log(
      `freeze: ${sent.length} comments -> ${pipelines.length} pipelines; webhook answers ${JSON.stringify(countBy(records.map((record) => record.status)))}; ` +
        `${new Set(refusedThenStored).size} comments answered 503 during the ${pauseMs / 1000} s freeze, all resent and run`,
    );
  }, 360_000);

  it('Firestore frozen (SIGSTOP) longer than the answer budget while webhooks arrive: every webhook 202 in time, every mention run once after it returns', async () => {
    firestoreEmulator = await startEmulator('firestore');
    cluster = await startCluster({
      pubsubHost: inject('pubsubEmulatorHost'),
      firestoreHost: firestoreEmulator.host,
      projects: 6,
      env: { DEBOUNCE_MS: '4000', MAX_CONCURRENT_PIPELINES: String(MAX_CONCURRENT_PIPELINES), STALLED_WORK_AFTER_MS: '20000' },
      standIn: {
        pipelines: { autoRunAfterMs: 300, autoFinishAfterMs: 1500, hookOn: 'finish' },
        // As GitLab: a delivery that fails is not sent again, so a 503 would be a mention lost.
        hookDelivery: { maxAttempts: 1 },
      },
    });
    const pauseMs = 12_000;
    let frozen: Promise<void> | null = null;
    let frozenAt = 0;
    let firstBursts = 0;
    const pgid = firestoreEmulator.processGroup;
    const onBurstSent = (_thread: number, burst: number) => {
      if (burst === 0 && ++firstBursts === 3) {
        frozenAt = Date.now();
        frozen = pauseProcessGroup(pgid, pauseMs);
      }
    };
    const sent = await driveWorkload(cluster, planWorkload(6, 4, [3, 2]), { startSpreadMs: 3000, noteGapMs: 200, nextBurstSpreadMs: 3000, onBurstSent, claimTimeoutMs: 240_000 });
    cluster.artifacts.sent = sent;
    expect(frozen).not.toBeNull();
    await frozen;

    const records = cluster.frontDoor.records();
    const duringFreeze = records.filter((record) => record.startedAt >= frozenAt && record.startedAt < frozenAt + pauseMs);
    expect(duringFreeze.length).toBeGreaterThan(0);
    expect(records.filter((record) => record.status >= 500).map((record) => `${record.noteId}: ${record.status}`)).toEqual([]);
    // GitLab waits 10 s for the answer.
    expect(records.filter((record) => record.endedAt - record.startedAt >= 10_000)).toEqual([]);
    const pipelines = await settleAndCheckNothingLost(cluster, sent, { maxConcurrentPipelines: MAX_CONCURRENT_PIPELINES });
    const slowest = Math.max(...duringFreeze.map((record) => record.endedAt - record.startedAt));
    console.log(
      `store freeze: ${sent.length} comments -> ${pipelines.length} pipelines; webhook answers ${JSON.stringify(countBy(records.map((record) => record.status)))}; ` +
        `${duringFreeze.length} during the ${pauseMs / 1000} s freeze, the slowest answered in ${slowest} ms`,
    );
  }, 360_000);
});

function countBy(values: number[]): Record<string, number> {
  return values.reduce<Record<string, number>>((counts, value) => ({ ...counts, [value]: (counts[value] ?? 0) + 1 }), {});
}


