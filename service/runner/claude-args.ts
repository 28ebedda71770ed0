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
  /**
   * A review's output directory: the one place Claude may write (an `Edit(//<dir>/**)` rule, which
   * covers Write, in the default mode, so a write into the workspace needs an approval nobody gives).
   */
  outputDir?: string | null;
  /** Directories Claude may read and not write: the request's downloaded images (attachments/). */
  readOnlyDirs?: string[];
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
  const output = input.outputDir && !input.canWrite ? input.outputDir : null;
  // Edit and Write stay undenied for a review (a deny would beat the output directory's rule); the mode refuses them elsewhere.
  const readOnlyDenied = output ? READ_ONLY_DENIED.filter((tool) => tool !== 'Edit' && tool !== 'Write') : READ_ONLY_DENIED;
  if (output) allowed.push(`Edit(/${output}/**)`);
  for (const dir of input.readOnlyDirs ?? []) allowed.push(`Read(/${dir}/**)`);
  const denied = [...DENIED_TOOLS, ...(input.canWrite ? [] : readOnlyDenied), ...(input.canRunCommands ? [] : ['Bash'])];
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
  if (output) args.push('--add-dir', output);
  for (const dir of input.readOnlyDirs ?? []) args.push('--add-dir', dir);
  if (input.model) args.push('--model', input.model);
  if (input.resumeSessionId) args.push('--resume', input.resumeSessionId);
  return args;
}
