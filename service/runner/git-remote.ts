// Where a push goes and with which credentials, as pure decisions. GITLAB_TOKEN is offered only to
// CI_SERVER_URL: the clone's `origin` carries the job token in its URL (which cannot push), so the push
// goes to the same URL without userinfo, and a credential helper scoped to the GitLab server reads the
// token from the environment at push time (it never appears on a command line or in .git/config). Any
// other origin (a local bare repository in tests, a mirror) gets no token at all.

export interface PushTarget {
  url: string;
  useToken: boolean;
}

function parseHttpUrl(url: string): URL | null {
  try {
    const parsed = new URL(url);
    return parsed.protocol === 'http:' || parsed.protocol === 'https:' ? parsed : null;
  } catch {
    return null;
  }
}

export function stripCredentials(url: string): string {
  const parsed = parseHttpUrl(url);
  if (!parsed || (!parsed.username && !parsed.password)) return url;
  parsed.username = '';
  parsed.password = '';
  return parsed.toString();
}

export function pushTarget(originUrl: string, serverUrl: string): PushTarget {
  const origin = parseHttpUrl(originUrl);
  const server = parseHttpUrl(serverUrl);
  if (!origin || !server) return { url: originUrl, useToken: false };
  return { url: stripCredentials(originUrl), useToken: origin.origin === server.origin };
}

/** `git -c …` options that make GITLAB_TOKEN the password for CI_SERVER_URL and nothing else. */
export function credentialConfig(serverUrl: string): string[] {
  const scope = serverUrl.replace(/\/+$/, '');
  // The helper is a shell snippet git runs itself; `$GITLAB_TOKEN` is expanded then, from git's env.
  const helper = '!f() { test "$1" = get || return 0; echo username=oauth2; echo "password=${GITLAB_TOKEN}"; }; f';
  return ['-c', 'credential.helper=', '-c', `credential.${scope}.helper=${helper}`];
}

const SAFE_BRANCH = /^(?!\/|.*\/\/|.*\.\.|.*@\{|.*\.lock(?:\/|$)|.*\/$)[A-Za-z0-9._\/-]+$/;

export function isSafeBranchName(branch: string): boolean {
  return SAFE_BRANCH.test(branch) && !branch.startsWith('-') && !branch.startsWith('+');
}

const SAFE_PUSH_OPTION = /^[a-z][a-z0-9_.-]*(=[\w.:\/-]*)?$/i;

/** The only push the runner makes: HEAD to one branch, never forced (no `+`, no --force). */
export function pushArgs(target: PushTarget, branch: string, serverUrl: string, pushOptions: readonly string[] = []): string[] {
  if (!isSafeBranchName(branch)) throw new Error(`refusing to push to branch name ${JSON.stringify(branch)}`);
  const options = pushOptions.flatMap((option) => {
    if (!SAFE_PUSH_OPTION.test(option)) throw new Error(`refusing push option ${JSON.stringify(option)}`);
    return ['-o', option];
  });
  return [...(target.useToken ? credentialConfig(serverUrl) : []), 'push', '--porcelain', ...options, target.url, `HEAD:refs/heads/${branch}`];
}
