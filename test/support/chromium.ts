import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// Headless Chromium driven over the DevTools protocol (one page, a few commands), for tests that look at a
// page as a person would: navigate, fill a form, read the visible text, take a screenshot. `ws` (already
// installed, through the Google clients) carries the protocol; no browser-automation library is needed.

export const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'].find((path) => existsSync(path)) ?? null;

interface Socket {
  send(data: string): void;
  close(): void;
  on(event: 'message', listener: (data: Buffer) => void): void;
  on(event: 'open' | 'close', listener: () => void): void;
  on(event: 'error', listener: (error: Error) => void): void;
}

export interface Page {
  /** Navigate and wait for the load event. */
  goto(url: string): Promise<void>;
  /** Evaluate an expression in the page; `navigates`: wait for the load event it causes (a form submit). */
  evaluate<T>(expression: string, options?: { navigates?: boolean }): Promise<T>;
  screenshot(path: string): Promise<void>;
  close(): Promise<void>;
}

export async function openPage(options: { width?: number; height?: number } = {}): Promise<Page> {
  if (!CHROMIUM) throw new Error('no Chromium: apt-get install -y chromium');
  const profile = await mkdtemp(join(tmpdir(), 'chromium-'));
  const child = spawn(
    CHROMIUM,
    ['--headless=new', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-extensions', '--remote-debugging-port=0', `--user-data-dir=${profile}`, `--window-size=${options.width ?? 390},${options.height ?? 844}`, 'about:blank'],
    { stdio: ['ignore', 'ignore', 'pipe'], detached: true },
  );
  const stop = async () => {
    if (child.exitCode === null) {
      try {
        process.kill(-(child.pid as number), 'SIGKILL');
      } catch {
        /* gone already */
      }
      await new Promise((resolve) => child.once('exit', resolve));
    }
    await rm(profile, { recursive: true, force: true });
  };
  try {
    const browserUrl = await devToolsUrl(child);
    const { port } = new URL(browserUrl);
    const targets = (await (await fetch(`http://127.0.0.1:${port}/json/list`)).json()) as Array<{ type: string; webSocketDebuggerUrl: string }>;
    const target = targets.find((entry) => entry.type === 'page');
    if (!target) throw new Error('Chromium opened no page');
    const { default: WebSocket } = (await import('ws' as string)) as { default: new (url: string, options?: object) => Socket };
    const socket = new WebSocket(target.webSocketDebuggerUrl, { perMessageDeflate: false });
    await new Promise<void>((resolve, reject) => {
      socket.on('open', resolve);
      socket.on('error', reject);
    });
    return pageOver(socket, stop);
  } catch (error) {
    await stop();
    throw error;
  }
}

function devToolsUrl(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => reject(new Error(`Chromium did not start: ${output}`)), 30_000);
    child.stderr?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const match = /DevTools listening on (ws:\/\/\S+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(match[1] as string);
      }
    });
    child.once('exit', (code) => reject(new Error(`Chromium exited (${code}): ${output}`)));
  });
}

function pageOver(socket: Socket, stop: () => Promise<void>): Page {
  let nextId = 1;
  const pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  const waiters: Array<{ method: string; resolve: () => void }> = [];
  socket.on('message', (data) => {
    const message = JSON.parse(data.toString()) as { id?: number; result?: unknown; error?: { message: string }; method?: string };
    if (message.id !== undefined) {
      const call = pending.get(message.id);
      pending.delete(message.id);
      if (message.error) call?.reject(new Error(message.error.message));
      else call?.resolve(message.result);
      return;
    }
    for (const waiter of waiters.filter((entry) => entry.method === message.method)) {
      waiters.splice(waiters.indexOf(waiter), 1);
      waiter.resolve();
    }
  });
  const send = <T>(method: string, params: object = {}): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      const id = nextId++;
      pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
      socket.send(JSON.stringify({ id, method, params }));
    });
  const next = (method: string) =>
    new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out waiting for ${method}`)), 15_000);
      waiters.push({ method, resolve: () => (clearTimeout(timer), resolve()) });
    });
  const ready = Promise.all([send('Page.enable'), send('Runtime.enable')]);
  const evaluate = async <T>(expression: string): Promise<T> => {
    const reply = await send<{ result: { value: T }; exceptionDetails?: { text: string } }>('Runtime.evaluate', { expression, returnByValue: true, awaitPromise: true });
    if (reply.exceptionDetails) throw new Error(`in the page: ${reply.exceptionDetails.text}`);
    return reply.result.value;
  };
  return {
    async goto(url) {
      await ready;
      const loaded = next('Page.loadEventFired');
      await send('Page.navigate', { url });
      await loaded;
    },
    async evaluate<T>(expression: string, options: { navigates?: boolean } = {}) {
      await ready;
      if (!options.navigates) return evaluate<T>(expression);
      const loaded = next('Page.loadEventFired');
      const value = await evaluate<T>(expression);
      await loaded;
      return value;
    },
    async screenshot(path) {
      const { data } = await send<{ data: string }>('Page.captureScreenshot', { format: 'png', captureBeyondViewport: true });
      await writeFile(path, Buffer.from(data, 'base64'));
    },
    async close() {
      socket.close();
      await stop();
    },
  };
}
