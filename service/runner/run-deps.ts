import type { ClaudeProcessOptions, ClaudeProcessOutcome } from './claude-process.js';
import type { Git } from './git.js';
import type { RunnerGitLab } from './gitlab.js';
import type { AgentIdentity } from './workspace/identity.js';
import type { AgentWorkspace } from './workspace/prepare.js';

// What a run is given by its entry point (main.ts): GitLab, git, the Claude Code process, the agent's
// sandbox and the model gateway, the clock. Tests pass their own where a real one cannot run.

/** The model gateway as the run uses it (gateway/): the agent's only way to the model. */
export interface RunGateway {
  agentEnv: Record<string, string>;
  usage(): { inputTokens: number; outputTokens: number; costUsd: number; budgetUsd: number | null; budgetExceeded: boolean };
  secretValues(): string[];
  close(): Promise<void>;
}

export interface AgentSandbox {
  identity: AgentIdentity;
  /** Makes the runner's own files root-only and lays out the agent's workspace. */
  prepare(): Promise<AgentWorkspace>;
  /** Ends whatever the agent left running, so its workspace holds still while the runner reads it. */
  stopAgent(): void;
  remove(layout: AgentWorkspace): Promise<void>;
}

export interface RunnerDeps {
  gitlab: RunnerGitLab;
  git: Git;
  runClaude: (options: ClaudeProcessOptions) => Promise<ClaudeProcessOutcome>;
  sandbox: AgentSandbox;
  startGateway: (budgetUsd: number | null) => Promise<RunGateway>;
  env: NodeJS.ProcessEnv;
  now: () => Date;
  nonce: () => string;
  log: (message: string) => void;
  sleep: (ms: number) => Promise<void>;
  signal?: AbortSignal;
}

/** Secrets grow during the run (the gateway mints access tokens), so redaction asks each time. */
export type Secrets = () => string[];
