import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { client, world } from './helpers.js';

let w: Awaited<ReturnType<typeof world>>;
beforeEach(async () => {
  w = await world();
});
afterEach(async () => {
  await w.gitlab.close();
});

async function statuses(count: number): Promise<number[]> {
  const api = client(w.gitlab, w.dev.token);
  const out: number[] = [];
  for (let i = 0; i < count; i += 1) out.push((await api.get('/user')).status);
  return out;
}

describe('fault injection', () => {
  it('answers 429 with Retry-After and the RateLimit-* headers GitLab sends', async () => {
    w.gitlab.setFaults({ rate429Rate: 1, retryAfterSeconds: 7 });
    const reply = await client(w.gitlab, w.dev.token).get('/user');
    expect(reply.status).toBe(429);
    expect(reply.text).toBe('Retry later\n');
    expect(reply.headers.get('content-type')).toBe('text/plain');
    expect(reply.headers.get('retry-after')).toBe('7');
    expect(reply.headers.get('ratelimit-remaining')).toBe('0');
    expect(Number(reply.headers.get('ratelimit-limit'))).toBeGreaterThan(0);
    expect(Number(reply.headers.get('ratelimit-observed'))).toBeGreaterThan(Number(reply.headers.get('ratelimit-limit')));
    const reset = Number(reply.headers.get('ratelimit-reset'));
    expect(reset * 1000).toBeGreaterThanOrEqual(Date.now() + 5000);
    expect(Date.parse(reply.headers.get('ratelimit-resettime') ?? '')).toBeGreaterThan(Date.now());
    expect(reply.headers.get('ratelimit-name')).toBe('throttle_authenticated_api');
  });

  it('answers 500 with GitLab\'s body', async () => {
    w.gitlab.setFaults({ error500Rate: 1 });
    const reply = await client(w.gitlab, w.dev.token).get('/user');
    expect(reply.status).toBe(500);
    expect(reply.body).toEqual({ message: '500 Internal Server Error' });
  });

  it('is deterministic for a seed, and mixes faults at about the asked rates', async () => {
    w.gitlab.setFaults({ rate429Rate: 0.2, error500Rate: 0.2, seed: 42 });
    const first = await statuses(60);
    w.gitlab.setFaults({ rate429Rate: 0.2, error500Rate: 0.2, seed: 42 });
    const second = await statuses(60);
    expect(second).toEqual(first);
    const count = (status: number) => first.filter((s) => s === status).length;
    expect(count(429)).toBeGreaterThan(3);
    expect(count(500)).toBeGreaterThan(3);
    expect(count(200)).toBeGreaterThan(20);
  });

  it('does not touch seeding, and records faulted calls', async () => {
    w.gitlab.setFaults({ error500Rate: 1 });
    const user = w.gitlab.addUser({ username: 'seeded-while-failing' });
    expect(user.id).toBeGreaterThan(0);
    await client(w.gitlab, w.dev.token).get('/user');
    expect(w.gitlab.requests.at(-1)).toMatchObject({ method: 'GET', path: '/user', status: 500, fault: 500 });
    w.gitlab.setFaults({});
    expect((await client(w.gitlab, w.dev.token).get('/user')).status).toBe(200);
  });

  it('limits random faults to matching calls', async () => {
    w.gitlab.setFaults({ rate429Rate: 1, match: { method: 'POST', path: /\/pipeline$/ } });
    const api = client(w.gitlab, w.bot.token);
    expect((await api.get('/user')).status).toBe(200);
    expect((await api.post(`/projects/${w.project.id}/pipeline`, { ref: 'main' })).status).toBe(429);
    expect(w.gitlab.pipelines()).toHaveLength(0);
  });

  it('fails exactly the next matching calls with a queued fault', async () => {
    w.gitlab.queueFault({ status: 503, times: 2, path: '/user' });
    expect(await statuses(3)).toEqual([503, 503, 200]);
    w.gitlab.queueFault({ status: 429, retryAfterSeconds: 3 });
    const reply = await client(w.gitlab, w.dev.token).get(`/users/${w.dev.id}`);
    expect(reply.status).toBe(429);
    expect(reply.headers.get('retry-after')).toBe('3');
  });

  it('adds latency when asked', async () => {
    w.gitlab.setLatency({ minMs: 60, maxMs: 60 });
    const started = Date.now();
    await client(w.gitlab, w.dev.token).get('/user');
    expect(Date.now() - started).toBeGreaterThanOrEqual(55);
    w.gitlab.setLatency(null);
  });
});

describe('rate limit', () => {
  it('throttles each token separately in a fixed window, with Retry-After to the end of the window', async () => {
    let now = new Date('2026-03-01T10:00:10Z');
    await w.gitlab.close();
    w = await world({ now: () => now, rateLimit: { limit: 2, periodSeconds: 60 } });
    expect(await statuses(3)).toEqual([200, 200, 429]);
    const throttled = await client(w.gitlab, w.dev.token).get('/user');
    expect(throttled.headers.get('retry-after')).toBe('50');
    expect(throttled.headers.get('ratelimit-limit')).toBe('2');
    expect(throttled.headers.get('ratelimit-observed')).toBe('4');
    expect((await client(w.gitlab, w.bot.token).get('/user')).status).toBe(200);
    now = new Date('2026-03-01T10:01:00Z');
    expect(await statuses(1)).toEqual([200]);
    w.gitlab.setRateLimit(null);
    expect(await statuses(5)).toEqual([200, 200, 200, 200, 200]);
  });
});

describe('request log', () => {
  it('keeps only the newest calls when capped', async () => {
    await w.gitlab.close();
    w = await world({ maxRecordedRequests: 2 });
    await statuses(3);
    expect(w.gitlab.requests).toHaveLength(2);
  });

  it('records method, path, status, user and time of every API call', async () => {
    const before = new Date();
    await client(w.gitlab, w.bot.token).get(`/projects/${w.project.id}/members/all/${w.outsider.id}?x=1`);
    await client(w.gitlab).get('/user');
    const [first, second] = w.gitlab.requests;
    expect(first).toMatchObject({ method: 'GET', path: `/projects/${w.project.id}/members/all/${w.outsider.id}`, query: 'x=1', status: 404, userId: w.bot.id, username: 'claude-bot', fault: null });
    expect(first!.time.getTime()).toBeGreaterThanOrEqual(before.getTime() - 1);
    expect(second).toMatchObject({ path: '/user', status: 401, userId: null });
    w.gitlab.clearRequests();
    expect(w.gitlab.requests).toEqual([]);
  });
});
