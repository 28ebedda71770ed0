import { copyFile, chmod, lstat, mkdir, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { WorkspaceChange } from './change-policy.js';

// Copies the accepted changes from the agent's workspace into the runner's checkout, as root. Nothing is
// written through a symlink: every parent directory on the checkout side must be a real directory (a
// link committed in the repository, `docs -> /etc`, would otherwise turn `docs/passwd` into /etc/passwd),
// and the source must still be the regular file the policy saw.

export class UnsafePathError extends Error {
  override name = 'UnsafePathError';
}

async function assertRealParents(root: string, path: string): Promise<void> {
  const parts = path.split('/').slice(0, -1);
  let current = root;
  for (const part of parts) {
    current = join(current, part);
    const stat = await lstat(current).catch(() => null);
    if (!stat) return; // created below, as a real directory
    if (!stat.isDirectory()) throw new UnsafePathError(`${path}: ${current.slice(root.length + 1)} is not a directory`);
  }
}

export async function applyChanges(changes: readonly WorkspaceChange[], workspaceDir: string, checkoutDir: string): Promise<void> {
  for (const change of changes) {
    if (change.path.split('/').some((part) => part === '..' || part === '' || part === '.')) throw new UnsafePathError(`${change.path}: not a plain relative path`);
    await assertRealParents(checkoutDir, change.path);
    const target = join(checkoutDir, change.path);
    if (change.kind === 'deleted') {
      const stat = await lstat(target);
      if (!stat.isFile()) throw new UnsafePathError(`${change.path}: not a regular file`);
      await rm(target);
      continue;
    }
    const source = join(workspaceDir, change.path);
    const stat = await lstat(source);
    if (!stat.isFile()) throw new UnsafePathError(`${change.path}: changed after it was checked`);
    await mkdir(dirname(target), { recursive: true });
    await assertRealParents(checkoutDir, change.path);
    const existing = await lstat(target).catch(() => null);
    if (existing && !existing.isFile()) throw new UnsafePathError(`${change.path}: not a regular file in the checkout`);
    await copyFile(source, target);
    await chmod(target, change.executable ? 0o755 : 0o644);
  }
}
