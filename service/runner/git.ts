import { execFile } from 'node:child_process';
import { pushArgs, pushTarget, stripCredentials } from './git-remote.js';

// The runner's git, in the runner's own checkout (CI_PROJECT_DIR, which the agent never touches): an
// environment built from nothing (no inherited GIT_*, no system or global config, no prompts), hooks
// and fsmonitor off on every command, and GITLAB_TOKEN given to the push alone. Arguments are arrays,
// never a shell.

export class GitError extends Error {
  override name = 'GitError';
  constructor(
    message: string,
    readonly stderr: string,
  ) {
    super(message);
  }
}

export interface Git {
  head(): Promise<string>;
  /** `git status --porcelain`: empty when the tree is clean (ignored files do not count). */
  status(): Promise<string>;
  /** Which of `paths` the checkout's ignore rules exclude (changes there are never committed). */
  ignored(paths: readonly string[]): Promise<Set<string>>;
  /** `sha subject` of the last `count` commits, newest first. */
  recentCommits(count: number): Promise<string>;
  /** Removes the job token from origin's URL in .git/config (the push brings its own credential). */
  scrubOrigin(): Promise<void>;
  /** Stages everything and commits; returns the new HEAD. */
  commitAll(message: string, author: { name: string; email: string }): Promise<string>;
  /** Pushes HEAD to one branch, never forced, with push options (`ci.skip`). */
  push(branch: string, pushOptions: readonly string[]): Promise<void>;
}

export interface GitSetup {
  repoDir: string;
  serverUrl: string;
  /** Given to `git push` alone, through a credential helper scoped to the GitLab server. */
  token: string;
  /** A directory of the runner's own, as git's HOME (git reads ~/.gitconfig otherwise). */
  home: string;
  path: string;
}

/** `-c` settings every command carries, whatever a config file says. */
export const HARDENING = ['-c', 'core.hooksPath=/dev/null', '-c', 'core.fsmonitor=false', '-c', 'core.untrackedCache=false', '-c', 'protocol.ext.allow=never', '-c', 'commit.gpgsign=false'];

export function gitEnvironment(setup: Pick<GitSetup, 'home' | 'path'>, token: string | null): Record<string, string> {
  return {
    PATH: setup.path,
    HOME: setup.home,
    LANG: 'C',
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: '/dev/null',
    GIT_ATTR_NOSYSTEM: '1',
    GIT_TERMINAL_PROMPT: '0',
    GCM_INTERACTIVE: 'never',
    ...(token ? { GITLAB_TOKEN: token } : {}),
  };
}

/** The command for messages: `-c` settings (the credential helper among them) left out. */
function describe(args: string[]): string {
  const shown: string[] = [];
  for (let index = 0; index < args.length; index += 1) {
    if (args[index] === '-c') index += 1;
    else shown.push(args[index]!);
  }
  return shown.slice(0, 4).join(' ');
}

export function createGit(setup: GitSetup): Git {
  const run = (args: string[], options: { input?: string; token?: boolean } = {}) =>
    new Promise<string>((resolve, reject) => {
      const full = [...HARDENING, ...args];
      const child = execFile(
        'git',
        full,
        { cwd: setup.repoDir, env: gitEnvironment(setup, options.token ? setup.token : null), maxBuffer: 64 * 1024 * 1024 },
        (error, stdout, stderr) => {
          if (error) reject(new GitError(`git ${describe(args)} failed: ${stderr.trim() || error.message}`, stderr));
          else resolve(stdout);
        },
      );
      if (options.input !== undefined) child.stdin?.end(options.input);
    });

  const originUrl = async () => (await run(['remote', 'get-url', 'origin']).catch(() => '')).trim();
  return {
    head: async () => (await run(['rev-parse', 'HEAD'])).trim(),
    status: () => run(['status', '--porcelain']),
    async ignored(paths) {
      if (paths.length === 0) return new Set();
      // Exit status 1 means "none ignored".
      const out = await run(['check-ignore', '--stdin', '-z'], { input: paths.map((path) => `${path}\0`).join('') }).catch((error: unknown) => {
        if (error instanceof GitError && error.stderr.trim() === '') return '';
        throw error;
      });
      return new Set(out.split('\0').filter(Boolean));
    },
    recentCommits: async (count) => (await run(['log', `--max-count=${count}`, '--format=%h %s', '--no-decorate'])).trim(),
    async scrubOrigin() {
      const url = await originUrl();
      if (url && stripCredentials(url) !== url) await run(['remote', 'set-url', 'origin', stripCredentials(url)]);
    },
    async commitAll(message, author) {
      await run(['add', '--all']);
      await run(['-c', `user.name=${author.name}`, '-c', `user.email=${author.email}`, 'commit', '--no-verify', '--file', '-'], { input: message });
      return (await run(['rev-parse', 'HEAD'])).trim();
    },
    async push(branch, pushOptions) {
      const url = await originUrl();
      if (!url) throw new GitError('the repository has no remote "origin"', '');
      const target = pushTarget(url, setup.serverUrl);
      await run(pushArgs(target, branch, setup.serverUrl, pushOptions), { token: target.useToken });
    },
  };
}
