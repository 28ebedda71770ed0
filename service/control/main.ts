import { systemClock, type Clock } from '../clock.js';
import { ConfigError, parseConfig, type Config } from '../config.js';
import type { QueuedWork } from '../domain.js';
import { createLogger, type Logger } from '../log.js';
import type { CoordinationStore } from '../store/types.js';
import { resumeHeldWork } from '../worker/resume-held-work.js';

// `claude-gitlab-flow pause | resume | replay-dead-letters`: the operator's switches, from any machine with
// the service's environment. pause and resume set a flag in the coordination store, which every instance
// reads before it triggers (no redeploy); resume then queues what waited, oldest first. They need a store
// that this process can reach: Firestore (STORE=firestore). The embedded store lives inside the running
// service, whose status page has the same two buttons.

export const CONTROL_COMMANDS = ['pause', 'resume', 'replay-dead-letters'] as const;
export type ControlCommand = (typeof CONTROL_COMMANDS)[number];

const USAGE = `usage: claude-gitlab-flow pause [--by <name>]
       claude-gitlab-flow resume [--by <name>]
       claude-gitlab-flow replay-dead-letters [--subscription <dead-letter subscription>] [--idle-seconds <n>]`;

export interface ControlIo {
  write: (text: string) => void;
  clock?: Clock;
  logger?: Logger;
  /** Tests pass their own; default: the store `serve` would use. */
  openStore?: (config: Config) => Promise<CoordinationStore & { close?(): Promise<void> }>;
  /** Default: a Pub/Sub publisher on PUBSUB_TOPIC. */
  openPublisher?: (config: Config) => Promise<{ publish(work: QueuedWork): Promise<unknown>; close(): Promise<void> }>;
}

export async function controlMain(command: ControlCommand, argv: readonly string[], env: Record<string, string | undefined>, io: ControlIo): Promise<number> {
  const options = parseArgs(argv);
  if ('error' in options) {
    io.write(`claude-gitlab-flow ${command}: ${options.error}\n${USAGE}\n`);
    return 2;
  }
  let config: Config;
  try {
    config = parseConfig(env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    io.write(`claude-gitlab-flow ${command}: ${error.message} (it reads the same environment as serve)\n`);
    return 1;
  }
  const logger = io.logger ?? createLogger(config.logLevel === 'info' ? 'warn' : config.logLevel);
  const clock = io.clock ?? systemClock;
  if (command === 'replay-dead-letters') return replay(config, options, io);
  if (config.store !== 'firestore') {
    io.write(
      `claude-gitlab-flow ${command}: the embedded store (STORE=memory) lives inside the running service, out of this process's reach. ` +
        `Use the ${command === 'pause' ? 'Pause' : 'Resume'} button on its status page (/status, with STATUS_TOKEN set), or run with STORE=firestore.\n`,
    );
    return 1;
  }
  const by = options.by ?? env.USER ?? 'cli';
  const store = await (io.openStore ?? defaultStore)(config);
  try {
    if (command === 'pause') {
      const state = await store.setPaused(true, by, clock.now());
      io.write(`paused since ${new Date(state.since ?? clock.now()).toISOString()} (by ${by}): every instance keeps new mentions and triggers nothing until \`claude-gitlab-flow resume\`.\n`);
      return 0;
    }
    if (!config.google.pubsubTopic) {
      await store.setPaused(false, by, clock.now());
      io.write(`resumed (by ${by}). Without PUBSUB_TOPIC this process cannot queue what waited: each instance's stalled-work sweep queues it within STALLED_WORK_AFTER_MS.\n`);
      return 0;
    }
    const publisher = await (io.openPublisher ?? defaultPublisher)(config);
    try {
      const { queued } = await resumeHeldWork({ store, publish: (work) => publisher.publish(work), clock, logger }, by);
      io.write(`resumed (by ${by}): ${queued.length} held item${queued.length === 1 ? '' : 's'} queued again, oldest first.\n`);
      return 0;
    } finally {
      await publisher.close();
    }
  } finally {
    await store.close?.();
  }
}

async function replay(config: Config, options: ParsedArgs, io: ControlIo): Promise<number> {
  const { google } = config;
  if (!google.pubsubTopic) {
    io.write('claude-gitlab-flow replay-dead-letters: the embedded queue (no PUBSUB_TOPIC) has no dead letters: a message that fails every attempt is logged, and its work stays in the store, where the stalled-work sweep queues it again.\n');
    return 0;
  }
  const subscription = options.subscription ?? deadLetterSubscriptionOf(google.pubsubTopic, google.pubsubDeadLetterTopic);
  const { PubSub } = await import('@google-cloud/pubsub');
  const { replayDeadLetters } = await import('../queue/pubsub/replay.js');
  const pubsub = new PubSub({
    projectId: google.projectId ?? undefined,
    ...(google.pubsubEmulatorHost ? { apiEndpoint: google.pubsubEmulatorHost, emulatorMode: true, universeDomain: 'googleapis.com' } : {}),
  });
  try {
    const result = await replayDeadLetters({ pubsub, subscription, topic: google.pubsubTopic, idleMs: (options.idleSeconds ?? 5) * 1000 });
    io.write(`replayed ${result.replayed} message${result.replayed === 1 ? '' : 's'} from ${subscription} onto ${google.pubsubTopic}.\n`);
    if (result.error) {
      io.write(`stopped: ${result.error} (the message it was on stays in ${subscription}; run it again once that is fixed)\n`);
      return 1;
    }
    return 0;
  } finally {
    await pubsub.close();
  }
}

/** Infra names the dead-letter topic and its subscription alike: `<service>-dead-letter`, beside `<service>-requests`. */
export function deadLetterSubscriptionOf(topic: string, deadLetterTopic: string | null): string {
  const short = (name: string) => name.split('/').at(-1) as string;
  if (deadLetterTopic) return short(deadLetterTopic);
  return `${short(topic).replace(/-requests$/, '')}-dead-letter`;
}

interface ParsedArgs {
  by?: string;
  subscription?: string;
  idleSeconds?: number;
}

function parseArgs(argv: readonly string[]): ParsedArgs | { error: string } {
  const parsed: ParsedArgs = {};
  for (let i = 0; i < argv.length; i += 1) {
    const flag = argv[i];
    const value = argv[i + 1];
    if (flag !== '--by' && flag !== '--subscription' && flag !== '--idle-seconds') return { error: `unknown argument ${JSON.stringify(flag)}` };
    if (value === undefined || value.startsWith('--')) return { error: `${flag} needs a value` };
    i += 1;
    if (flag === '--by') parsed.by = value.slice(0, 100);
    else if (flag === '--subscription') parsed.subscription = value;
    else if (!/^\d+$/.test(value)) return { error: '--idle-seconds must be a whole number' };
    else parsed.idleSeconds = Number(value);
  }
  return parsed;
}

async function defaultStore(config: Config) {
  const { createFirestoreStore } = await import('../store/firestore/create.js');
  return createFirestoreStore(config);
}

async function defaultPublisher(config: Config) {
  const { PubSubQueue } = await import('../queue/pubsub/pubsub-queue.js');
  const { google } = config;
  const queue = new PubSubQueue({
    projectId: google.projectId as string,
    topic: google.pubsubTopic as string,
    emulatorHost: google.pubsubEmulatorHost,
    createIfMissing: false,
    logger: createLogger('warn'),
  });
  return { publish: (work: QueuedWork) => queue.publish(work), close: () => queue.close() };
}
