import { PubSub, type Message, type Subscription, type Topic } from '@google-cloud/pubsub';
import { within } from '../../deadline.js';
import type { QueuedWork } from '../../domain.js';
import type { Logger } from '../../log.js';
import { handlePushEnvelope, type PushResponse } from './handle-push.js';
import { ensureSubscription, ensureTopic } from './admin.js';
import { AttemptCounter } from './attempts.js';
import { encodeWork } from './codec.js';
import { createDeadLetterSink, type DeadLetterSink } from './dead-letter.js';
import { dispatchDelivery, type DispatchPolicy } from './dispatch.js';
import { publishWithDeadline } from './publish.js';
import { QueueUnavailableError, type Delivery, type WorkHandler, type WorkQueue } from '../types.js';

// The work queue on Google Cloud Pub/Sub. Publishes without ordering keys (no subscription orders: the
// worker's guarantees come from the store) and receives either by streaming pull (PUBSUB_SUBSCRIPTION)
// or by push (Pub/Sub POSTs to /pubsub/push; see handlePush). A handler's retry is a nack, so the
// subscription's retry policy provides the backoff; after `maxDeliveryAttempts` the message is
// dead-lettered by us (see dispatch.ts), with the subscription's own policy as the backstop.

export interface PubSubQueueOptions {
  /** GOOGLE_CLOUD_PROJECT. */
  projectId: string;
  /** PUBSUB_TOPIC (short name or full path). */
  topic: string;
  /** PUBSUB_SUBSCRIPTION: receive by streaming pull. Without it the queue receives by push only. */
  subscription?: string | null;
  /** Where to republish a message after its last attempt. Without it, such a message is logged and dropped. */
  deadLetterTopic?: string | null;
  /** PUBSUB_EMULATOR_HOST (host:port). */
  emulatorHost?: string | null;
  /** Create the topics and subscription if missing: for the emulator and development only (infra owns them in production). */
  createIfMissing?: boolean;
  /** Default 10 (the memory queue's too). */
  maxDeliveryAttempts?: number;
  /**
   * Flow control: messages handled at once by this instance (default 1000, the client library's own).
   * Handlers mostly wait (a debounce window, a project slot) while holding their message, so this bounds
   * how many mentions can coalesce per window, and a low bound lets slot waiters starve Pipeline Hooks.
   */
  maxConcurrentHandlers?: number;
  /** Give up waiting for a publish confirmation after this long (default 5 s): ingest answers 503. */
  publishTimeoutMs?: number;
  /** How long the publisher gathers messages into one request (default 5 ms). */
  batchMaxMs?: number;
  /** stop() waits this long for in-flight handlers before giving their messages back (default 8 s; Cloud Run allows 10 after SIGTERM). */
  drainTimeoutMs?: number;
  /** For createIfMissing: the subscription's ack deadline and retry backoff. */
  subscriptionDefaults?: { ackDeadlineSeconds?: number; minBackoffMs?: number; maxBackoffMs?: number };
  logger: Logger;
  onDeadLetter?: (delivery: Delivery, reason: string) => void;
  /** Use this client (not closed by close()). */
  pubsub?: PubSub;
}

export class PubSubQueue implements WorkQueue {
  private readonly pubsub: PubSub;
  private readonly ownsClient: boolean;
  private readonly publisher: Topic;
  private readonly deadLetterTopic: Topic | null;
  private readonly deadLetter: DeadLetterSink;
  private readonly attempts = new AttemptCounter();
  private readonly inFlight = new Set<Promise<void>>();
  private readonly logger: Logger;
  private handler: WorkHandler | null = null;
  private subscription: Subscription | null = null;
  /** Set by stopDeliveries() (cleared by start()): no more deliveries are taken. */
  private deliveriesStopped: Promise<void> | null = null;
  /** Set by stop() (cleared by start()): publishes are refused too. */
  private stopped: Promise<void> | null = null;
  private reopenTimer: NodeJS.Timeout | null = null;
  private reopenDelayMs = 1000;
  private resourcesReady: Promise<void> | null = null;

  constructor(private readonly options: PubSubQueueOptions) {
    this.logger = options.logger;
    this.ownsClient = !options.pubsub;
    this.pubsub = options.pubsub ?? new PubSub({ projectId: options.projectId, ...(options.emulatorHost ? emulatorSettings(options.emulatorHost) : {}) });
    this.publisher = this.pubsub.topic(options.topic, {
      batching: { maxMessages: 100, maxMilliseconds: options.batchMaxMs ?? 5 },
    });
    this.deadLetterTopic = options.deadLetterTopic ? this.pubsub.topic(options.deadLetterTopic, { batching: { maxMilliseconds: 5 } }) : null;
    this.deadLetter = createDeadLetterSink({ topic: this.deadLetterTopic, logger: this.logger, onDeadLetter: options.onDeadLetter });
  }

  async publish(work: QueuedWork): Promise<string> {
    if (this.stopped) throw new QueueUnavailableError('the queue is stopping');
    await this.ensureResources();
    return publishWithDeadline(this.publisher, encodeWork(work), this.options.publishTimeoutMs ?? 5000);
  }

  async start(handler: WorkHandler): Promise<void> {
    await this.ensureResources();
    this.handler = handler;
    this.stopped = null;
    this.deliveriesStopped = null;
    if (this.options.subscription) this.openPull(this.options.subscription);
  }

