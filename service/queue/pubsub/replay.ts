import type { Message, PubSub } from '@google-cloud/pubsub';
import { publishWithDeadline } from './publish.js';

// `claude-gitlab-flow replay-dead-letters`: take what the dead-letter subscription holds and publish it
// on the work topic again, each message once: published, then acknowledged (a message whose publish
// fails is given back and the replay stops). An ack that is lost makes a second copy at worst, and the
// worker's claims absorb that (a mention already run resumes its finished run and does nothing).

export interface ReplayOptions {
  pubsub: PubSub;
  /** The dead-letter subscription (infra: `<service>-dead-letter`). */
  subscription: string;
  /** The work topic (PUBSUB_TOPIC). */
  topic: string;
  /** Stop once no message came for this long (default 5 s). */
  idleMs?: number;
  /** Stop after this many (default: all). */
  max?: number;
  onReplayed?: (messageId: string, attributes: Record<string, string>) => void;
}

export interface ReplayResult {
  replayed: number;
  /** Set when a publish failed: the message was given back and the replay stopped there. */
  error: string | null;
}

/** Attributes the dead-lettering added (ours, and Pub/Sub's own): the replayed message starts afresh. */
const DEAD_LETTER_ATTRIBUTES = /^(deadLetterReason|sourceMessageId|deliveryAttempt|CloudPubSubDeadLetter.*)$/;

export function replayedAttributes(attributes: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(attributes).filter(([name]) => !DEAD_LETTER_ATTRIBUTES.test(name)));
}

export async function replayDeadLetters(options: ReplayOptions): Promise<ReplayResult> {
  const idleMs = options.idleMs ?? 5000;
  const max = options.max ?? Number.POSITIVE_INFINITY;
  const topic = options.pubsub.topic(options.topic);
  // One at a time: the order they were dead-lettered in is kept as far as Pub/Sub gives it, and a failure stops at one.
  const subscription = options.pubsub.subscription(options.subscription, { flowControl: { maxMessages: 1, allowExcessMessages: false } });
  const seen = new Set<string>();
  let replayed = 0;
  let error: string | null = null;
  let chain = Promise.resolve();
  return new Promise<ReplayResult>((resolve) => {
    let idle: NodeJS.Timeout;
    let finished = false;
    const finish = () => {
      if (finished) return;
      finished = true;
      clearTimeout(idle);
      subscription.removeAllListeners('message');
      void chain.then(() => subscription.close()).then(
        () => resolve({ replayed, error }),
        () => resolve({ replayed, error }),
      );
    };
    const touch = () => {
      clearTimeout(idle);
      idle = setTimeout(finish, idleMs);
    };
    touch();
    subscription.on('error', (cause: Error) => {
      error ??= cause.message;
      finish();
    });
    subscription.on('message', (message: Message) => {
      touch();
      chain = chain.then(async () => {
        if (finished) return message.nack();
        // A copy Pub/Sub delivered again before our ack landed: published already.
        if (seen.has(message.id)) return message.ack();
        try {
          await publishWithDeadline(topic, { data: message.data, attributes: replayedAttributes(message.attributes) }, 10_000);
        } catch (cause) {
          message.nack();
          error = cause instanceof Error ? cause.message : String(cause);
          return finish();
        }
        seen.add(message.id);
        message.ack();
        replayed += 1;
        options.onReplayed?.(message.id, message.attributes);
        if (replayed >= max) finish();
      });
    });
  });
}
