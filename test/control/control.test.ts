import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { controlMain, deadLetterSubscriptionOf } from '../../service/control/main.js';
import { encodeWork } from '../../service/queue/pubsub/codec.js';
import { FirestoreStore } from '../../service/store/firestore/firestore-store.js';
import { eventually } from '../../devtools/eventually.js';
import { collect, emulatorClient, PROJECT, uniqueName } from '../queue/pubsub/emulator-client.js';

// The operator's commands as `claude-gitlab-flow <command>` runs them: the environment in, a line out,
// an exit status back; against the Firestore and Pub/Sub emulators where they need Google.

const base = { GITLAB_TOKEN: 'glpat-test', GITLAB_WEBHOOK_SECRET: 'a-webhook-secret-of-length' };

async function run(command: 'pause' | 'resume' | 'replay-dead-letters', argv: string[], env: Record<string, string>) {
  let output = '';
  const code = await controlMain(command, argv, env, { write: (text) => (output += text) });
  return { code, output };
}

describe('pause and resume', () => {
  it('say where to pause an embedded store, which this process cannot reach', async () => {
    const { code, output } = await run('pause', [], base);
    expect(code).toBe(1);
    expect(output).toContain('the embedded store (STORE=memory) lives inside the running service');
    expect(output).toContain('Pause button on its status page');
  });

  it('refuse unknown arguments', async () => {
    expect((await run('pause', ['--now'], base)).code).toBe(2);
  });

  it('set the flag in Firestore, where every instance reads it', async () => {
    const prefix = `c${randomUUID().slice(0, 8)}_`;
    const env = { ...base, STORE: 'firestore', GOOGLE_CLOUD_PROJECT: 'control-test', FIRESTORE_EMULATOR_HOST: inject('firestoreEmulatorHost'), FIRESTORE_COLLECTION_PREFIX: prefix };
    const paused = await run('pause', ['--by', 'alice'], env);
    expect(paused.code).toBe(0);
    expect(paused.output).toMatch(/^paused since \S+ \(by alice\): every instance keeps new mentions and triggers nothing/);
    const other = new FirestoreStore({ projectId: 'control-test', emulatorHost: inject('firestoreEmulatorHost'), collectionPrefix: prefix });
    try {
      expect(await other.pauseState()).toMatchObject({ paused: true, by: 'alice' });
      const resumed = await run('resume', ['--by', 'alice'], env);
      expect(resumed.code).toBe(0);
      expect(resumed.output).toContain('stalled-work sweep queues it');
      expect((await other.pauseState()).paused).toBe(false);
    } finally {
      await other.close();
    }
  });
});

describe('replay-dead-letters', () => {
  const pubsub = emulatorClient();
  afterAll(() => pubsub.close());

  it('says the embedded queue has none', async () => {
    const { code, output } = await run('replay-dead-letters', [], base);
    expect(code).toBe(0);
    expect(output).toContain('the embedded queue (no PUBSUB_TOPIC) has no dead letters');
  });

  it('names the dead-letter subscription as infra does', () => {
    expect(deadLetterSubscriptionOf('projects/p/topics/cgf-requests', null)).toBe('cgf-dead-letter');
    expect(deadLetterSubscriptionOf('cgf-requests', 'projects/p/topics/other-dead-letter')).toBe('other-dead-letter');
  });

  it('republishes each dead letter on the work topic once, without the dead-letter attributes, and acks it', async () => {
    const work = uniqueName('work');
    const dead = uniqueName('dead');
    const [workTopic] = await pubsub.createTopic(work);
    const [deadTopic] = await pubsub.createTopic(dead);
    const [workSubscription] = await workTopic.createSubscription(`${work}-sub`);
    await deadTopic.createSubscription(dead);
    for (const projectId of [1, 2, 3]) {
      const message = encodeWork({ kind: 'wake', projectId });
      await deadTopic.publishMessage({ data: message.data, attributes: { ...message.attributes, deadLetterReason: 'GitLab answered 503', sourceMessageId: `m${projectId}`, deliveryAttempt: '10' } });
    }
    const received = collect(workSubscription);
    const env = { ...base, GOOGLE_CLOUD_PROJECT: PROJECT, PUBSUB_TOPIC: work, PUBSUB_SUBSCRIPTION: `${work}-sub`, PUBSUB_DEAD_LETTER_TOPIC: dead, PUBSUB_EMULATOR_HOST: inject('pubsubEmulatorHost') };
    const first = await run('replay-dead-letters', ['--idle-seconds', '2'], env);
    expect(first).toEqual({ code: 0, output: `replayed 3 messages from ${dead} onto ${work}.\n` });
    await eventually('three replayed messages', () => received.length >= 3);
    expect(received.map((message) => JSON.parse(message.data.toString()).projectId).sort()).toEqual([1, 2, 3]);
    for (const message of received) expect(message.attributes).toEqual({ kind: 'wake' });
    // Acked: a second replay finds nothing.
    expect((await run('replay-dead-letters', ['--idle-seconds', '1'], env)).output).toBe(`replayed 0 messages from ${dead} onto ${work}.\n`);
    await workSubscription.close();
  }, 30_000);
});