  /**
   * One push delivery (POST /pubsub/push, after verify-push.ts accepted its token): the HTTP status and body
   * to answer. 204 acks; anything else makes Pub/Sub redeliver.
   */
  async handlePush(body: unknown): Promise<PushResponse> {
    const handler = this.handler;
    // Not started, or stopping: give it back to Pub/Sub, another instance will take it.
    if (!handler || this.receivingStopped) return { status: 503, body: 'not accepting deliveries' };
    return this.track(
      handlePushEnvelope(body, handler, {
        maxDeliveryAttempts: this.policy().maxDeliveryAttempts,
        deadLetter: this.deadLetter,
        logger: this.logger,
        attempts: this.attempts,
      }),
    );
  }

  /** Idempotent, like stop(). */
  stopDeliveries(): Promise<void> {
    return (this.deliveriesStopped ??= this.stopDeliveriesOnce());
  }

  /** Idempotent: close() after stop() (as the service's shutdown does) must not wait out the drain again. */
  stop(): Promise<void> {
    return (this.stopped ??= (async () => {
      await this.stopDeliveries();
      await this.publisher.flush();
    })());
  }

  private get receivingStopped(): boolean {
    return this.deliveriesStopped !== null;
  }

  private async stopDeliveriesOnce(): Promise<void> {
    if (this.reopenTimer) clearTimeout(this.reopenTimer);
    this.reopenTimer = null;
    const { settled: drained } = await within(Promise.allSettled([...this.inFlight]), this.options.drainTimeoutMs ?? 8000);
    if (!drained) this.logger.warn({ inFlight: this.inFlight.size }, 'stopping with handlers still running; their messages will be redelivered');
    // Closing nacks whatever is left and flushes the acks of handlers that finished.
    const subscription = this.subscription;
    this.subscription = null;
    await subscription?.close();
  }

  /** stop(), then release the client's connections (only a client this queue created). */
  async close(): Promise<void> {
    await this.stop();
    if (this.ownsClient) await this.pubsub.close();
  }

  private openPull(name: string): void {
    if (this.subscription) return;
    const subscription = this.pubsub.subscription(name, {
      flowControl: { maxMessages: this.options.maxConcurrentHandlers ?? 1000, allowExcessMessages: false },
    });
    this.subscription = subscription;
    subscription.on('message', (message: Message) => this.onMessage(message));
    subscription.on('error', (error: Error & { code?: number }) => {
      this.logger.error({ subscription: name, code: error.code, err: error }, `Pub/Sub streaming pull failed${advice(error.code)}`);
    });
    // The client closes the subscriber after a non-retryable stream error: open it again, backing off,
    // unless we are the ones stopping it.
    subscription.on('close', () => {
      if (this.receivingStopped || this.subscription !== subscription) return;
      this.reopenTimer = setTimeout(() => {
        this.reopenTimer = null;
        if (!this.receivingStopped && this.subscription === subscription) subscription.open();
      }, this.reopenDelayMs);
      this.reopenDelayMs = Math.min(this.reopenDelayMs * 2, 30_000);
    });
  }

  private onMessage(message: Message): void {
    const handler = this.handler;
    if (!handler || this.receivingStopped) {
      message.nack();
      return;
    }
    this.reopenDelayMs = 1000;
    // The emulator always reports the attempt; real Pub/Sub only with a dead-letter policy.
    const deliveryAttempt = this.attempts.attemptOf(message.id, message.deliveryAttempt);
    void this.track(
      dispatchDelivery({ messageId: message.id, data: message.data, attributes: message.attributes, deliveryAttempt }, handler, this.policy()).then((verdict) => {
        if (verdict === 'ack') {
          this.attempts.forget(message.id);
          message.ack();
        } else {
          message.nack();
        }
      }),
    );
  }

  private policy(): DispatchPolicy {
    return { maxDeliveryAttempts: this.options.maxDeliveryAttempts ?? 10, deadLetter: this.deadLetter, logger: this.logger };
  }

  private track<T>(work: Promise<T>): Promise<T> {
    const done = work.then(
      () => undefined,
      () => undefined,
    );
    this.inFlight.add(done);
    void done.finally(() => this.inFlight.delete(done));
    return work;
  }

  private ensureResources(): Promise<void> {
    if (!this.options.createIfMissing) return Promise.resolve();
    this.resourcesReady ??= this.createResources().catch((error: unknown) => {
      this.resourcesReady = null; // let a later call try again
      throw error;
    });
    return this.resourcesReady;
  }

  private async createResources(): Promise<void> {
    const { topic, subscription, deadLetterTopic } = this.options;
    const defaults = this.options.subscriptionDefaults ?? {};
    await ensureTopic(this.pubsub, topic);
    if (deadLetterTopic) await ensureTopic(this.pubsub, deadLetterTopic);
    if (subscription) {
      await ensureSubscription(this.pubsub, topic, subscription, {
        ackDeadlineSeconds: defaults.ackDeadlineSeconds ?? 60,
        minBackoffMs: defaults.minBackoffMs ?? 1000,
        maxBackoffMs: defaults.maxBackoffMs ?? 60_000,
      });
    }
  }
}

/**
 * The emulator takes no credentials. Naming the universe keeps the auth library from probing for a GCE
 * metadata server (a delay and a MetadataLookupWarning on every client).
 */
function emulatorSettings(host: string) {
  return { apiEndpoint: host, emulatorMode: true, universeDomain: 'googleapis.com' };
}

function advice(code: number | undefined): string {
  if (code === 5) return ': subscription not found (check PUBSUB_SUBSCRIPTION; infra creates it)';
  if (code === 7) return ': permission denied (the service account needs roles/pubsub.subscriber on the subscription)';
  return '; reconnecting';
}
