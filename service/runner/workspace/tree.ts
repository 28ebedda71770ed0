import { lstat, readdir, readFile, readlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { EntryKind, WorkspaceChange } from './change-policy.js';

// What the agent changed: its workspace compared with the runner's checkout, entry by entry, never
// following a symlink (a link is compared by its target text). Only the runner's checkout has a `.git`
// at its root, and that one is not part of the tree; one the agent made is reported like any other path.

interface Entry {
  kind: EntryKind;
  size: number;
  executable: boolean;
}

async function walk(root: string, skipRootGit: boolean): Promise<Map<string, Entry>> {
  const entries = new Map<string, Entry>();
  const visit = async (relative: string) => {
    for (const dirent of await readdir(join(root, relative), { withFileTypes: true })) {
      const path = relative ? `${relative}/${dirent.name}` : dirent.name;
      if (skipRootGit && path === '.git') continue;
      const stat = await lstat(join(root, path));
      if (stat.isDirectory()) await visit(path);
      else {
        const kind: EntryKind = stat.isSymbolicLink() ? 'symlink' : stat.isFile() ? 'file' : 'other';
        entries.set(path, { kind, size: stat.size, executable: (stat.mode & 0o111) !== 0 });
      }
    }
  };
  await visit('');
  return entries;
}

async function sameContent(a: string, b: string, kind: EntryKind): Promise<boolean> {
  if (kind === 'symlink') return (await readlink(a)) === (await readlink(b));
  if (kind !== 'file') return false;
  return (await readFile(a)).equals(await readFile(b));
}

export async function workspaceChanges(checkoutDir: string, workspaceDir: string): Promise<WorkspaceChange[]> {
  const before = await walk(checkoutDir, true);
  const after = await walk(workspaceDir, false);
  const changes: WorkspaceChange[] = [];
  for (const [path, entry] of after) {
    const old = before.get(path);
    const change = { path, entry: entry.kind, wasSymlink: old?.kind === 'symlink', size: entry.size, executable: entry.executable };
    if (!old) changes.push({ ...change, kind: 'added' });
    else if (old.kind !== entry.kind || old.executable !== entry.executable || old.size !== entry.size) changes.push({ ...change, kind: 'modified' });
    else if (!(await sameContent(join(checkoutDir, path), join(workspaceDir, path), entry.kind))) changes.push({ ...change, kind: 'modified' });
  }
  for (const [path, old] of before) {
    if (!after.has(path)) changes.push({ path, kind: 'deleted', entry: old.kind, wasSymlink: old.kind === 'symlink', size: 0, executable: false });
  }
  return changes.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}
