import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

// `npm run demo` is the newcomer's first look: it must keep working and keep showing the whole flow.
describe('npm run demo', () => {
  it('prints the triggered pipeline with its variables and the thread replies', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', 'scripts/demo.ts'], { timeout: 60_000, env: { ...process.env, LOG_LEVEL: 'error' } });
    expect(stdout).toMatch(/pipeline #\d+ triggered \(source: api\) on ref main/);
    expect(stdout).toContain('AI_FLOW_INPUT = "@claude the checkout test fails');
    expect(stdout).toContain('"tracking_note_id"');
    expect(stdout).toMatch(/claude-bot: 🤖 Claude is on it: \[pipeline #\d+\]/);
    expect(stdout).toContain(':eyes: by claude-bot');
  });
});
