import { describe, expect, it } from 'vitest';
import { decideChanges, PROTECTED_PATHS, type WorkspaceChange } from '../../../service/runner/workspace/change-policy.js';
import { localIncludes } from '../../../service/runner/workspace/ci-includes.js';

const file = (path: string, extra: Partial<WorkspaceChange> = {}): WorkspaceChange => ({ path, kind: 'modified', entry: 'file', wasSymlink: false, size: 10, executable: false, ...extra });
const policy = { protectedPaths: [...PROTECTED_PATHS, '.gitlab-ci.yml', 'ci/jobs.yml'], allowedPaths: [] as string[], maxFileBytes: 1000 };
const refusedPaths = (changes: WorkspaceChange[], overrides = {}) => decideChanges(changes, { ...policy, ...overrides }).refused.map(({ change, reason }) => `${change.path}: ${reason}`);

describe('the change policy', () => {
  it('refuses CI configuration, what configures Claude Code or git, and its local includes', () => {
    const changes = ['.gitlab-ci.yml', '.gitlab/merge_request_templates/x.md', 'ci/jobs.yml', '.claude/settings.json', 'CLAUDE.md', 'pkg/CLAUDE.md', 'CLAUDE.local.md', '.mcp.json', '.gitattributes', 'sub/.gitattributes', '.gitmodules'].map((path) => file(path));
    expect(refusedPaths(changes)).toHaveLength(changes.length);
    expect(decideChanges([file('src/app.ts'), file('docs/guide.md'), file('.gitignore')], policy).refused).toEqual([]);
  });

  it('refuses .git in any case and anywhere, symlinks made or changed, special files and big files', () => {
    expect(refusedPaths([file('.git/config'), file('sub/.GIT/hooks/pre-commit'), file('leak', { entry: 'symlink' }), file('was-link', { wasSymlink: true, kind: 'deleted' }), file('fifo', { entry: 'other' }), file('big.bin', { size: 1001 })])).toEqual([
      '.git/config: git metadata',
      'sub/.GIT/hooks/pre-commit: git metadata',
      'leak: a symlink',
      'was-link: a symlink',
      'fifo: not a regular file',
      'big.bin: larger than 1000 bytes',
    ]);
  });

  it('lets the default branch\'s settings allow protected paths, but never .git or a symlink', () => {
    const allowed = { allowedPaths: ['.gitlab/**', '.git/**', 'link'] };
    expect(refusedPaths([file('.gitlab/issue_templates/bug.md'), file('.git/config'), file('link', { entry: 'symlink' })], allowed)).toEqual(['.git/config: git metadata', 'link: a symlink']);
  });

  it('a deletion of a protected file is refused too, and one of an ordinary file is accepted', () => {
    const decision = decideChanges([file('.gitlab-ci.yml', { kind: 'deleted' }), file('old.txt', { kind: 'deleted', size: 0 })], policy);
    expect(decision.refused.map(({ change }) => change.path)).toEqual(['.gitlab-ci.yml']);
    expect(decision.accepted.map((change) => change.path)).toEqual(['old.txt']);
  });
});

describe('local includes of the CI configuration', () => {
  it('finds `include: local`, the bare-string form and globs, and leaves remote, project and template includes out', () => {
    const ci = [
      'include:',
      "  - local: '/ci/jobs.yml'",
      '  - ci/more.yml',
      "  - local: 'configs/*.yml'",
      "  - remote: 'https://example.com/x.yml'",
      "  - 'https://example.com/y.yml'",
      '  - project: group/other',
      '    file: /x.yml',
      '  - template: Auto-DevOps.gitlab-ci.yml',
    ].join('\n');
    expect(localIncludes(ci)).toEqual(['ci/jobs.yml', 'ci/more.yml', 'configs/*.yml']);
    expect(localIncludes('include: ci/one.yml\n')).toEqual(['ci/one.yml']);
    expect(localIncludes("include:\n  local: 'ci/two.yml'\n")).toEqual(['ci/two.yml']);
    expect(localIncludes('test:\n  script: [true]\n')).toEqual([]);
    expect(localIncludes('{ not yaml')).toEqual([]);
    expect(localIncludes(null)).toEqual([]);
  });
});
