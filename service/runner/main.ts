import { randomBytes } from 'node:crypto';
import { accessSync, constants } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, isAbsolute, join } from 'node:path';
import { runClaudeProcess } from './claude-process.js';
import { readRunnerConfig, secretValues } from './config.js';
import { startModelGateway } from './gateway/index.js';
import { createGit } from './git.js';
import { createRunnerGitLab } from './gitlab.js';
import { failureNote } from './note-text.js';
import { run } from './run.js';
import { createSandbox } from './sandbox.js';
import { redactSecrets } from './sanitize.js';

// `claude-gitlab-flow run`: the entry point inside the CI job. It reads the environment once, wires the
// real GitLab client, git and Claude Code process into `run`, turns SIGTERM (a canceled job) into an
// abort that still closes the note, and returns the exit status; only the CLI calls process.exit.

const USAGE = `Usage: claude-gitlab-flow run

Answers one @claude request inside a GitLab CI job started by the claude-gitlab-flow service.
Reads AI_FLOW_INPUT, AI_FLOW_CONTEXT, AI_FLOW_EVENT, GitLab's predefined CI_* variables and GITLAB_TOKEN.
See docs/runner-contract.md.`;

export async function main(argv: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const log = (message: string) => process.stderr.write(`[claude-gitlab-flow] ${redactSecrets(message, secretValues(env))}\n`);
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (argv.length > 0) {
    log(`unexpected arguments: ${argv.join(' ')}\n${USAGE}`);
    return 2;
  }

  const parsed = readRunnerConfig(env);
  if (!parsed.ok) {
    log(`cannot run: ${parsed.errors.join('; ')}`);
    // Tell the thread when we know which note is ours and the context is for this very project.
    if (parsed.context && parsed.gitlab && String(parsed.context.project.id) === env.CI_PROJECT_ID) {
      const body = failureNote(
        { what: 'the CI job is not configured correctly.', detail: parsed.errors.join('\n'), hint: 'Check the CI/CD variables listed in docs/gitlab-setup.md of claude-gitlab-flow (step 3, CI/CD variables).' },
        null,
        { jobUrl: parsed.jobUrl, pipelineUrl: parsed.pipelineUrl },
        secretValues(env),
      );
      await createRunnerGitLab({ baseUrl: parsed.gitlab.baseUrl, token: parsed.gitlab.token })
        .editTrackingNote(parsed.context, body)
        .catch((error: unknown) => log(`could not close the tracking note: ${error instanceof Error ? error.message : String(error)}`));
    }
    return 2;
  }
  const { config } = parsed;

  const controller = new AbortController();
  const onSignal = (signal: NodeJS.Signals) => {
    log(`received ${signal}: stopping Claude Code and closing the note`);
    controller.abort();
  };
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);
  // git's HOME: a directory of the runner's own, so no ~/.gitconfig of the image or the agent applies.
  const gitHome = await mkdtemp(join(tmpdir(), 'claude-gitlab-flow-git-'));
  try {
    return await run(
      { ...config, claudePath: resolveCommand(config.claudePath, env.PATH ?? '') },
      {
      gitlab: createRunnerGitLab({ baseUrl: config.gitlab.baseUrl, token: config.gitlab.token, timeoutMs: 30_000 }),
      git: createGit({ repoDir: config.projectDir, serverUrl: config.gitlab.serverUrl, token: config.gitlab.token, home: gitHome, path: env.PATH ?? '/usr/bin:/bin' }),
      runClaude: runClaudeProcess,
      sandbox: createSandbox({ projectDir: config.projectDir, agentUser: config.agentUser, allowUnisolated: config.allowUnisolated, env, log }),
      startGateway: (budgetUsd) => startModelGateway({ env, budgetUsd, log }),
      env,
      now: () => new Date(),
      nonce: () => randomBytes(6).toString('hex'),
      log,
      sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
      signal: controller.signal,
      },
    );
  } finally {
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
    await rm(gitHome, { recursive: true, force: true });
  }
}

/** The agent gets a fixed PATH of its own, so the executable is found on the job's PATH first. */
export function resolveCommand(command: string, path: string): string {
  if (isAbsolute(command) || command.includes('/')) return command;
  for (const dir of path.split(delimiter).filter(Boolean)) {
    try {
      accessSync(join(dir, command), constants.X_OK);
      return join(dir, command);
    } catch {
      // not here
    }
  }
  return command;
}
