import { spawn } from 'node:child_process';
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleExecutable } from '../support/bundle.js';

// Running a template's job under gitlab-ci-local 4.55 in shell mode. gitlab-ci-local runs jobs with an
// `image:` only through Docker, which is not here, so the job runs from a test copy of the template
// that lacks the `image:` block (and nothing else): with no image, gitlab-ci-local uses its shell
// executor (`--shell-executor-no-image`, its default), in the checkout itself. What the image would
// provide is put on PATH instead: `claude-gitlab-flow` (the runner, bundled from service/runner) and a
// fake `aws` for the Bedrock template; the jobs name the real Claude Code binary in CLAUDE_CODE_PATH.

const require = createRequire(import.meta.url);
export const GITLAB_CI_LOCAL = join(require.resolve('gitlab-ci-local/package.json'), '..', 'src', 'index.js');
export const TEMPLATES_DIR = fileURLToPath(new URL('../../templates/', import.meta.url));
export const TEMPLATE_NAMES = ['claude-api', 'claude-vertex', 'claude-bedrock'] as const;
export type TemplateName = (typeof TEMPLATE_NAMES)[number];

// The job's `image:` key with its nested lines (name, docker: user), and the comment lines just above it.
const IMAGE_BLOCK = /^(?: {2}#.*\n)*^ {2}image:.*\n(?: {4,}.*\n)*/gm;

/** The template without its `image:` block; refuses a template that does not have exactly one. */
export function shellModeCopy(template: string): string {
  const blocks = template.match(IMAGE_BLOCK) ?? [];
  if (blocks.length !== 1) throw new Error(`expected exactly one job-level image: block, found ${blocks.length}`);
  return template.replace(IMAGE_BLOCK, '');
}

/** The project files of a repository that includes the template with its one `include:` line. */
export function projectFiles(name: TemplateName, template: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    'README.md': '# Project\n',
    'src/app.txt': 'hello\n',
    // gitlab-ci-local keeps its state in the checkout; like a runner's cache, it is not the project's.
    '.gitignore': '.gitlab-ci-local/\n',
    '.gitlab-ci.yml': `include:\n  - local: 'templates/${name}.gitlab-ci.yml'\n`,
    [`templates/${name}.gitlab-ci.yml`]: shellModeCopy(template),
    ...extra,
  };
}

const FAKE_AWS = `#!/bin/sh
# A stand-in for the AWS CLI: only \`aws sts assume-role-with-web-identity\`, with the arguments the
# Bedrock template passes; prints the keys in the --query/--output text shape.
if [ "$1 $2" != "sts assume-role-with-web-identity" ]; then echo "fake aws: unsupported command: $1 $2" >&2; exit 2; fi
shift 2
while [ $# -gt 0 ]; do
  case "$1" in
    --role-arn) role="$2"; shift 2 ;;
    --role-session-name) session="$2"; shift 2 ;;
    --web-identity-token) token="$2"; shift 2 ;;
    --duration-seconds) shift 2 ;;
    --query) query="$2"; shift 2 ;;
    --output) output="$2"; shift 2 ;;
    *) echo "fake aws: unknown option $1" >&2; exit 2 ;;
  esac
done
if [ -n "$FAKE_AWS_RECORD" ]; then printf '%s\\n' "role=$role session=$session token=$token query=$query output=$output" >> "$FAKE_AWS_RECORD"; fi
case "$role" in arn:aws:iam::[0-9]*:role/*) ;; *) echo "An error occurred (ValidationError): invalid role ARN" >&2; exit 254 ;; esac
if [ -z "$token" ]; then echo "An error occurred (InvalidIdentityToken): empty token" >&2; exit 254; fi
if [ "$query" != "Credentials.[AccessKeyId,SecretAccessKey,SessionToken]" ] || [ "$output" != "text" ]; then echo "fake aws: unexpected --query/--output" >&2; exit 2; fi
printf 'ASIAFAKEACCESSKEY\\tfakeSecretAccessKey\\tfakeSessionToken\\n'
`;

/** The image's executables, built once: the runner and the fake aws. */
export async function buildImageTools(binDir: string): Promise<void> {
  await bundleExecutable(fileURLToPath(new URL('../../service/runner/main-cli.ts', import.meta.url)), binDir, 'claude-gitlab-flow');
  await mkdir(binDir, { recursive: true });
  await writeFile(join(binDir, 'aws'), FAKE_AWS);
  await chmod(join(binDir, 'aws'), 0o755);
}

export interface GitLabCiLocalRun {
  code: number;
  output: string;
  ms: number;
}

/**
 * Runs gitlab-ci-local in `cwd` with `--variable`s (as GitLab would pass pipeline and CI/CD variables)
 * and a clean environment, so nothing from the test process leaks into the job.
 */
export function gitlabCiLocal(cwd: string, args: string[], options: { variables?: Record<string, string>; binDir: string; home: string }): Promise<GitLabCiLocalRun> {
  const started = Date.now();
  const variableArgs = Object.entries(options.variables ?? {}).flatMap(([key, value]) => ['--variable', `${key}=${value}`]);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [GITLAB_CI_LOCAL, '--home', options.home, '--color=false', ...args, ...variableArgs], {
      cwd,
      env: { PATH: `${options.binDir}:${process.env.PATH ?? '/usr/bin:/bin'}`, HOME: options.home, LANG: 'C.UTF-8' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, output, ms: Date.now() - started }));
  });
}
