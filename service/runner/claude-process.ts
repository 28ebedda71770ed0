import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { parseStreamLine, type RunResult, type StreamEvent } from './stream.js';

// Runs Claude Code as a child process: the prompt on stdin (never on a command line or in a shell),
// stream-json read line by line as it comes, stderr passed through to the job log with its tail kept
// for the tracking note, and a hard timeout (SIGTERM, then SIGKILL) that leaves the runner time to
// close the note before GitLab's job timeout kills everything.

export interface ClaudeProcessOptions {
  command: string;
  args: string[];
  cwd: string;
  env: NodeJS.ProcessEnv;
  stdin: string;
  timeoutMs: number;
  onEvent: (event: StreamEvent) => void;
  /** Raw stderr, for the job log. */
  onStderr?: (chunk: string) => void;
  signal?: AbortSignal;
  killGraceMs?: number;
  /** Run as this user (the runner is root): the agent's own, unprivileged identity. */
  uid?: number;
  gid?: number;
}

export interface ClaudeProcessOutcome {
  /** null when the process could not be started. */
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  aborted: boolean;
  spawnError: string | null;
  stderrTail: string;
  result: RunResult | null;
}

export function runClaudeProcess(options: ClaudeProcessOptions): Promise<ClaudeProcessOutcome> {
  return new Promise((resolve) => {
    let stderrTail = '';
    let result: RunResult | null = null;
    let timedOut = false;
    let aborted = false;
    let spawnError: string | null = null;
    let killTimer: NodeJS.Timeout | null = null;

    // With uid and gid, Node (libuv) also drops root's supplementary groups before exec.
    const identity = options.uid !== undefined && options.gid !== undefined ? { uid: options.uid, gid: options.gid } : {};
    const child = spawn(options.command, options.args, { cwd: options.cwd, env: options.env, stdio: ['pipe', 'pipe', 'pipe'], ...identity });

    const stop = () => {
      child.kill('SIGTERM');
      killTimer = setTimeout(() => child.kill('SIGKILL'), options.killGraceMs ?? 10_000);
      killTimer.unref();
    };
    const timer = setTimeout(() => {
      timedOut = true;
      stop();
    }, options.timeoutMs);
    const onAbort = () => {
      aborted = true;
      stop();
    };
    options.signal?.addEventListener('abort', onAbort, { once: true });

    child.on('error', (error) => {
      spawnError = error.message;
    });
    // A child that exits before reading its stdin must not crash the runner with EPIPE.
    child.stdin.on('error', () => {});
    child.stdin.end(options.stdin);

    const lines = createInterface({ input: child.stdout });
    lines.on('line', (line) => {
      for (const event of parseStreamLine(line)) {
        if (event.kind === 'result') result = event.result;
        options.onEvent(event);
      }
    });
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => {
      stderrTail = (stderrTail + chunk).slice(-4_000);
      options.onStderr?.(chunk);
    });

    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (killTimer) clearTimeout(killTimer);
      options.signal?.removeEventListener('abort', onAbort);
      resolve({ exitCode: spawnError ? null : code, signal, timedOut, aborted, spawnError, stderrTail, result });
    });
  });
}
