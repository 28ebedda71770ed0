import { randomUUID } from 'node:crypto';
import type { QueuedWork } from '../domain.js';
import type { Delivery, HandlerOutcome, WorkHandler, WorkQueue } from './types.js';

// The embedded queue: Pub/Sub's delivery semantics in one process (at-least-once, redelivery with
// backoff, a dead letter after N attempts), so the worker is written once. Not durable across a restart:
// `npm start` on a laptop, not production (that is what PUBSUB_TOPIC is for).

export interface MemoryQueueOptions {
  maxConcurrentHandlers?: number;
  maxDeliveryAttempts?: number;
  minBackoffMs?: number;
  maxBackoffMs?: number;
  onDeadLetter?: (delivery: Delivery, lastError: string) => void;
}

interface StoredMessage {
  messageId: string;
  work: QueuedWork;
  attempts: number;
}

export class MemoryQueue implements WorkQueue {
  readonly deadLetters: Array<{ delivery: Delivery; reason: string }> = [];
  // A FIFO with a moving head: Array.shift() is O(n), and a burst can queue tens of thousands.
  private ready: StoredMessage[] = [];
  private readyHead = 0;
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly inFlight = new Set<Promise<void>>();
  private handler: WorkHandler | null = null;
  private stopped = false;
  private receiving = true;
  private readonly options: Required<Omit<MemoryQueueOptions, 'onDeadLetter'>> & Pick<MemoryQueueOptions, 'onDeadLetter'>;

  constructor(options: MemoryQueueOptions = {}) {
    this.options = {
      // Handlers mostly wait (a debounce window, a project slot): a low cap would let waiters starve the
      // mentions and Pipeline Hooks that end those waits, as on Pub/Sub (its flow control: 1000 too).
      maxConcurrentHandlers: options.maxConcurrentHandlers ?? 1000,
      maxDeliveryAttempts: options.maxDeliveryAttempts ?? 10,
      minBackoffMs: options.minBackoffMs ?? 200,
      maxBackoffMs: options.maxBackoffMs ?? 30_000,
      onDeadLetter: options.onDeadLetter,
    };
  }

  async publish(work: QueuedWork): Promise<string> {
    if (this.stopped) throw new Error('queue is stopped');
    // Work objects are treated as immutable by everyone, so they are queued as they are, not copied.
    const message: StoredMessage = { messageId: randomUUID(), work, attempts: 0 };
    this.ready.push(message);
    queueMicrotask(() => this.pump());
    return message.messageId;
  }

  async start(handler: WorkHandler): Promise<void> {
    this.handler = handler;
    this.stopped = false;
    this.receiving = true;
    this.pump();
  }

  async stopDeliveries(): Promise<void> {
    this.receiving = false;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    await Promise.allSettled([...this.inFlight]);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.stopDeliveries();
  }

  /** Messages not yet acknowledged or dead-lettered (waiting, delayed or in flight). */
  get depth(): number {
    return this.ready.length - this.readyHead + this.timers.size + this.inFlight.size;
  }

  private pump(): void {
    while (this.handler && this.receiving && this.inFlight.size < this.options.maxConcurrentHandlers && this.readyHead < this.ready.length) {
      const message = this.ready[this.readyHead] as StoredMessage;
      this.readyHead += 1;
      if (this.readyHead > 1024 && this.readyHead * 2 > this.ready.length) {
        this.ready = this.ready.slice(this.readyHead);
        this.readyHead = 0;
      }
      const running = this.deliver(message, this.handler).finally(() => {
        this.inFlight.delete(running);
        this.pump();
      });
      this.inFlight.add(running);
    }
  }

  private async deliver(message: StoredMessage, handler: WorkHandler): Promise<void> {
    message.attempts += 1;
    const delivery: Delivery = { messageId: message.messageId, work: message.work, deliveryAttempt: message.attempts };
    let outcome: HandlerOutcome;
    try {
      outcome = await handler(delivery);
    } catch (error) {
      outcome = { kind: 'retry', reason: error instanceof Error ? error.message : String(error) };
    }
    if (outcome.kind === 'ack') return;
    if (outcome.kind === 'hand-back') {
      message.attempts -= 1; // not a failed attempt
      this.later(message, 0);
      return;
    }
    if (message.attempts >= this.options.maxDeliveryAttempts) {
      this.deadLetters.push({ delivery, reason: outcome.reason });
      this.options.onDeadLetter?.(delivery, outcome.reason);
      return;
    }
    const backoff = Math.min(this.options.maxBackoffMs, this.options.minBackoffMs * 2 ** (message.attempts - 1));
    this.later(message, outcome.delayMs ?? backoff);
  }

  private later(message: StoredMessage, delayMs: number): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      this.ready.push(message);
      this.pump();
    }, delayMs);
    this.timers.add(timer);
  }
}
