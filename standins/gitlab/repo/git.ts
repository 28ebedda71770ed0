import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { Commit, DiffFile } from '../types.js';

// Reads a real bare repository with git itself, so branches a runner pushes show up at once. Every call
// reads afresh: the repository is the source of truth, not a cache.

const run = promisify(execFile);

async function git(repo: string, args: string[]): Promise<string> {
  const { stdout } = await run('git', ['--git-dir', repo, ...args], { maxBuffer: 64 * 1024 * 1024 });
  return stdout;
}

export interface Refs {
  branches: Map<string, string>;
  tags: Map<string, string>;
}

export async function readRefs(repo: string): Promise<Refs> {
  const out = await git(repo, ['for-each-ref', '--format=%(refname)%00%(objectname)%00%(*objectname)', 'refs/heads', 'refs/tags']);
  const refs: Refs = { branches: new Map(), tags: new Map() };
  for (const line of out.split('\n')) {
    if (!line) continue;
    const [name = '', object = '', peeled = ''] = line.split('\0');
    if (name.startsWith('refs/heads/')) refs.branches.set(name.slice('refs/heads/'.length), object);
    else if (name.startsWith('refs/tags/')) refs.tags.set(name.slice('refs/tags/'.length), peeled || object);
  }
  return refs;
}

/** The branch HEAD points at, or null for an empty repository. */
export async function readHeadBranch(repo: string): Promise<string | null> {
  try {
    return (await git(repo, ['symbolic-ref', '--short', 'HEAD'])).trim() || null;
  } catch {
    return null;
  }
}

/** A commit by sha, short sha or ref name; null when git does not know it. */
export async function readCommit(repo: string, ref: string): Promise<Commit | null> {
  if (!/^[\w./-]+$/.test(ref) || ref.startsWith('-')) return null;
  try {
    const out = await git(repo, ['show', '-s', '--format=%H%x00%an%x00%ae%x00%cI%x00%B', `${ref}^{commit}`, '--']);
    const [sha = '', authorName = '', authorEmail = '', date = '', ...rest] = out.split('\0');
    const message = rest.join('\0').replace(/\n+$/, '\n');
    return { sha, authorName, authorEmail, createdAt: new Date(date), message, title: message.split('\n')[0] ?? '' };
  } catch {
    return null;
  }
}

/** `git diff base...head`, split per file in the shape of GitLab's MR diffs API. */
export async function readDiff(repo: string, base: string, head: string): Promise<DiffFile[]> {
  const out = await git(repo, ['diff', '--full-index', '-M', '--no-color', `${base}...${head}`, '--']);
  return parseUnifiedDiff(out);
}

export function parseUnifiedDiff(text: string): DiffFile[] {
  const files: DiffFile[] = [];
  const chunks = text.split(/^(?=diff --git )/m).filter((chunk) => chunk.startsWith('diff --git '));
  for (const chunk of chunks) {
    const lines = chunk.split('\n');
    const header = /^diff --git a\/(.+) b\/(.+)$/.exec(lines[0] ?? '');
    const file: DiffFile = {
      old_path: header?.[1] ?? '',
      new_path: header?.[2] ?? '',
      a_mode: '100644',
      b_mode: '100644',
      diff: '',
      new_file: false,
      renamed_file: false,
      deleted_file: false,
    };
    let bodyStart = lines.length;
    for (let i = 1; i < lines.length; i += 1) {
      const line = lines[i] ?? '';
      if (line.startsWith('@@')) {
        bodyStart = i;
        break;
      }
      let m: RegExpExecArray | null;
      if ((m = /^new file mode (\d+)/.exec(line))) {
        file.new_file = true;
        file.a_mode = '0';
        file.b_mode = m[1] as string;
      } else if ((m = /^deleted file mode (\d+)/.exec(line))) {
        file.deleted_file = true;
        file.a_mode = m[1] as string;
        file.b_mode = '0';
      } else if ((m = /^old mode (\d+)/.exec(line))) file.a_mode = m[1] as string;
      else if ((m = /^new mode (\d+)/.exec(line))) file.b_mode = m[1] as string;
      else if ((m = /^rename from (.+)/.exec(line))) {
        file.renamed_file = true;
        file.old_path = m[1] as string;
      } else if ((m = /^rename to (.+)/.exec(line))) file.new_path = m[1] as string;
      else if ((m = /^index [0-9a-f]+\.\.[0-9a-f]+ (\d+)/.exec(line))) {
        file.a_mode = m[1] as string;
        file.b_mode = m[1] as string;
      }
    }
    // GitLab's `diff` starts at the first hunk header, without the ---/+++ lines.
    file.diff = lines.slice(bodyStart).join('\n');
    if (file.diff && !file.diff.endsWith('\n')) file.diff += '\n';
    files.push(file);
  }
  return files;
}
