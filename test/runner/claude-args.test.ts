import { describe, expect, it } from 'vitest';
import { claudeArgs, DENIED_TOOLS, effectiveTools } from '../../service/runner/claude-args.js';
import { DEFAULT_ALLOWED_TOOLS } from '../../service/runner/config.js';

const base = { allowedTools: DEFAULT_ALLOWED_TOOLS, canWrite: true, maxTurns: 12, model: null, systemPrompt: 'SYSTEM', loadProjectSettings: true, trustedSettingsFile: null };
const valueOf = (args: string[], flag: string) => args[args.indexOf(flag) + 1];

describe('claudeArgs', () => {
  it('runs print mode with stream-json, --verbose, acceptEdits, the allow-list and max turns', () => {
    const args = claudeArgs(base);
    expect(args.slice(0, 4)).toEqual(['-p', '--output-format', 'stream-json', '--verbose']);
    expect(valueOf(args, '--permission-mode')).toBe('acceptEdits');
    expect(valueOf(args, '--max-turns')).toBe('12');
    expect(valueOf(args, '--allowedTools')).toBe(DEFAULT_ALLOWED_TOOLS.join(','));
    expect(valueOf(args, '--disallowedTools')).toContain('Bash(git push:*)');
    expect(valueOf(args, '--append-system-prompt')).toBe('SYSTEM');
    expect(args).not.toContain('--model');
    expect(args).not.toContain('--dangerously-skip-permissions');
  });

  it('never allows a git push or commit tool, whatever the allow-list says', () => {
    expect(DENIED_TOOLS).toEqual(expect.arrayContaining(['Bash(git push:*)', 'Bash(git commit:*)']));
  });

  it('drops file-writing tools when the run cannot push', () => {
    expect(effectiveTools(['Read', 'Edit', 'Write', 'MultiEdit', 'NotebookEdit', 'Bash(npm test:*)'], false)).toEqual(['Read', 'Bash(npm test:*)']);
    const tools = valueOf(claudeArgs({ ...base, canWrite: false }), '--allowedTools')!.split(',');
    expect(tools).toContain('Read');
    expect(tools.filter((tool) => ['Edit', 'MultiEdit', 'Write'].includes(tool))).toEqual([]);
  });

  it('loads project settings on the default branch, and only the trusted settings file elsewhere', () => {
    expect(valueOf(claudeArgs(base), '--setting-sources')).toBe('user,project');
    const mr = claudeArgs({ ...base, loadProjectSettings: false, trustedSettingsFile: '/tmp/x/settings.json' });
    expect(valueOf(mr, '--setting-sources')).toBe('user');
    expect(valueOf(mr, '--settings')).toBe('/tmp/x/settings.json');
  });

  it('passes --model when set', () => {
    expect(valueOf(claudeArgs({ ...base, model: 'claude-opus-4-1' }), '--model')).toBe('claude-opus-4-1');
  });
});
