import { describe, expect, it } from 'vitest';
import { claudeArgs, DENIED_TOOLS, effectiveTools, scopeRule } from '../../service/runner/claude-args.js';
import { DEFAULT_ALLOWED_TOOLS } from '../../service/runner/config.js';

const base = { allowedTools: DEFAULT_ALLOWED_TOOLS, canWrite: true, canRunCommands: true, maxTurns: 12, model: null, systemPrompt: 'SYSTEM', trustedSettingsFile: null };
const valueOf = (args: string[], flag: string) => args[args.indexOf(flag) + 1];

describe('claudeArgs', () => {
  it('runs print mode with stream-json, --verbose, acceptEdits, the scoped allow-list and max turns', () => {
    const args = claudeArgs(base);
    expect(args.slice(0, 4)).toEqual(['-p', '--output-format', 'stream-json', '--verbose']);
    expect(valueOf(args, '--permission-mode')).toBe('acceptEdits');
    expect(valueOf(args, '--max-turns')).toBe('12');
    expect(valueOf(args, '--allowedTools')).toBe('Read(./**),Glob(./**),Grep(./**),Edit(./**),Write(./**)');
    expect(valueOf(args, '--disallowedTools')!.split(',')).toEqual(expect.arrayContaining(DENIED_TOOLS));
    expect(valueOf(args, '--append-system-prompt')).toBe('SYSTEM');
    expect(args).not.toContain('--model');
    expect(args).not.toContain('--dangerously-skip-permissions');
  });

  it('has no shell and no git commands by default', () => {
    expect(DEFAULT_ALLOWED_TOOLS.some((rule) => rule.startsWith('Bash'))).toBe(false);
  });

  it('scopes file tools to the workspace: a bare rule would also approve paths outside it', () => {
    expect(scopeRule('Read')).toBe('Read(./**)');
    expect(scopeRule('Edit(./src/**)')).toBe('Edit(./src/**)');
    expect(scopeRule('Read(//etc/**)')).toBeNull();
    expect(scopeRule('Read(~/.ssh/**)')).toBeNull();
    expect(scopeRule('Write(./../x)')).toBeNull();
    expect(scopeRule('Bash(npm test:*)')).toBe('Bash(npm test:*)');
  });

  it('a run that cannot push approves no edit: default mode, write tools and Bash disallowed', () => {
    const args = claudeArgs({ ...base, canWrite: false, allowedTools: ['Read', 'Edit', 'Write', 'MultiEdit', 'NotebookEdit', 'Bash(npm test:*)'] });
    expect(valueOf(args, '--permission-mode')).toBe('default');
    expect(valueOf(args, '--allowedTools')).toBe('Read(./**)');
    expect(valueOf(args, '--disallowedTools')!.split(',')).toEqual(expect.arrayContaining(['Edit', 'MultiEdit', 'Write', 'NotebookEdit', 'Bash']));
  });

  it('an unisolated run gets no shell at all', () => {
    const { allowed, dropped } = effectiveTools(['Read', 'Edit', 'Bash(npm test:*)'], true, false);
    expect(allowed).toEqual(['Read(./**)', 'Edit(./**)']);
    expect(dropped).toEqual(['Bash(npm test:*)']);
    expect(valueOf(claudeArgs({ ...base, canRunCommands: false }), '--disallowedTools')!.split(',')).toContain('Bash');
  });

  it('never loads the workspace\'s project settings; the default branch\'s come in through --settings', () => {
    expect(valueOf(claudeArgs(base), '--setting-sources')).toBe('user');
    expect(claudeArgs(base)).not.toContain('--settings');
    expect(valueOf(claudeArgs({ ...base, trustedSettingsFile: '/tmp/x/settings.json' }), '--settings')).toBe('/tmp/x/settings.json');
  });

  it("resumes the thread's earlier session only when there is one", () => {
    expect(claudeArgs(base)).not.toContain('--resume');
    expect(valueOf(claudeArgs({ ...base, resumeSessionId: '0b5c3e8e-1d2f-4a6b-9c7d-2e4f6a8b0c1d' }), '--resume')).toBe('0b5c3e8e-1d2f-4a6b-9c7d-2e4f6a8b0c1d');
  });

  it('passes --model when set', () => {
    expect(valueOf(claudeArgs({ ...base, model: 'claude-opus-4-1' }), '--model')).toBe('claude-opus-4-1');
  });
});
