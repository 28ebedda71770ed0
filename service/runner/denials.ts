import { isAbsolute, relative, resolve } from 'node:path';
import { FILE_TOOLS, WRITE_TOOLS } from './claude-args.js';
import type { PermissionDenial } from './stream.js';

// Refused tool calls, as a list a project member can act on: each with the CLAUDE_FLOW_ALLOWED_TOOLS
// entry that would permit it, or why no entry can (outside the workspace; a run that cannot change files).

export interface DenialAdvice {
  tool: string;
  target: string | null;
  /** The allow-list entry that would permit it, or null with `why`. */
  rule: string | null;
  why: string | null;
}

/** `npm test -- --watch` → `Bash(npm test:*)`; a bare command → `Bash(make:*)`. */
export function bashRule(command: string): string {
  const words = command.trim().split(/\s+/);
  const prefix = words[1] && /^[a-z][\w.-]*$/i.test(words[1]) ? `${words[0]} ${words[1]}` : words[0] ?? '';
  return `Bash(${prefix}:*)`;
}

const inside = (path: string, workspace: string) => !isAbsolute(path) || path === workspace || path.startsWith(`${workspace}/`);

export function adviseDenial(denial: PermissionDenial, canWrite: boolean, canRunCommands: boolean, workspace: string): DenialAdvice {
  const base = { tool: denial.tool, target: denial.target };
  if (denial.tool === 'Bash') {
    if (!canRunCommands) return { ...base, rule: null, why: 'this run may not run commands (not isolated)' };
    if (!canWrite) return { ...base, rule: null, why: 'this run cannot change files, so it runs no commands' };
    return { ...base, rule: denial.target ? bashRule(denial.target) : 'Bash', why: null };
  }
  if (WRITE_TOOLS.has(denial.tool) && !canWrite) return { ...base, rule: null, why: 'this run cannot change files' };
  if (FILE_TOOLS.has(denial.tool)) {
    if (denial.target && inside(denial.target, workspace)) return { ...base, target: relative(workspace, resolve(workspace, denial.target)), rule: null, why: 'a path Claude Code protects' };
    return { ...base, rule: null, why: 'outside the workspace' };
  }
  return { ...base, rule: denial.tool, why: null };
}

export function adviseDenials(denials: readonly PermissionDenial[], canWrite: boolean, canRunCommands: boolean, workspace: string): DenialAdvice[] {
  const seen = new Set<string>();
  const advice: DenialAdvice[] = [];
  for (const denial of denials) {
    const key = `${denial.tool}\u0000${denial.target ?? ''}`;
    if (seen.has(key)) continue;
    seen.add(key);
    advice.push(adviseDenial(denial, canWrite, canRunCommands, workspace));
  }
  return advice;
}
