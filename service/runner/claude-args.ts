// The `claude` command line. Print mode with stream-json output (which requires --verbose), a turn
// limit, and tools scoped to the agent's workspace. Claude Code's rules are a convenience here, not the
// boundary (that is the separate user, see identity.ts), but they keep an honest model on task and
// give the thread a clear list of what was refused:
// - File tools carry a `(./**)` scope: a bare `Read` or `Write` rule would also approve paths outside
//   the working directory.
// - A run that can push uses acceptEdits (edits inside the workspace need no approval); a run that
//   cannot uses the default mode with every write tool and Bash disallowed, so nothing approves an edit.

export const FILE_TOOLS = new Set(['Read', 'Glob', 'Grep', 'Edit', 'MultiEdit', 'Write', 'NotebookEdit', 'LS']);
export const WRITE_TOOLS = new Set(['Edit', 'MultiEdit', 'Write', 'NotebookEdit']);
const READ_ONLY_DENIED = ['Edit', 'MultiEdit', 'Write', 'NotebookEdit', 'Bash'];
// Tools that reach past the workspace or the gateway, never allowed by default.
export const DENIED_TOOLS = ['WebFetch', 'WebSearch'];

export interface ClaudeArgsInput {
  allowedTools: readonly string[];
  /** False when the run cannot push, or runs unisolated: no edits, no shell. */
  canWrite: boolean;
  /** False when Claude Code shares the runner's user: no shell at all. */
  canRunCommands: boolean;
  maxTurns: number;
  model: string | null;
  systemPrompt: string;
  /** The default branch's `.claude/settings.json`, copied where the agent can read but not change it. */
  trustedSettingsFile: string | null;
  /** The thread's earlier session to continue (session/), already in the agent's config dir. */
  resumeSessionId?: string | null;
}

const toolName = (rule: string) => rule.replace(/\(.*$/, '');

/** A file-tool rule limited to the workspace: `Read` → `Read(./**)`; a rule naming another place is dropped. */
export function scopeRule(rule: string): string | null {
  const name = toolName(rule);
  if (!FILE_TOOLS.has(name)) return rule;
  if (rule === name) return `${name}(./**)`;
  const pattern = rule.slice(name.length + 1, -1);
  return pattern.startsWith('./') && !pattern.split('/').includes('..') ? rule : null;
}

export function effectiveTools(allowedTools: readonly string[], canWrite: boolean, canRunCommands: boolean): { allowed: string[]; dropped: string[] } {
  const allowed: string[] = [];
  const dropped: string[] = [];
  for (const rule of allowedTools) {
    const name = toolName(rule);
    const scoped = scopeRule(rule);
    if (!scoped || (!canWrite && WRITE_TOOLS.has(name)) || (!canRunCommands && name === 'Bash') || (!canWrite && name === 'Bash')) dropped.push(rule);
    else allowed.push(scoped);
  }
  return { allowed, dropped };
}

export function claudeArgs(input: ClaudeArgsInput): string[] {
  const { allowed } = effectiveTools(input.allowedTools, input.canWrite, input.canRunCommands);
  const denied = [...DENIED_TOOLS, ...(input.canWrite ? [] : READ_ONLY_DENIED), ...(input.canRunCommands ? [] : ['Bash'])];
  const args = [
    '-p',
    '--output-format',
    'stream-json',
    '--verbose',
    '--permission-mode',
    input.canWrite ? 'acceptEdits' : 'default',
    '--max-turns',
    String(input.maxTurns),
    '--allowedTools',
    allowed.join(','),
    '--disallowedTools',
    [...new Set(denied)].join(','),
    // Project settings in the workspace may come from a merge request's author: never loaded. The
    // default branch's settings come in through --settings instead.
    '--setting-sources',
    'user',
    '--append-system-prompt',
    input.systemPrompt,
  ];
  if (input.trustedSettingsFile) args.push('--settings', input.trustedSettingsFile);
  if (input.model) args.push('--model', input.model);
  if (input.resumeSessionId) args.push('--resume', input.resumeSessionId);
  return args;
}
