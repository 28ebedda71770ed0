import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { tempDir } from './temp.js';

// A real bare repository as the remote `origin`, and a clone of it as the job's checkout, as GitLab
// Runner leaves it: the pipeline's ref checked out, nothing uncommitted.

export function git(cwd: string, args: string[], input?: string): string {
  return execFileSync('git', args, {
    cwd,
    input,
    encoding: 'utf8',
    env: { ...process.env, GIT_AUTHOR_NAME: 'Seeder', GIT_AUTHOR_EMAIL: 'seed@example.com', GIT_COMMITTER_NAME: 'Seeder', GIT_COMMITTER_EMAIL: 'seed@example.com' },
  }).trim();
}

export function writeFiles(dir: string, files: Record<string, string>): void {
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), content);
  }
}

export interface Repos {
  root: string;
  bare: string;
  /** Where seed commits are made and pushed from. */
  seed: string;
}

/** A bare repository whose default branch `main` holds `files`. */
export function createRepos(files: Record<string, string>, defaultBranch = 'main'): Repos {
  const root = tempDir('repo');
  const bare = join(root, 'remote.git');
  const seed = join(root, 'seed');
  git(root, ['init', '--quiet', '--bare', `--initial-branch=${defaultBranch}`, bare]);
  recordPushOptions(bare);
  git(root, ['init', '--quiet', `--initial-branch=${defaultBranch}`, seed]);
  writeFiles(seed, files);
  git(seed, ['add', '--all']);
  git(seed, ['commit', '--quiet', '-m', 'Initial commit']);
  git(seed, ['remote', 'add', 'origin', bare]);
  git(seed, ['push', '--quiet', 'origin', defaultBranch]);
  return { root, bare, seed };
}

/** A branch off the default branch with one more commit, pushed. Returns its head. */
export function pushBranch(repos: Repos, branch: string, files: Record<string, string>, from = 'main'): string {
  git(repos.seed, ['checkout', '--quiet', '-B', branch, from]);
  writeFiles(repos.seed, files);
  git(repos.seed, ['add', '--all']);
  git(repos.seed, ['commit', '--quiet', '-m', `Work on ${branch}`]);
  git(repos.seed, ['push', '--quiet', 'origin', branch]);
  git(repos.seed, ['checkout', '--quiet', from]);
  return git(repos.bare, ['rev-parse', `refs/heads/${branch}`]);
}

/** The job's checkout: a clone of the remote at `ref`, detached at its head as CI does. */
export function checkout(repos: Repos, ref: string, name = 'build'): string {
  const dir = join(repos.root, name);
  git(repos.root, ['clone', '--quiet', repos.bare, dir]);
  git(dir, ['checkout', '--quiet', '--detach', `origin/${ref}`]);
  return dir;
}

export function branches(bare: string): Record<string, string> {
  const out = git(bare, ['for-each-ref', '--format=%(refname:short) %(objectname)', 'refs/heads']);
  return Object.fromEntries(out.split('\n').filter(Boolean).map((line) => line.split(' ') as [string, string]));
}

// GitLab reads push options (`-o ci.skip`); a bare repository accepts them only when it advertises them.
// Its post-receive hook records each push: the refs it updated, then its options.
function recordPushOptions(bare: string): void {
  git(bare, ['config', 'receive.advertisePushOptions', 'true']);
  const hook = join(bare, 'hooks', 'post-receive');
  const script = [
    '#!/bin/sh',
    'refs=$(while read -r old new ref; do printf \'%s \' "$ref"; done)',
    'i=0; options=""',
    'while [ "$i" -lt "${GIT_PUSH_OPTION_COUNT:-0}" ]; do eval "options=\\"\\$options \\$GIT_PUSH_OPTION_$i\\""; i=$((i + 1)); done',
    'echo "$refs|$options" >> "$GIT_DIR/push-options.log"',
    '',
  ].join('\n');
  writeFileSync(hook, script);
  chmodSync(hook, 0o755);
}

/** The push options of the pushes that updated `refs/heads/<branch>`, oldest first. */
export function pushOptions(bare: string, branch: string): string[][] {
  const log = join(bare, 'push-options.log');
  if (!existsSync(log)) return [];
  return readFileSync(log, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => line.split('|') as [string, string])
    .filter(([refs]) => refs.split(' ').includes(`refs/heads/${branch}`))
    .map(([, options]) => options.trim().split(' ').filter(Boolean));
}
