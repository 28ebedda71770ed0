import { randomUUID } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import type { Webhook } from '../types.js';

// Sends webhook events the way GitLab does (WebHookService): POST with the JSON payload and the headers
// X-Gitlab-Event, X-Gitlab-Token, X-Gitlab-Instance, X-Gitlab-Webhook-UUID (new for every request),
// X-Gitlab-Event-UUID and Idempotency-Key (the same across retries of one event; gitlab-org/gitlab!160952),
// a 10 s timeout by default. A non-2xx answer, a timeout or a refused connection is a failure; the
// stand-in retries a failed delivery a bounded number of times with a growing pause, so receivers'
// dedupe on Idempotency-Key gets exercised. (GitLab itself re-sends on "Resend request" and backs off a
// failing hook by disabling it for a while.)

export interface DeliveryOptions {
  /** Attempts per event, the first included. Default 4. */
  maxAttempts: number;
  /** Pause before the second attempt, doubled after each failure. Default 50 ms. */
  backoffMs: number;
  /** GitLab's default webhook timeout is 10 s. */
  timeoutMs: number;
}

export interface HookAttempt {
  attempt: number;
  status: number | null;
  error: string | null;
  webhookUuid: string;
  at: Date;
}

export interface HookDelivery {
  hookId: number;
  url: string;
  event: string;
  eventUuid: string;
  idempotencyKey: string;
  payload: unknown;
  attempts: HookAttempt[];
  delivered: boolean;
}

export class HookSender {
  readonly deliveries: HookDelivery[] = [];
  private readonly inFlight = new Set<Promise<unknown>>();
  // Every delivery in flight listens to it (its fetch, its pause): dozens at once in the multi-instance tests.
  private readonly controller = withoutListenerLimit(new AbortController());
  /** Per-key chains, so one pipeline's hooks arrive in the order its status changed. */
  private readonly chains = new Map<string, Promise<unknown>>();

  constructor(
    private options: DeliveryOptions,
    private readonly instanceUrl: () => string,
    private readonly now: () => Date,
  ) {}

  configure(options: Partial<DeliveryOptions>): void {
    this.options = { ...this.options, ...options };
  }

  /** Sends one event to every hook, after the previous event with the same ordering key. `payload` may be a promise. */
  send(hooks: Webhook[], event: string, payload: unknown, orderingKey: string): Promise<HookDelivery[]> {
    const previous = this.chains.get(orderingKey) ?? Promise.resolve();
    const eventUuid = randomUUID();
    const run = previous.catch(() => undefined).then(async () => {
      const body = await payload;
      return Promise.all(hooks.map((hook) => this.deliverOne(hook, event, body, eventUuid)));
    });
    const tracked = run.finally(() => {
      this.inFlight.delete(tracked);
      if (this.chains.get(orderingKey) === tracked) this.chains.delete(orderingKey);
    });
    this.inFlight.add(tracked);
    this.chains.set(orderingKey, tracked);
    return tracked;
  }

  /** Resolves when every delivery started so far has finished (retries included). */
  async idle(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  close(): void {
    this.controller.abort();
  }

  private async deliverOne(hook: Webhook, event: string, payload: unknown, eventUuid: string): Promise<HookDelivery> {
    const delivery: HookDelivery = {
      hookId: hook.id,
      url: hook.url,
      event,
      eventUuid,
      idempotencyKey: randomUUID(),
      payload,
      attempts: [],
      delivered: false,
    };
    this.deliveries.push(delivery);
    const body = JSON.stringify(payload);
    for (let attempt = 1; attempt <= this.options.maxAttempts && !this.controller.signal.aborted; attempt += 1) {
      if (attempt > 1) await this.pause(this.options.backoffMs * 2 ** (attempt - 2));
      if (this.controller.signal.aborted) break;
      const webhookUuid = randomUUID();
      const record: HookAttempt = { attempt, status: null, error: null, webhookUuid, at: this.now() };
      delivery.attempts.push(record);
      try {
        const response = await fetch(hook.url, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'user-agent': 'GitLab/18.0.0-standin',
            'x-gitlab-event': event,
            'x-gitlab-token': hook.token,
            'x-gitlab-instance': this.instanceUrl(),
            'x-gitlab-webhook-uuid': webhookUuid,
            'x-gitlab-event-uuid': eventUuid,
            'idempotency-key': delivery.idempotencyKey,
          },
          body,
          signal: AbortSignal.any([this.controller.signal, AbortSignal.timeout(this.options.timeoutMs)]),
        });
        record.status = response.status;
        await response.arrayBuffer().catch(() => undefined);
        if (response.ok) {
          delivery.delivered = true;
          break;
        }
      } catch (error) {
        record.error = error instanceof Error ? error.message : String(error);
      }
    }
    return delivery;
  }

  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const signal = this.controller.signal;
      const stop = () => {
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        signal.removeEventListener('abort', stop);
        resolve();
      }, ms);
      signal.addEventListener('abort', stop, { once: true });
    });
  }
}

function withoutListenerLimit(controller: AbortController): AbortController {
  setMaxListeners(0, controller.signal);
  return controller;
}
