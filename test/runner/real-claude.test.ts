import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { claudeArgs } from '../../service/runner/claude-args.js';
import { runClaudeProcess } from '../../service/runner/claude-process.js';
import { DEFAULT_ALLOWED_TOOLS } from '../../service/runner/config.js';
import { claudeHint } from '../../service/runner/hints.js';
import type { StreamEvent } from '../../service/runner/stream.js';
import { realClaudePath } from '../../standins/real-claude.js';
import { removeTempDirs, tempDir } from '../../devtools/temp.js';

// The real Claude Code CLI ships inside the Agent SDK dev dependency as a native binary (linux-x64).
// Without credentials it stops before any network call, which is enough to check, offline, that it
// accepts exactly the command line the runner builds and answers in the stream-json shapes the runner
// reads. Skipped where that platform package is not installed.

const claude = realClaudePath();

describe.skipIf(!claude)('the real claude CLI (from the Agent SDK package)', () => {
  const sandbox = tempDir('real-claude');
  afterAll(removeTempDirs);
  const env = {
    PATH: process.env.PATH,
    HOME: sandbox,
    CLAUDE_CONFIG_DIR: join(sandbox, '.claude'),
    // Offline and quiet: no telemetry, no update checks. No credentials of any provider.
    CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
    DISABLE_AUTOUPDATER: '1',
  };

  for (const canWrite of [true, false]) {
    it(`accepts the runner's command line (${canWrite ? 'a run that can push' : 'a reply-only run'}) and answers in stream-json`, async () => {
      const settings = join(sandbox, 'settings.json');
      writeFileSync(settings, '{"permissions":{"deny":["WebFetch"]}}\n');
      const args = claudeArgs({ allowedTools: DEFAULT_ALLOWED_TOOLS, canWrite, canRunCommands: canWrite, maxTurns: 3, model: null, systemPrompt: 'Answer briefly.', trustedSettingsFile: settings });
      const events: StreamEvent[] = [];
      const outcome = await runClaudeProcess({ command: claude!, args, cwd: sandbox, env, stdin: 'Say hello.', timeoutMs: 60_000, onEvent: (event) => events.push(event) });
      expect(outcome.stderrTail).not.toMatch(/unknown option|error: option/i);
      expect(outcome.exitCode).toBe(1);
      const init = events.find((event) => event.kind === 'init');
      expect(init).toMatchObject({ kind: 'init', permissionMode: canWrite ? 'acceptEdits' : 'default', tools: expect.arrayContaining(canWrite ? ['Read', 'Edit', 'Write', 'Glob', 'Grep', 'Bash'] : ['Read', 'Glob', 'Grep']) });
      if (!canWrite) expect((init as { tools: string[] }).tools).not.toEqual(expect.arrayContaining(['Write']));
      // Every tool the default allow-list names exists in this version.
      if (canWrite) expect((init as { tools: string[] }).tools).toEqual(expect.arrayContaining([...new Set(DEFAULT_ALLOWED_TOOLS.map((rule) => rule.replace(/\(.*$/, '')))]));
      expect(outcome.result).toMatchObject({ subtype: 'success', isError: true, text: 'Not logged in · Please run /login', numTurns: 1, totalCostUsd: 0 });
      expect(claudeHint(outcome.result!.text!)).toMatch(/could not authenticate/);
    });
  }

  it('refuses an option it does not know, so the check above can fail', async () => {
    const outcome = await runClaudeProcess({ command: claude!, args: ['-p', '--no-such-option'], cwd: sandbox, env, stdin: 'x', timeoutMs: 60_000, onEvent: () => {} });
    expect(outcome.exitCode).not.toBe(0);
    expect(outcome.stderrTail).toMatch(/unknown option '--no-such-option'/);
    expect(outcome.result).toBeNull();
  });
});
