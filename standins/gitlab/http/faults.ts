import { seededRandom } from '../../../devtools/seeded-random.js';
import { throttledReply } from './rate-limit.js';
import type { Reply } from './router.js';

// Fault and latency injection for API calls (never for seeding, which does not go through HTTP).
// Random faults come from a seeded generator, so a run with the same seed and the same request order
// fails the same requests. Queued faults fail the next matching requests, for tests that need one
// exact failure.
//
// A 429 looks like GitLab's Rack::Attack throttle response: text/plain "Retry later\n" with Retry-After
// (seconds) and the RateLimit-* headers (https://docs.gitlab.com/security/rate_limits/ lists
// RateLimit-Name, -Limit, -Observed, -Remaining, -Reset (Unix time) and -ResetTime (HTTP date)).

export interface FaultSettings {
  /** Share of API calls answered 500 {"message":"500 Internal Server Error"}. */
  error500Rate?: number;
  /** Share of API calls answered 429. */
  rate429Rate?: number;
  /** Retry-After on injected 429s. Default 1. */
  retryAfterSeconds?: number;
  /** Restarts the generator. */
  seed?: number;
  /** Limits random faults to matching calls. */
  match?: FaultMatch;
}

export interface FaultMatch {
  method?: string;
  /** Matched against the path below /api/v4, e.g. `/projects/101/pipeline`. */
  path?: RegExp | string;
}

export interface QueuedFault extends FaultMatch {
  status: 429 | 500 | 502 | 503;
  /** How many matching calls fail. Default 1. */
  times?: number;
  retryAfterSeconds?: number;
}

export interface LatencySettings {
  minMs: number;
  maxMs: number;
}

export class Faults {
  private settings: FaultSettings = {};
  private random: () => number;
  private latencyRandom: () => number;
  private latency: LatencySettings | null = null;
  private readonly queued: Array<QueuedFault & { left: number }> = [];

  constructor(private readonly seed: number, private readonly now: () => Date) {
    this.random = seededRandom(seed);
    this.latencyRandom = seededRandom(seed ^ 0x5bd1e995);
  }

  set(settings: FaultSettings): void {
    this.settings = { ...settings };
    if (settings.seed !== undefined) this.random = seededRandom(settings.seed);
  }

  queue(fault: QueuedFault): void {
    this.queued.push({ ...fault, left: fault.times ?? 1 });
  }

  clear(): void {
    this.settings = {};
    this.queued.length = 0;
    this.latency = null;
  }

  setLatency(latency: LatencySettings | null): void {
    this.latency = latency;
  }

  delayMs(): number {
    if (!this.latency) return 0;
    const { minMs, maxMs } = this.latency;
    return minMs + Math.floor(this.latencyRandom() * Math.max(0, maxMs - minMs + 1));
  }

  /** The injected answer for this call, or null to serve it. */
  decide(method: string, path: string): Reply | null {
    const index = this.queued.findIndex((fault) => matches(fault, method, path));
    if (index !== -1) {
      const fault = this.queued[index] as QueuedFault & { left: number };
      fault.left -= 1;
      if (fault.left <= 0) this.queued.splice(index, 1);
      return this.reply(fault.status, fault.retryAfterSeconds ?? this.settings.retryAfterSeconds ?? 1);
    }
    const { rate429Rate = 0, error500Rate = 0 } = this.settings;
    if (rate429Rate <= 0 && error500Rate <= 0) return null;
    if (this.settings.match && !matches(this.settings.match, method, path)) return null;
    // One draw per call keeps the sequence stable when rates change between runs.
    const draw = this.random();
    if (draw < rate429Rate) return this.reply(429, this.settings.retryAfterSeconds ?? 1);
    if (draw < rate429Rate + error500Rate) return this.reply(500, 0);
    return null;
  }

  private reply(status: number, retryAfterSeconds: number): Reply {
    if (status === 429) return throttledReply(this.now(), retryAfterSeconds, 2000, 2001);
    if (status === 500) return { status, body: { message: '500 Internal Server Error' } };
    // 502/503 come from the load balancer in front of GitLab, as an HTML page.
    return { status, body: `<!DOCTYPE html><html><body><h1>${status}</h1><p>GitLab is not responding.</p></body></html>`, headers: { 'content-type': 'text/html' } };
  }
}

function matches(match: FaultMatch, method: string, path: string): boolean {
  if (match.method && match.method.toUpperCase() !== method) return false;
  if (match.path instanceof RegExp) return match.path.test(path);
  if (typeof match.path === 'string') return match.path === path;
  return true;
}
