import { afterEach, describe, expect, inject, it } from 'vitest';
import { eventually } from '../../devtools/eventually.js';
import {
  acknowledgedNoteIds, concurrencyHighWater, expectedByBurst, leftovers, expectNoNoteTwice, pipelineViews, runsByBurst,
} from './support/checks.js';
import { startCluster, type Cluster } from './support/cluster.js';
import { driveWorkload, expectedRuns, planWorkload } from './support/workload.js';

// Issue 3, item 6: SIGTERM to one of two instances in the middle of a burst, the way Cloud Run scales
// in (it stops routing new requests to the instance, then sends SIGTERM). The instance finishes the
// webhooks it is answering (each acknowledged only once published), hands back the messages it holds
// (debounce waits, slot waits) for redelivery, flushes, and exits 0; the other instance handles each
// message A handed back and finishes everything. Nothing acknowledged is lost, nothing runs twice, and
// bursts still coalesce. The SIGTERM waits until A's log shows it holds a comment in its window, so
// there is always something to hand back (on a loaded machine, A may otherwise hold nothing then).

const MAX_CONCURRENT_PIPELINES = 2;

let cluster: Cluster | undefined;
afterEach(async () => {
  await cluster?.close();
  cluster = undefined;
});

describe('graceful shutdown under load', () => {
  it('SIGTERM during a burst: exits 0, hands back what it holds, and nothing acknowledged is lost or run twice', async () => {
    cluster = await startCluster({
      pubsubHost: inject('pubsubEmulatorHost'),
      firestoreHost: inject('firestoreEmulatorHost'),
      projects: 5,
      env: { DEBOUNCE_MS: '6000', MAX_CONCURRENT_PIPELINES: String(MAX_CONCURRENT_PIPELINES) },
      standIn: { pipelines: { autoRunAfterMs: 300, autoFinishAfterMs: 2000, hookOn: 'finish' }, hookDelivery: { maxAttempts: 6, backoffMs: 200 } },
    });
    const { gitlab, frontDoor } = cluster;
    const plan = planWorkload(5, 4, [3, 2]);

    // While the second bursts arrive (and the first ones are being announced, queued and triggered),
    // as soon as A holds a comment whose window has a second or more to go: SIGTERM must find it held.
    let stopping: Promise<{ code: number | null; signal: NodeJS.Signals | null }> | null = null;
    let stoppedAt = 0;
    let secondBursts = 0;
    const onBurstSent = (_thread: number, burst: number) => {
      if (burst === 1 && ++secondBursts === 5) {
        stopping = (async () => {
          await eventually('A to hold a comment in its debounce window', () => aHoldsAWindow(cluster!), 60_000, 20);
          stoppedAt = Date.now();
          return cluster!.stop('A');
        })();
        stopping.catch(() => undefined); // awaited (and its failure reported) after the workload
      }
    };
    const sent = await driveWorkload(cluster, plan, { startSpreadMs: 1500, noteGapMs: 150, nextBurstSpreadMs: 2500, onBurstSent });
    cluster.artifacts.sent = sent;
    expect(stopping).not.toBeNull();
    const exit = await (stopping as unknown as Promise<{ code: number | null; signal: NodeJS.Signals | null }>);

    const expected = expectedRuns(sent);
    const store = cluster.store();
    await eventually(
      'every eligible burst to have a finished pipeline and the store to be drained',
      async () => {
        const pipelines = gitlab.pipelines();
        if (pipelines.length < expected.length || pipelines.some((pipeline) => pipeline.status !== 'success')) return false;
        const left = await leftovers(store, cluster!.prefix);
        return left.openRuns.length + left.pendingThreads.length + left.busyProjects.length === 0;
      },
      180_000,
      1000,
    );
    await frontDoor.idle();
    await gitlab.whenHooksIdle();

    // A stopped cleanly, and it was busy when it did.
    const a = cluster.history('A')[0];
    expect(exit).toEqual({ code: 0, signal: null });
    const aLogs = a?.logs() ?? [];
    expect(aLogs.some((line) => line.message === 'shut down cleanly')).toBe(true);
    const acceptedBeforeStop = aLogs.filter((line) => line.message === 'webhook accepted' && Date.parse(String(line.time)) <= stoppedAt);
    expect(acceptedBeforeStop.length).toBeGreaterThan(0);
    // The webhooks A was answering when it got SIGTERM were finished and accepted, not answered 503
    // (Cloud Run had stopped routing new ones to it; these were already under way).
    const answeredByA = frontDoor.records().filter((record) => record.backend === 'A');
    const underWayAtStop = answeredByA.filter((record) => record.startedAt <= stoppedAt && record.endedAt > stoppedAt);
    expect(underWayAtStop.filter((record) => record.status >= 300).map((record) => ({ noteId: record.noteId, status: record.status }))).toEqual([]);
    // What A held, it handed back, and B handled each of those messages on a later delivery.
    const handedBack = new Set(aLogs.filter((line) => line.message === 'shutting down: message handed back for redelivery').map((line) => String(line.messageId)));
    expect(handedBack.size).toBeGreaterThan(0);
    const bLogs = cluster.instance('B').logs();
    const handledByB = new Set(bLogs.filter((line) => line.message === 'redelivered message handled' && line.outcome === 'ack').map((line) => String(line.messageId)));
    expect([...handedBack].filter((messageId) => !handledByB.has(messageId))).toEqual([]);

    // Nothing acknowledged lost, nothing twice, bursts intact, the limit kept.
    const pipelines = pipelineViews(gitlab.pipelines());
    const acknowledged = acknowledgedNoteIds(frontDoor.records());
    expect(sent.filter((note) => !acknowledged.has(note.id)).map((note) => note.id)).toEqual([]);
    expectNoNoteTwice(cluster, pipelines);
    expect(runsByBurst(pipelines, sent)).toEqual(expectedByBurst(expected));
    for (const highWater of concurrencyHighWater(cluster)) expect(highWater).toBeLessThanOrEqual(MAX_CONCURRENT_PIPELINES);
    console.log(
      `graceful shutdown: ${sent.length} comments -> ${pipelines.length} pipelines; A accepted ${acceptedBeforeStop.length} webhooks before SIGTERM (${underWayAtStop.length} under way at it) and exited ${JSON.stringify(exit)}; ` +
        `A handed back ${handedBack.size} messages, all handled by B`,
    );
  }, 300_000);
});

/** A's log says it holds a comment whose debounce window ends a second or more from now. */
function aHoldsAWindow(cluster: Cluster): boolean {
  const soon = Date.now() + 1000;
  return cluster
    .instance('A')
    .logs()
    .some((line) => line.message === 'waiting for the thread to be quiet' && Date.parse(String(line.quietUntil)) >= soon);
}
