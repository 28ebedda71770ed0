import { afterEach, describe, expect, it } from 'vitest';
import { sameSecret, statusAuth } from '../../service/status/auth.js';
import { escape, link, renderStatusPage } from '../../service/status/render.js';
import { readStatus } from '../../service/status/snapshot.js';
import { MemoryStore } from '../../service/store/memory-store.js';
import { HOSTILE_TITLE, STATUS_TOKEN, seedRuns, startStatusWorld, type StatusWorld } from './status-world.js';

// The status page's HTTP answers, exactly: off without STATUS_TOKEN, 401 and nothing shown without the
// token, a session cookie that is not the token; and the pure render escaping what people wrote.

let world: StatusWorld | undefined;
afterEach(async () => {
  await world?.close();
  world = undefined;
});

async function seeded(token: string | null = STATUS_TOKEN): Promise<StatusWorld> {
  const store = new MemoryStore();
  await seedRuns(store);
  world = await startStatusWorld(store, token);
  return world;
}

describe('GET /status', () => {
  it('does not exist without STATUS_TOKEN', async () => {
    const { url } = await seeded(null);
    for (const path of ['/status', '/status.json']) expect((await fetch(`${url}${path}`)).status).toBe(404);
    expect((await fetch(`${url}/status/login`, { method: 'POST', body: new URLSearchParams({ token: 'x' }) })).status).toBe(404);
  });

  it('answers 401 and shows nothing without the token, or with a wrong one', async () => {
    const { url } = await seeded();
    for (const headers of <Array<Record<string, string>>>[{}, { authorization: 'Bearer wrong-token' }, { cookie: 'cgf_status=forged' }, { authorization: `Basic ${STATUS_TOKEN}` }]) {
      const page = await fetch(`${url}/status`, { headers });
      expect(page.status).toBe(401);
      const html = await page.text();
      expect(html).toContain('Status: sign in');
      expect(html).not.toMatch(/Issue 1|run-finished|dana/);
      const json = await fetch(`${url}/status.json`, { headers });
      expect(json.status).toBe(401);
      expect(await json.json()).toEqual({ error: 'unauthorized' });
    }
    const pause = await fetch(`${url}/status/pause`, { method: 'POST' });
    expect(pause.status).toBe(401);
  });

  it('opens with the bearer token: the JSON view of the store', async () => {
    const { url } = await seeded();
    const answer = await fetch(`${url}/status.json`, { headers: { authorization: `Bearer ${STATUS_TOKEN}` } });
    expect(answer.status).toBe(200);
    expect(answer.headers.get('cache-control')).toBe('no-store');
    const body = (await answer.json()) as { runs: Array<{ runId: string; phase: string }>; pause: { paused: boolean } };
    expect(body.runs.map((run) => [run.runId, run.phase])).toEqual([
      ['run-waiting', 'waiting'],
      ['run-running', 'running'],
      ['run-finished', 'finished'],
    ]);
    expect(body.pause.paused).toBe(false);
  });

  it('the login form sets an HttpOnly, Secure, SameSite=Strict cookie that holds an HMAC, not the token', async () => {
    const { url } = await seeded();
    const wrong = await fetch(`${url}/status/login`, { method: 'POST', body: new URLSearchParams({ token: 'nope' }), redirect: 'manual' });
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get('set-cookie')).toBeNull();
    const login = await fetch(`${url}/status/login`, { method: 'POST', body: new URLSearchParams({ token: STATUS_TOKEN }), redirect: 'manual' });
    expect(login.status).toBe(303);
    expect(login.headers.get('location')).toBe('/status');
    const cookie = login.headers.get('set-cookie') as string;
    expect(cookie).toMatch(/^cgf_status=[A-Za-z0-9_-]{43}; Path=\/status; Max-Age=86400; HttpOnly; Secure; SameSite=Strict$/);
    expect(cookie).not.toContain(STATUS_TOKEN);
    const page = await fetch(`${url}/status`, { headers: { cookie: cookie.split(';')[0] as string } });
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toContain("default-src 'none'");
    const html = await page.text();
    expect(html).toContain('<meta name="viewport" content="width=device-width, initial-scale=1">');
    expect(html).not.toContain(HOSTILE_TITLE);
    expect(html).toContain('&lt;script&gt;document.title=&quot;pwned&quot;&lt;/script&gt;');
  });

  it('refuses a pause a browser says is cross-site', async () => {
    const { url } = await seeded();
    const answer = await fetch(`${url}/status/pause`, { method: 'POST', headers: { authorization: `Bearer ${STATUS_TOKEN}`, 'sec-fetch-site': 'cross-site' } });
    expect(answer.status).toBe(403);
  });
});

describe('the pure parts', () => {
  it('escapes every character that matters in text and attributes, and links only http(s)', () => {
    expect(escape(`<a href="x" onclick='y'>&`)).toBe('&lt;a href=&quot;x&quot; onclick=&#39;y&#39;&gt;&amp;');
    expect(link('javascript:alert(1)', 'click')).toBe('click');
    expect(link('https://gitlab.example/a?b=1&c="2"', '<b>')).toBe('<a href="https://gitlab.example/a?b=1&amp;c=&quot;2&quot;" rel="noreferrer noopener">&lt;b&gt;</a>');
  });

  it('renders a title with <script> as text', async () => {
    const store = new MemoryStore();
    await seedRuns(store);
    const html = renderStatusPage(await readStatus(store, { now: Date.now(), stalledAfterMs: 600_000 }), { controls: false });
    expect(html).not.toMatch(/<script|<img|onerror="/i);
    expect(html).toContain('@eve&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).not.toContain('<form');
  });

  it('compares secrets by their hashes, so lengths may differ', () => {
    expect(sameSecret('short', 'a much longer secret')).toBe(false);
    expect(sameSecret(STATUS_TOKEN, STATUS_TOKEN)).toBe(true);
    const auth = statusAuth(STATUS_TOKEN);
    expect(auth.allows({ authorization: `bearer ${STATUS_TOKEN}` })).toBe(true);
    expect(auth.allows({ cookie: `other=1; ${auth.sessionCookie().split(';')[0]}` })).toBe(true);
    expect(statusAuth('another-token-0123456789').allows({ cookie: auth.sessionCookie().split(';')[0] })).toBe(false);
  });
});
