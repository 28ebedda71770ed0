import type { Reply } from './router.js';

// A real rate limit, like GitLab's "authenticated API" throttle (Rack::Attack): a fixed window per user
// (per token), or per client address for anonymous calls. Past the limit a call gets the same 429 as
// an injected one, with Retry-After counting down to the end of the window. Off unless configured.

export interface RateLimitSettings {
  /** Calls allowed per window (GitLab.com: 2000 per minute for authenticated API calls). */
  limit: number;
  periodSeconds: number;
}

export function throttledReply(now: Date, retryAfterSeconds: number, limit: number, observed: number): Reply {
  const resetAt = new Date(now.getTime() + retryAfterSeconds * 1000);
  return {
    status: 429,
    body: 'Retry later\n',
    headers: {
      'content-type': 'text/plain',
      'retry-after': String(retryAfterSeconds),
      'ratelimit-name': 'throttle_authenticated_api',
      'ratelimit-limit': String(limit),
      'ratelimit-observed': String(observed),
      'ratelimit-remaining': '0',
      'ratelimit-reset': String(Math.ceil(resetAt.getTime() / 1000)),
      'ratelimit-resettime': resetAt.toUTCString(),
    },
  };
}

export class RateLimiter {
  private settings: RateLimitSettings | null = null;
  private readonly windows = new Map<string, { window: number; count: number }>();

  configure(settings: RateLimitSettings | null): void {
    this.settings = settings;
    this.windows.clear();
  }

  /** Counts the call; the 429 to answer when it is over the limit, else null. */
  check(key: string, now: Date): Reply | null {
    if (!this.settings) return null;
    const { limit, periodSeconds } = this.settings;
    const periodMs = periodSeconds * 1000;
    const window = Math.floor(now.getTime() / periodMs);
    const entry = this.windows.get(key);
    const current = entry && entry.window === window ? entry : { window, count: 0 };
    current.count += 1;
    this.windows.set(key, current);
    if (current.count <= limit) return null;
    const retryAfter = Math.max(1, Math.ceil(((window + 1) * periodMs - now.getTime()) / 1000));
    return throttledReply(now, retryAfter, limit, current.count);
  }
}
