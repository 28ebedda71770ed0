import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

// What sits between GitLab (and Pub/Sub push) and several service instances in production (Cloud Run's
// front end): one URL, requests spread round-robin over the instances that are up, and a request that
// cannot reach an instance at all (connection refused: the instance is gone) tried on the next one. An
// answer, any answer, is passed back as it is; a request whose instance died while handling it gets 502.
//
// It is also where the tests observe and disturb deliveries: every answer is recorded (which deliveries
// GitLab saw acknowledged), and `copies` re-sends chosen deliveries to another instance, as GitLab does
// when it retries after a timeout that in fact succeeded (same Idempotency-Key) or when a project has
// two hooks for the same URL (a new key).

export interface Backend {
  name: string;
  url: string;
}

export interface DeliveryRecord {
  event: string;
  idempotencyKey: string;
  /** `primary`: the request GitLab made; `copy`: a duplicate this front door made. */
  kind: 'primary' | 'copy';
  backend: string | null;
  /** The instance's status; 502 when no instance could be reached, 504 when one did not answer in time. */
  status: number;
  /** The answer's `status` field (`queued`, `duplicate`, `ignored`) when it had one. */
  outcome: string | null;
  noteId: number | null;
  pipeline: { id: number; status: string } | null;
  startedAt: number;
  endedAt: number;
}

export interface CopyPlan {
  delayMs: number;
  /** A new Idempotency-Key (another hook for the same URL), or the same (a GitLab retry). */
  newKey: boolean;
}

export interface FrontDoorOptions {
  /** Duplicates to make of a webhook delivery, each sent to the instance after the one that got it. */
  copies?: (delivery: { event: string; payload: Record<string, unknown>; index: number }) => CopyPlan[];
  /** Per-request timeout towards an instance for webhooks; GitLab's own is 10 s. */
  timeoutMs?: number;
  /** For Pub/Sub push requests (a handler holds one through a debounce window or a slot wait). Default 120 s. */
  pushTimeoutMs?: number;
}

export interface FrontDoor {
  url: string;
  /** Sets (or, with null, removes) an instance. */
  setBackend(name: string, url: string | null): void;
  /** Webhook deliveries (POST /webhooks/gitlab) and their answers. */
  records(): DeliveryRecord[];
  /** Pub/Sub push requests (POST /pubsub/push): when each came and how it was answered. */
  pushes(): Array<{ at: number; status: number; backend: string | null }>;
  /** Resolves when every scheduled copy has been sent and answered. */
  idle(): Promise<void>;
  close(): Promise<void>;
}

const WEBHOOK_PATH = '/webhooks/gitlab';
const FORWARDED_HEADERS = ['content-type', 'user-agent', 'x-gitlab-event', 'x-gitlab-token', 'x-gitlab-instance', 'x-gitlab-webhook-uuid', 'x-gitlab-event-uuid', 'idempotency-key'];

