import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { agentEnvironment } from './agent-env.js';
import { claudeArgs, effectiveTools } from './claude-args.js';
import type { ClaudeProcessOutcome } from './claude-process.js';
import type { RunnerConfig } from './config.js';
import { workingNote, type Links } from './note-text.js';
import { ProgressReporter } from './progress-reporter.js';
import type { BuiltPrompt } from './prompt.js';
import { messageOf } from './run-failure.js';
import type { RunGateway, RunnerDeps, Secrets } from './run-deps.js';
import { applyEvent, initialProgress } from './stream.js';
import type { ThreadSession } from './session/thread-session.js';
import type { TrustedConfig } from './trusted-config.js';
import type { AgentWorkspace } from './workspace/prepare.js';

// Claude Code as the agent's process: its user, its workspace, its environment (the gateway's and
// nothing of the job's), its command line, and its progress in the tracking note.

async function writeTrustedSettings(layout: AgentWorkspace, trusted: TrustedConfig): Promise<string | null> {
  if (!trusted.claudeSettings) return null;
  const path = join(layout.config, 'settings.json');
  // Root's file in a root directory: the agent reads it and cannot change it.
  await writeFile(path, trusted.claudeSettings, { mode: 0o644 });
  return path;
}

export async function runAgent(
  config: RunnerConfig,
  deps: RunnerDeps,
  layout: AgentWorkspace,
  gateway: RunGateway,
  built: Pick<BuiltPrompt, 'prompt' | 'systemPrompt'>,
  trusted: TrustedConfig,
  may: { canWrite: boolean; canRunCommands: boolean },
  links: Links,
  log: (message: string) => void,
  secrets: Secrets,
  runId: string | undefined,
  /** A review's output directory (review/review-mode.ts), or null. */
  outputDir: string | null = null,
  /** The request's downloaded images (attachments/fetch-attachments.ts), or null. */
  attachmentsDir: string | null = null,
  session?: ThreadSession,
): Promise<ClaudeProcessOutcome> {
  const { context } = config;
  const { identity } = deps.sandbox;
  const tools = effectiveTools(config.allowedTools, may.canWrite, may.canRunCommands);
  if (tools.dropped.length > 0) log(`not allowed in this run: ${tools.dropped.join(', ')}`);
  let progress = initialProgress();
  const reporter = new ProgressReporter({
    edit: (body) => deps.gitlab.editTrackingNote(context, body),
    minIntervalMs: config.progressIntervalMs,
    onError: (error) => log(`progress edit failed (ignored): ${messageOf(error)}`),
  });
  reporter.offer(workingNote(progress, links, secrets(), runId));
  await session?.install(layout, identity);
  log(`running ${config.claudePath} (max ${config.maxTurns} turns, timeout ${Math.round(config.timeoutMs / 1000)}s)`);
  const outcome = await deps.runClaude({
    command: config.claudePath,
    args: claudeArgs({ allowedTools: config.allowedTools, ...may, maxTurns: config.maxTurns, model: config.model, systemPrompt: built.systemPrompt, trustedSettingsFile: await writeTrustedSettings(layout, trusted), outputDir, readOnlyDirs: attachmentsDir ? [attachmentsDir] : [], resumeSessionId: session?.resumeId ?? null }),
    cwd: layout.workspace,
    env: agentEnvironment({ jobEnv: deps.env, home: layout.home, gatewayEnv: gateway.agentEnv }),
    ...(identity.kind === 'isolated' ? { uid: identity.uid, gid: identity.gid } : {}),
    stdin: built.prompt,
    timeoutMs: config.timeoutMs,
    signal: deps.signal,
    onEvent: (event) => {
      if (event.kind === 'init') session?.onInit(event.sessionId);
      progress = applyEvent(progress, event, layout.workspace);
      if (event.kind === 'tool-use') log(`claude: ${progress.actions.at(-1)}`);
      if (event.kind !== 'result') reporter.offer(workingNote(progress, links, secrets(), runId));
    },
    onStderr: (chunk) => log(`claude stderr: ${chunk.trimEnd()}`),
  });
  await reporter.close();
  return outcome;
}

