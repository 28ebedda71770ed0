import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

// The real Claude Code CLI ships inside the Agent SDK dev dependency as a native binary (linux-x64).
// Tests that need it skip where that platform package is not installed.

export function realClaudePath(): string | null {
  try {
    const require = createRequire(import.meta.url);
    const path = join(dirname(require.resolve('@anthropic-ai/claude-agent-sdk-linux-x64/package.json')), 'claude');
    return existsSync(path) ? path : null;
  } catch {
    return null;
  }
}

export const isRoot = process.getuid?.() === 0;
