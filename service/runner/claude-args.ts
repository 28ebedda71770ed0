import { WRITE_TOOLS } from './config.js';

// The `claude` command line. Print mode with stream-json output (which requires --verbose), edits
// accepted without prompts but only for the allow-listed tools (anything else is denied: there is
// nobody to ask), a turn limit, and git's write commands denied outright: the runner pushes.

export const DENIED_TOOLS = ['Bash(git push:*)', 'Bash(git commit:*)', 'Bash(git remote:*)', 'Bash(git config:*)', 'Bash(git checkout:*)', 'Bash(git reset:*)'];

export interface ClaudeArgsInput {
  allowedTools: readonly string[];
  /** False when the run cannot push: file-writing tools are removed from the allow-list. */
  canWrite: boolean;
  maxTurns: number;
  model: string | null;
  systemPrompt: string;
  /**
   * True when the working tree is the default branch, whose `.claude/` and CLAUDE.md are trusted and
   * loaded by Claude Code itself. False on a merge request's source branch: project settings are not
   * loaded and the default branch's settings file (if any) is passed instead.
   */
  loadProjectSettings: boolean;
  trustedSettingsFile: string | null;
}

export function effectiveTools(allowedTools: readonly string[], canWrite: boolean): string[] {
  return canWrite ? [...allowedTools] : allowedTools.filter((tool) => !WRITE_TOOLS.has(tool.replace(/\(.*$/, '')));
}

export function claudeArgs(input: ClaudeArgsInput): string[] {
  const args = [
    '-p',
    '--output-format',
    'stream-json',
    '--verbose',
    '--permission-mode',
    'acceptEdits',
    '--max-turns',
    String(input.maxTurns),
    '--allowedTools',
    effectiveTools(input.allowedTools, input.canWrite).join(','),
    '--disallowedTools',
    DENIED_TOOLS.join(','),
    '--setting-sources',
    input.loadProjectSettings ? 'user,project' : 'user',
    '--append-system-prompt',
    input.systemPrompt,
  ];
  if (!input.loadProjectSettings && input.trustedSettingsFile) args.push('--settings', input.trustedSettingsFile);
  if (input.model) args.push('--model', input.model);
  return args;
}
