import { execFile } from 'node:child_process';
import { pushArgs, pushTarget, stripCredentials } from './git-remote.js';

// The runner's git, in CI_PROJECT_DIR: arguments as arrays (no shell), prompts disabled (a missing
// credential fails instead of hanging the job), no hooks from the checked-out tree.

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
  originUrl(): Promise<string | null>;
  /** Removes credentials from origin's URL, so the model cannot read a token out of .git/config. */
  scrubOrigin(): Promise<void>;
  /** Stages everything and commits; returns the new HEAD. */
  commitAll(message: string, author: { name: string; email: string }): Promise<string>;
  push(branch: string): Promise<void>;
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

export function createGit(cwd: string, env: NodeJS.ProcessEnv, serverUrl: string): Git {
  const run = (args: string[], input?: string) =>
    new Promise<string>((resolve, reject) => {
      const child = execFile(
        'git',
        args,
        { cwd, env: { ...env, GIT_TERMINAL_PROMPT: '0', GCM_INTERACTIVE: 'never' }, maxBuffer: 64 * 1024 * 1024 },
        (error, stdout, stderr) => {
          if (error) reject(new GitError(`git ${describe(args)} failed: ${stderr.trim() || error.message}`, stderr));
          else resolve(stdout);
        },
      );
      if (input !== undefined) child.stdin?.end(input);
    });

  const originUrl = async () => {
    try {
      return (await run(['remote', 'get-url', 'origin'])).trim();
    } catch {
      return null;
    }
  };

  return {
    head: async () => (await run(['rev-parse', 'HEAD'])).trim(),
    status: () => run(['status', '--porcelain']),
    originUrl,
    async scrubOrigin() {
      const url = await originUrl();
      if (url && stripCredentials(url) !== url) await run(['remote', 'set-url', 'origin', stripCredentials(url)]);
    },
    async commitAll(message, author) {
      await run(['add', '--all']);
      await run(
        ['-c', `user.name=${author.name}`, '-c', `user.email=${author.email}`, '-c', 'commit.gpgsign=false', 'commit', '--no-verify', '--file', '-'],
        message,
      );
      return (await run(['rev-parse', 'HEAD'])).trim();
    },
    async push(branch) {
      const url = await originUrl();
      if (!url) throw new GitError('the repository has no remote "origin"', '');
      await run(pushArgs(pushTarget(url, serverUrl), branch, serverUrl));
    },
  };
}
