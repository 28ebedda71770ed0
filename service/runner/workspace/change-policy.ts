import picomatch from 'picomatch';

// Which of the agent's changes may be pushed, as a pure decision. The model is untrusted: a change to CI
// configuration, to what configures Claude Code or git, or a symlink would run or steer something as
// the bot or a reviewer, so those are refused and listed in the note for a human to make. A project may
// allow protected paths in its trusted settings on the default branch; never `.git` and never symlinks.

export type EntryKind = 'file' | 'symlink' | 'other';

export interface WorkspaceChange {
  /** Repository-relative, forward slashes. */
  path: string;
  kind: 'added' | 'modified' | 'deleted';
  /** What the path is in the workspace after the run (for a deletion: what it was before). */
  entry: EntryKind;
  /** True when the path was a symlink before the run (changing or deleting one is refused too). */
  wasSymlink: boolean;
  size: number;
  executable: boolean;
}

export interface ChangePolicy {
  /** Globs refused unless allowed (repository-relative). */
  protectedPaths: readonly string[];
  /** Globs from the default branch's trusted settings that lift the protection. */
  allowedPaths: readonly string[];
  maxFileBytes: number;
}

export interface RefusedChange {
  change: WorkspaceChange;
  reason: string;
}

export interface PolicyDecision {
  accepted: WorkspaceChange[];
  refused: RefusedChange[];
}

/** Always protected; the CI configuration's own path and its local includes are added per run. */
export const PROTECTED_PATHS = [
  '.gitlab-ci.yml',
  '.gitlab/**',
  '.claude/**',
  '**/CLAUDE.md',
  '**/CLAUDE.local.md',
  '.mcp.json',
  '**/.gitattributes',
  '.gitmodules',
];

const matcher = (globs: readonly string[]) => (globs.length > 0 ? picomatch(globs as string[], { dot: true }) : () => false);

/** `.git` in any case, anywhere: git itself refuses it, and it configures whoever checks the branch out. */
const isGitPath = (path: string) => path.split('/').some((part) => part.toLowerCase() === '.git');

export function decideChanges(changes: readonly WorkspaceChange[], policy: ChangePolicy): PolicyDecision {
  const isProtected = matcher(policy.protectedPaths);
  const isAllowed = matcher(policy.allowedPaths);
  const decision: PolicyDecision = { accepted: [], refused: [] };
  for (const change of changes) {
    const reason = refusal(change, policy, isProtected, isAllowed);
    if (reason) decision.refused.push({ change, reason });
    else decision.accepted.push(change);
  }
  return decision;
}

function refusal(change: WorkspaceChange, policy: ChangePolicy, isProtected: (path: string) => boolean, isAllowed: (path: string) => boolean): string | null {
  if (isGitPath(change.path)) return 'git metadata';
  if (change.entry === 'symlink' || change.wasSymlink) return 'a symlink';
  if (change.entry === 'other') return 'not a regular file';
  if (change.kind !== 'deleted' && change.size > policy.maxFileBytes) return `larger than ${policy.maxFileBytes} bytes`;
  if (isProtected(change.path) && !isAllowed(change.path)) return 'protected (CI or agent configuration)';
  return null;
}
