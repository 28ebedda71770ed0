import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// The real Claude Code binary from the Agent SDK's linux-x64 package (null where it is not installed), run the
// way the gateway tests need: one prompt on stdin, stream-json out, an environment of only what is given.

export { realClaudePath as realClaude } from '../../../standins/real-claude.js';

export interface ClaudeRun {
  exitCode: number | null;
  events: Array<Record<string, unknown>>;
  result: Record<string, unknown> | undefined;
  stderr: string;
  durationMs: number;
}

const homes: string[] = [];

/** A fresh HOME (also TMPDIR, where the CLI leaves sockets) per run; removeHomes() after the tests. */
export function claudeHome(): string {
  const home = mkdtempSync(join(tmpdir(), 'gateway-claude-'));
  homes.push(home);
  return home;
}

export function removeHomes(): void {
  for (const home of homes.splice(0)) rmSync(home, { recursive: true, force: true });
}

export function runClaude(
  claude: string,
  agentEnv: Record<string, string>,
  prompt = 'Say hello.',
  timeoutMs = 60_000
): Promise<ClaudeRun> {
  const home = claudeHome();
  const env = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: home,
    TMPDIR: home,
    CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
    CLAUDE_CODE_MAX_RETRIES: '1',
    ...agentEnv,
  };
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(claude, ['-p', '--output-format', 'stream-json', '--verbose', '--max-turns', '3'], {
      cwd: home,
      env,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (exitCode) => {
      clearTimeout(timer);
      const events = stdout
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .map((line) => JSON.parse(line) as Record<string, unknown>);
      resolve({
        exitCode,
        events,
        result: events.findLast((event) => event.type === 'result'),
        stderr,
        durationMs: Date.now() - started,
      });
    });
    child.stdin.end(prompt);
  });
}
