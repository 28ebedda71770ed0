import type { Commit, DiffFile, Project } from '../types.js';
import { readCommit, readDiff, readRefs, type Refs } from './git.js';

// One view of a project's repository, whether it is seeded in memory or a real bare repository.

export async function refsOf(project: Project): Promise<Refs> {
  if (project.bareRepoPath) return readRefs(project.bareRepoPath);
  return { branches: new Map(project.branches), tags: new Map(project.tags) };
}

export async function branchHead(project: Project, branch: string): Promise<string | null> {
  return (await refsOf(project)).branches.get(branch) ?? null;
}

/** What GitLab calls a ref for pipelines: a branch or a tag, by short name or `refs/heads/...`. */
export async function resolveRef(project: Project, ref: string): Promise<{ kind: 'branch' | 'tag'; name: string; sha: string } | null> {
  const refs = await refsOf(project);
  const short = ref.replace(/^refs\/(heads|tags)\//, '');
  const wantsTag = ref.startsWith('refs/tags/');
  const branch = wantsTag ? undefined : refs.branches.get(short);
  if (branch) return { kind: 'branch', name: short, sha: branch };
  const tag = ref.startsWith('refs/heads/') ? undefined : refs.tags.get(short);
  if (tag) return { kind: 'tag', name: short, sha: tag };
  return null;
}

/** A commit by full sha, unique short sha (7+), or branch name. */
export async function findCommit(project: Project, id: string): Promise<Commit | null> {
  if (project.bareRepoPath) return readCommit(project.bareRepoPath, id);
  const byBranch = project.branches.get(id);
  if (byBranch) return project.commits.get(byBranch) ?? null;
  const exact = project.commits.get(id);
  if (exact) return exact;
  if (/^[0-9a-f]{7,39}$/.test(id)) {
    const matches = [...project.commits.values()].filter((commit) => commit.sha.startsWith(id));
    if (matches.length === 1) return matches[0] ?? null;
  }
  return null;
}

export async function mergeRequestDiffs(target: Project, source: Project, targetBranch: string, sourceBranch: string, seeded: DiffFile[] | null): Promise<DiffFile[]> {
  if (seeded) return seeded;
  if (target.bareRepoPath && source.bareRepoPath === target.bareRepoPath) {
    const [base, head] = await Promise.all([branchHead(target, targetBranch), branchHead(source, sourceBranch)]);
    if (base && head) return readDiff(target.bareRepoPath, base, head);
  }
  return [];
}
