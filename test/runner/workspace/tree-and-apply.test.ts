import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { applyChanges, UnsafePathError } from '../../../service/runner/workspace/apply.js';
import { workspaceChanges } from '../../../service/runner/workspace/tree.js';
import { removeTempDirs, tempDir } from '../../../devtools/temp.js';

afterAll(removeTempDirs);

function trees(files: Record<string, string>): { checkout: string; workspace: string } {
  const root = tempDir('trees');
  const checkout = join(root, 'checkout');
  const workspace = join(root, 'workspace');
  for (const dir of [checkout, workspace]) {
    mkdirSync(dir, { recursive: true });
    for (const [path, content] of Object.entries(files)) {
      mkdirSync(join(dir, path, '..'), { recursive: true });
      writeFileSync(join(dir, path), content);
    }
  }
  mkdirSync(join(checkout, '.git'));
  writeFileSync(join(checkout, '.git', 'config'), '[core]\n');
  return { checkout, workspace };
}

describe('what the agent changed', () => {
  it('lists additions, modifications, mode changes and deletions, not the checkout\'s own .git', async () => {
    const { checkout, workspace } = trees({ 'a.txt': 'a\n', 'b.txt': 'b\n', 'run.sh': 'echo\n', 'gone.txt': 'x\n' });
    writeFileSync(join(workspace, 'a.txt'), 'A\n');
    writeFileSync(join(workspace, 'new.txt'), 'n');
    chmodSync(join(workspace, 'run.sh'), 0o755);
    rmSync(join(workspace, 'gone.txt'));
    const changes = await workspaceChanges(checkout, workspace);
    expect(changes.map((change) => `${change.kind} ${change.path}`)).toEqual(['modified a.txt', 'deleted gone.txt', 'added new.txt', 'modified run.sh']);
  });

  it('reports a .git the agent made, and symlinks as links (never followed)', async () => {
    const { checkout, workspace } = trees({ 'a.txt': 'a\n' });
    mkdirSync(join(workspace, '.git'));
    writeFileSync(join(workspace, '.git', 'config'), '[core]\n\tfsmonitor = evil\n');
    symlinkSync('/etc/passwd', join(workspace, 'leak'));
    const changes = await workspaceChanges(checkout, workspace);
    expect(changes.map((change) => `${change.kind} ${change.path} ${change.entry}`)).toEqual(['added .git/config file', 'added leak symlink']);
  });
});

describe('applying accepted changes to the checkout', () => {
  it('copies files and modes, and deletes', async () => {
    const { checkout, workspace } = trees({ 'a.txt': 'a\n', 'gone.txt': 'x\n' });
    writeFileSync(join(workspace, 'a.txt'), 'A\n');
    mkdirSync(join(workspace, 'docs'));
    writeFileSync(join(workspace, 'docs', 'x.md'), 'x');
    rmSync(join(workspace, 'gone.txt'));
    await applyChanges(await workspaceChanges(checkout, workspace), workspace, checkout);
    expect(readFileSync(join(checkout, 'a.txt'), 'utf8')).toBe('A\n');
    expect(readFileSync(join(checkout, 'docs', 'x.md'), 'utf8')).toBe('x');
    expect(existsSync(join(checkout, 'gone.txt'))).toBe(false);
  });

  it('never writes through a symlink the repository holds: `docs -> /outside` plus `docs/x`', async () => {
    const { checkout, workspace } = trees({ 'a.txt': 'a\n' });
    const outside = tempDir('outside');
    symlinkSync(outside, join(checkout, 'docs'));
    // In the workspace the agent replaced the link with a real directory holding a file.
    mkdirSync(join(workspace, 'docs'));
    writeFileSync(join(workspace, 'docs', 'x'), 'pwned');
    const changes = (await workspaceChanges(checkout, workspace)).filter((change) => change.path === 'docs/x');
    await expect(applyChanges(changes, workspace, checkout)).rejects.toThrow(UnsafePathError);
    expect(existsSync(join(outside, 'x'))).toBe(false);
  });

  it('refuses a path with .. in it', async () => {
    const { checkout, workspace } = trees({});
    await expect(applyChanges([{ path: '../x', kind: 'added', entry: 'file', wasSymlink: false, size: 1, executable: false }], workspace, checkout)).rejects.toThrow(UnsafePathError);
  });
});
