import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { freePort } from './emulators.js';
import { killOnExit } from './kill-on-exit.js';

// The service as a child process, the way it runs in production: `claude-gitlab-flow serve` with its
// settings in the environment, JSON log lines on stdout, SIGTERM for a graceful stop. For tests that
// need several instances, or need to crash one (SIGKILL) and start it again.

export interface LogLine {
  severity?: string;
  message?: string;
  time?: string;
  [field: string]: unknown;
}

export interface ProcessExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface ServiceProcessOptions {
  /** The service's settings (docs/configuration.md); PORT defaults to a free port. */
  env: Record<string, string>;
  /** A label for error messages ("instance A"). */
  name?: string;
  /** `tsx` runs service/cli.ts from source (default); `dist` runs the built bundle (`npm run build`). */
  entry?: 'tsx' | 'dist';
  /** Give up waiting for GET /healthz 200 after this long. Default 60 s (a busy 2-core box, tsx compiling). */
  readyTimeoutMs?: number;
  /** Also append every stdout line to this file (to read a failed run's logs whole). */
  logFile?: string;
}

export interface ServiceProcess {
  readonly name: string;
  readonly url: string;
  readonly pid: number;
  /** Every stdout line so far, parsed (a line that is not JSON becomes `{ message: line }`). */
  logs(): LogLine[];
  /** The last few KB of stderr. */
  stderr(): string;
  /** Resolves with the first log line (past or future) that matches. */
  waitForLog(what: string, match: (line: LogLine) => boolean, timeoutMs?: number): Promise<LogLine>;
  /** Settles when the process has exited. */
  readonly exited: Promise<ProcessExit>;
  /** SIGTERM (a graceful stop) and wait; SIGKILL if it has not exited after `graceMs` (default 20 s). */
  stop(graceMs?: number): Promise<ProcessExit>;
  /** SIGKILL: a crash, nothing flushed. */
  kill(): Promise<ProcessExit>;
}

const REPO_ROOT = fileURLToPath(new URL('../', import.meta.url));

/** Settings the child must get only from the test, never inherited from the runner's environment. */
const SETTING_PREFIXES = ['GITLAB_', 'PUBSUB_', 'FIRESTORE_', 'GOOGLE_', 'STORE', 'DEBOUNCE_MS', 'MAX_', 'MIN_ACCESS', 'LOG_LEVEL', 'PORT', 'TRIGGER_PHRASE', 'THREAD_RUN', 'SLOT_LEASE', 'ALLOW_CONFIDENTIAL', 'NODE_OPTIONS'];

export async function startServiceProcess(options: ServiceProcessOptions): Promise<ServiceProcess> {
  const name = options.name ?? 'service';
  const port = options.env.PORT ?? String(await freePort());
  const args = options.entry === 'dist' ? ['dist/service/cli.js', 'serve'] : ['--import', 'tsx', 'service/cli.ts', 'serve'];
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([key]) => !SETTING_PREFIXES.some((prefix) => key.startsWith(prefix))));
  const child = spawn(process.execPath, args, {
    cwd: REPO_ROOT,
    env: { ...inherited, ...options.env, PORT: port },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  // No service outlives the test runner.
  const untrack = killOnExit(child, (orphan) => signal(orphan, 'SIGKILL'));
  const exited = new Promise<ProcessExit>((resolve) => {
    child.once('exit', (code, signal) => {
      untrack();
      file?.end();
      resolve({ code, signal });
    });
  });

  const lines: LogLine[] = [];
  const watchers = new Set<(line: LogLine) => void>();
  let partial = '';
  const file = options.logFile ? createWriteStream(options.logFile, { flags: 'a' }) : null;
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    file?.write(chunk);
    partial += chunk;
    const complete = partial.split('\n');
    partial = complete.pop() ?? '';
    for (const text of complete) {
      if (!text.trim()) continue;
      const line = parseLine(text);
      lines.push(line);
      for (const watcher of watchers) watcher(line);
    }
  });
  let stderrText = '';
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    stderrText = (stderrText + chunk).slice(-8000);
    file?.write(chunk);
  });

  const url = `http://127.0.0.1:${port}`;
  const handle: ServiceProcess = {
    name,
    url,
    pid: child.pid as number,
    exited,
    logs: () => [...lines],
    stderr: () => stderrText,
    waitForLog(what, match, timeoutMs = 30_000) {
      const seen = lines.find(match);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          watchers.delete(watcher);
          reject(new Error(`${name}: no log line "${what}" within ${timeoutMs} ms`));
        }, timeoutMs);
        const watcher = (line: LogLine) => {
          if (!match(line)) return;
          clearTimeout(timer);
          watchers.delete(watcher);
          resolve(line);
        };
        watchers.add(watcher);
      });
    },
    async stop(graceMs = 20_000) {
      signal(child, 'SIGTERM');
      const timer = setTimeout(() => signal(child, 'SIGKILL'), graceMs);
      const exit = await exited;
      clearTimeout(timer);
      return exit;
    },
    async kill() {
      signal(child, 'SIGKILL');
      return exited;
    },
  };

  const deadline = Date.now() + (options.readyTimeoutMs ?? 60_000);
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`${name} exited before it was healthy (${child.exitCode ?? child.signalCode}): ${stderrText}\n${tail(lines)}`);
    }
    if (Date.now() > deadline) {
      await handle.kill();
      throw new Error(`${name} not healthy on ${url} within ${options.readyTimeoutMs ?? 60_000} ms: ${stderrText}\n${tail(lines)}`);
    }
    if (await healthy(url)) return handle;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

function parseLine(text: string): LogLine {
  try {
    const parsed: unknown = JSON.parse(text);
    if (parsed && typeof parsed === 'object') return parsed as LogLine;
  } catch {
    // not a log line of ours (a library printing on stdout)
  }
  return { message: text };
}

async function healthy(url: string): Promise<boolean> {
  try {
    const response = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(1000) });
    await response.arrayBuffer();
    return response.status === 200;
  } catch {
    return false;
  }
}

function signal(child: ChildProcess, name: NodeJS.Signals): void {
  if (child.exitCode !== null || child.signalCode !== null) return;
  try {
    child.kill(name);
  } catch {
    // already gone
  }
}

function tail(lines: LogLine[]): string {
  return lines
    .slice(-10)
    .map((line) => JSON.stringify(line))
    .join('\n');
}