export async function startFrontDoor(options: FrontDoorOptions = {}): Promise<FrontDoor> {
  const backends = new Map<string, string>();
  const records: DeliveryRecord[] = [];
  const pushes: Array<{ at: number; status: number; backend: string | null }> = [];
  const pending = new Set<Promise<unknown>>();
  const timeoutMs = options.timeoutMs ?? 10_000;
  let nextBackend = 0;
  let deliveryIndex = 0;
  let closed = false;

  const order = (): Backend[] => {
    const list = [...backends].map(([name, url]) => ({ name, url }));
    const start = list.length ? nextBackend++ % list.length : 0;
    return [...list.slice(start), ...list.slice(0, start)];
  };

  /** Sends to the first instance that can be reached, starting with `candidates[0]`. */
  const forward = async (
    candidates: Backend[],
    headers: Record<string, string>,
    body: Buffer,
    path = WEBHOOK_PATH,
  ): Promise<{ backend: string | null; status: number; text: string }> => {
    for (const backend of candidates) {
      try {
        const timeout = path === WEBHOOK_PATH ? timeoutMs : (options.pushTimeoutMs ?? 120_000);
        const response = await fetch(`${backend.url}${path}`, { method: 'POST', headers, body, signal: AbortSignal.timeout(timeout) });
        return { backend: backend.name, status: response.status, text: await response.text() };
      } catch (error) {
        if ((error as Error).name === 'TimeoutError') return { backend: backend.name, status: 504, text: '' };
        // Refused: the request never reached that instance (it is gone); try the next, as a load balancer
        // would. Broken mid-request (the instance died while handling it): 502, and the sender retries.
        if ((error as { cause?: { code?: string } }).cause?.code !== 'ECONNREFUSED') return { backend: backend.name, status: 502, text: '' };
      }
    }
    return { backend: null, status: 502, text: '' };
  };

  const deliver = async (kind: DeliveryRecord['kind'], candidates: Backend[], headers: Record<string, string>, body: Buffer, payload: Record<string, unknown>) => {
    const startedAt = Date.now();
    const answer = await forward(candidates, headers, body);
    records.push({
      event: headers['x-gitlab-event'] ?? '',
      idempotencyKey: headers['idempotency-key'] ?? '',
      kind,
      backend: answer.backend,
      status: answer.status,
      outcome: outcomeOf(answer.text),
      noteId: payload.object_kind === 'note' ? Number((payload.object_attributes as { id?: unknown })?.id) : null,
      pipeline: payload.object_kind === 'pipeline' ? pipelineOf(payload) : null,
      startedAt,
      endedAt: Date.now(),
    });
    return answer;
  };

  const server: Server = createServer((req, res) => {
    void (async () => {
      const body = await readBody(req);
      const headers = pickHeaders(req);
      if (req.url !== WEBHOOK_PATH) {
        // Pub/Sub push (or anything else): forwarded as it is, only counted.
        const at = Date.now();
        const answer = await forward(order(), headers, body, req.url ?? '/');
        pushes.push({ at, status: answer.status, backend: answer.backend });
        res.writeHead(answer.status, { 'content-type': 'text/plain' }).end(answer.text);
        return;
      }
      let payload: Record<string, unknown> = {};
      try {
        payload = JSON.parse(body.toString('utf8')) as Record<string, unknown>;
      } catch {
        // forwarded as it is; the instance answers 400
      }
      const candidates = order();
      const answer = await deliver('primary', candidates, headers, body, payload);
      res.writeHead(answer.status, { 'content-type': 'application/json' }).end(answer.text);

      const plans = closed ? [] : (options.copies?.({ event: headers['x-gitlab-event'] ?? '', payload, index: deliveryIndex++ }) ?? []);
      for (const plan of plans) {
        const copy = (async () => {
          await new Promise((resolve) => setTimeout(resolve, plan.delayMs));
          if (closed) return;
          const copyHeaders: Record<string, string> = { ...headers, 'x-gitlab-webhook-uuid': randomUUID() };
          if (plan.newKey) {
            copyHeaders['idempotency-key'] = randomUUID();
            copyHeaders['x-gitlab-event-uuid'] = randomUUID();
          }
          // Another instance than the one that answered, when there is one.
          const others = order().sort((a, b) => Number(a.name === answer.backend) - Number(b.name === answer.backend));
          await deliver('copy', others, copyHeaders, body, payload);
        })();
        pending.add(copy);
        void copy.finally(() => pending.delete(copy));
      }
    })().catch((error: unknown) => {
      if (!res.headersSent) res.writeHead(500).end(String(error));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    setBackend(name, url) {
      if (url) backends.set(name, url);
      else backends.delete(name);
    },
    records: () => [...records],
    pushes: () => [...pushes],
    async idle() {
      while (pending.size > 0) await Promise.allSettled([...pending]);
    },
    async close() {
      closed = true;
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await Promise.allSettled([...pending]);
    },
  };
}

function pickHeaders(req: IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const name of FORWARDED_HEADERS) {
    const value = req.headers[name];
    if (typeof value === 'string') headers[name] = value;
  }
  return headers;
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

function outcomeOf(text: string): string | null {
  try {
    const parsed = JSON.parse(text) as { status?: unknown };
    return typeof parsed.status === 'string' ? parsed.status : null;
  } catch {
    return null;
  }
}

function pipelineOf(payload: Record<string, unknown>): { id: number; status: string } {
  const attributes = payload.object_attributes as { id?: unknown; status?: unknown } | undefined;
  return { id: Number(attributes?.id), status: String(attributes?.status) };
}
