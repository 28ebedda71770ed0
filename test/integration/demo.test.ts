import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { realClaudePath } from '../../standins/real-claude.js';

// `npm run demo` is the newcomer's first look: it must keep working and keep showing the whole loop, from
// the comment to the draft merge request. It runs the real Claude Code binary against the scripted model.
describe.skipIf(!realClaudePath())('npm run demo', () => {
  it('shows the comment, the triggered pipeline, the tracking note turning into the answer, the pushed branch and the draft merge request', async () => {
    // Without ANTHROPIC_API_KEY, so the demo stays offline whatever the machine has set.
    const { ANTHROPIC_API_KEY: _, ANTHROPIC_BASE_URL: __, ...env } = process.env;
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', 'scripts/demo.ts'], { timeout: 60_000, env: { ...env, LOG_LEVEL: 'error' } });
    const section = (n: number) => stdout.slice(stdout.indexOf(`\n${n}. `), stdout.indexOf(`\n${n + 1}. `) > 0 ? stdout.indexOf(`\n${n + 1}. `) : undefined);

    expect(stdout).toContain('model: a scripted stand-in');
    expect(section(1)).toContain('@claude the checkout test fails now and then; find out why and fix it');

    expect(section(2)).toMatch(/claude-bot: 🤖 Claude is on it: \[pipeline #\d+\]/);
    expect(section(2)).toContain(':eyes: by claude-bot');
    expect(section(2)).toMatch(/pipeline #\d+ \(source: api\) on ref main/);
    expect(section(2)).toContain('AI_FLOW_INPUT = "@claude the checkout test fails');
    expect(section(2)).toContain('"tracking_note_id"');

    // The note as the runner edits it: progress first, then the answer that links the merge request.
    const note = section(3);
    const progress = note.indexOf('│ 🤖 Claude is working on this.');
    const answer = note.indexOf('│ The test is flaky because `total()`');
    expect(progress).toBeGreaterThan(0);
    expect(answer).toBeGreaterThan(progress);
    expect(note).toMatch(/Changes: draft merge request \[!1\]\(.*\) from branch `claude\/issue-1-\d{8}-\d{6}`/);
    expect(note).toContain('the job ended with status 0');

    expect(section(4)).toMatch(/the runner pushed branch claude\/issue-1-\d{8}-\d{6} \(push options: ci\.skip; main is untouched\)/);
    expect(section(4)).toContain('Address #1: Checkout test is flaky');
    expect(section(4)).toContain('+  return items.reduce((sum, item) => sum + Math.round(item.price * 100) * item.quantity, 0);');
    expect(section(4)).toContain('-  return Math.floor(euros * 100);');

    expect(section(5)).toMatch(/merge request !1 \(draft\): claude\/issue-1-\S+ → main, by claude-bot/);
    expect(section(5)).toContain('Closes #1');
    expect(stdout).toMatch(/Pipeline #\d+ success/);
  }, 90_000);
});
