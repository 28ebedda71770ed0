import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { sleep } from './eventually.js';
import { killOnExit } from './kill-on-exit.js';

// Starts Google's Pub/Sub and Firestore emulators (gcloud, Java) on free local ports. Used once per test
// run by global-setup.ts, and directly by scripts (demo, bench, two-instance tests) that want their own.
// gcloud is a Python wrapper that spawns a java child: each emulator runs in its own process group so
// stop() can end the whole tree, and an exit hook kills leftovers if the runner dies first.

export type EmulatorKind = 'pubsub' | 'firestore';

export interface EmulatorHandle {
  kind: EmulatorKind;
  /** host:port, what PUBSUB_EMULATOR_HOST / FIRESTORE_EMULATOR_HOST take. */
  host: string;
  /** Milliseconds from spawn to answering. */
  startMs: number;
  /** The emulator's own process group (gcloud and its JVM), for tests that freeze it with SIGSTOP. */
  processGroup: number;
  /** The emulator's recent output, for error messages. */
  output(): string;
  stop(): Promise<void>;
}

export interface StartEmulatorOptions {
  /** Give up (and kill it) after this long. Default 60 s: a cold JVM on a busy CI box is slow. */
  timeoutMs?: number;
  /** Fixed port; default: a free one (retried on a bind race). */
  port?: number;
}

const COMMANDS: Record<EmulatorKind, (hostPort: string) => string[]> = {
  pubsub: (hostPort) => ['beta', 'emulators', 'pubsub', 'start', `--host-port=${hostPort}`, '--quiet'],
  firestore: (hostPort) => ['emulators', 'firestore', 'start', `--host-port=${hostPort}`, '--quiet'],
};

// Printed once the server listens. Waiting for our child's own line (not only for the port to answer)
// rules out talking to some other process that grabbed the port first.
const READY_LINES: Record<EmulatorKind, RegExp> = {
  pubsub: /Server started, listening on (\d+)/,
  firestore: /Dev App Server is now running/,
};

export async function startEmulator(kind: EmulatorKind, options: StartEmulatorOptions = {}): Promise<EmulatorHandle> {
  const attempts = options.port ? 1 : 3;
  let lastError: unknown;
  for (let attempt = 1; attempt <= attempts; attempt += 1) {
    try {
      return await startOnce(kind, options.port ?? (await freePort()), options.timeoutMs ?? 60_000);
    } catch (error) {
      lastError = error;
      // Only a lost race for the port is worth another try; anything else (no gcloud, no java) is not.
      if (!(error instanceof Error && /address already in use|BindException/i.test(error.message))) throw error;
    }
  }
  throw lastError;
}

/** Both emulators, started in parallel (each JVM takes a few seconds). */
export async function startEmulators(options: StartEmulatorOptions = {}): Promise<{
  pubsub: EmulatorHandle;
  firestore: EmulatorHandle;
  stop(): Promise<void>;
}> {
  const [pubsub, firestore] = await Promise.allSettled([startEmulator('pubsub', options), startEmulator('firestore', options)]);
  if (pubsub.status === 'rejected' || firestore.status === 'rejected') {
    await Promise.allSettled([pubsub, firestore].map((result) => (result.status === 'fulfilled' ? result.value.stop() : undefined)));
    throw pubsub.status === 'rejected' ? pubsub.reason : (firestore as PromiseRejectedResult).reason;
  }
  return {
    pubsub: pubsub.value,
    firestore: firestore.value,
    stop: async () => {
      await Promise.all([pubsub.value.stop(), firestore.value.stop()]);
    },
  };
}

/** A port nobody listens on right now (the OS picks it). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

async function startOnce(kind: EmulatorKind, port: number, timeoutMs: number): Promise<EmulatorHandle> {
  const host = `127.0.0.1:${port}`;
  const started = Date.now();
  const child = spawn('gcloud', COMMANDS[kind](host), {
    detached: true, // its own process group: we kill gcloud and its java child together
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, CLOUDSDK_CORE_DISABLE_PROMPTS: '1', CLOUDSDK_COMPONENT_MANAGER_DISABLE_UPDATE_CHECK: '1' },
  });
  // Leaves no orphaned JVMs if the runner dies.
  const untrack = killOnExit(child, (orphan) => signalGroup(orphan, 'SIGKILL'));
  const lines: string[] = [];
  const output = () => lines.join('').slice(-4000);
  let sawReadyLine = false;
  const onData = (chunk: Buffer) => {
    const text = chunk.toString('utf8');
    lines.push(text);
    if (lines.length > 400) lines.splice(0, lines.length - 400);
    if (READY_LINES[kind].test(text)) sawReadyLine = true;
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  const stop = () => killGroup(child).finally(untrack);

  let exited: string | null = null;
  child.once('error', (error) => (exited = `could not run gcloud: ${error.message}`));
  child.once('exit', (code, signal) => (exited ??= `gcloud exited (code ${code}, signal ${signal})`));

  const deadline = started + timeoutMs;
  while (Date.now() < deadline) {
    if (exited) {
      await stop();
      throw new Error(`${kind} emulator did not start: ${exited}\n${output()}`);
    }
    if (sawReadyLine && (await answers(host))) {
      return { kind, host, startMs: Date.now() - started, processGroup: child.pid as number, output, stop };
    }
    await sleep(100);
  }
  await stop();
  throw new Error(`${kind} emulator did not answer on ${host} within ${timeoutMs} ms (is java installed?)\n${output()}`);
}

/** Both emulators answer `GET /` with 200 "Ok" once they serve. */
async function answers(host: string): Promise<boolean> {
  try {
    const response = await fetch(`http://${host}/`, { signal: AbortSignal.timeout(1000) });
    return response.ok;
  } catch {
    return false;
  }
}

async function killGroup(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  signalGroup(child, 'SIGTERM');
  const timer = setTimeout(() => signalGroup(child, 'SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
  // gcloud may exit before its java child: make sure the group is gone too.
  signalGroup(child, 'SIGKILL');
}

function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  try {
    if (child.pid !== undefined) process.kill(-child.pid, signal);
  } catch {
    // Already gone.
  }
}

