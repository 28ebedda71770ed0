import { spawnSync } from 'node:child_process';
import { chmod, cp, lchown, mkdir, mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AgentIdentity } from './identity.js';

// The agent's side of the job, laid out by the runner (root) before Claude Code starts:
//   <base>/             root, 0711: the agent can pass through, not list
//   <base>/workspace/   a copy of the checkout's files without .git, owned by the agent: its cwd
//   <base>/home/        the agent's HOME, CLAUDE_CONFIG_DIR and TMPDIR, owned by the agent
//   <base>/config/      root, 0755: files the agent reads but cannot change (trusted settings)
// The checkout itself (CI_PROJECT_DIR, with the job token in .git) stays the runner's: it is made
// root-only for the run, like the directories GitLab keeps file variables and credentials in.

export interface AgentWorkspace {
  base: string;
  workspace: string;
  home: string;
  config: string;
}

export async function prepareWorkspace(checkoutDir: string, identity: AgentIdentity): Promise<AgentWorkspace> {
  const base = await mkdtemp(join(tmpdir(), 'claude-gitlab-flow-'));
  const layout: AgentWorkspace = { base, workspace: join(base, 'workspace'), home: join(base, 'home'), config: join(base, 'config') };
  await cp(checkoutDir, layout.workspace, {
    recursive: true,
    verbatimSymlinks: true,
    filter: (source) => source !== join(checkoutDir, '.git'),
  });
  await mkdir(join(layout.home, 'tmp'), { recursive: true });
  await mkdir(layout.config, { mode: 0o755 });
  await chmod(layout.config, 0o755);
  if (identity.kind === 'isolated') {
    await chownTree(layout.workspace, identity.uid, identity.gid);
    await chownTree(layout.home, identity.uid, identity.gid);
    await chmod(layout.home, 0o700);
    await chmod(base, 0o711);
  }
  return layout;
}

async function chownTree(path: string, uid: number, gid: number): Promise<void> {
  await lchown(path, uid, gid);
  const info = await stat(path).catch(() => null);
  if (!info?.isDirectory()) return;
  for (const dirent of await readdir(path, { withFileTypes: true })) {
    const child = join(path, dirent.name);
    if (dirent.isDirectory()) await chownTree(child, uid, gid);
    else await lchown(child, uid, gid);
  }
}

/** Makes each existing path root-only (0700 for directories, 0600 for files); returns what it changed. */
export async function restrictToRunner(paths: readonly string[]): Promise<string[]> {
  const changed: string[] = [];
  for (const path of new Set(paths)) {
    const info = await stat(path).catch(() => null);
    if (!info) continue;
    await chmod(path, info.isDirectory() ? 0o700 : 0o600);
    changed.push(path);
  }
  return changed;
}

/**
 * Ends every process the agent's user still runs (a background job it started could otherwise change
 * the workspace while the runner reads it): `kill -KILL -1` run as that user signals exactly its own.
 */
export function killAgentProcesses(identity: AgentIdentity): void {
  if (identity.kind !== 'isolated') return;
  spawnSync('kill', ['-KILL', '-1'], { uid: identity.uid, gid: identity.gid, stdio: 'ignore', timeout: 10_000 });
}

export async function removeWorkspace(layout: AgentWorkspace): Promise<void> {
  await rm(layout.base, { recursive: true, force: true });
}
