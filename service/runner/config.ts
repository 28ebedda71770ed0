import type { FlowContextV1 } from '../domain.js';
import { parseFlowContext } from '../flow-variables.js';
import { DEFAULT_AGENT_USER } from './workspace/identity.js';

// Every environment variable the runner reads, in one place, as a pure function of `env`.
//
// The contract (docs/runner-contract.md):
//   AI_FLOW_INPUT, AI_FLOW_CONTEXT (version 1), AI_FLOW_EVENT   from the service's trigger
//   CI_API_V4_URL, CI_SERVER_URL, CI_PROJECT_ID, CI_PROJECT_PATH, CI_PROJECT_DIR, CI_DEFAULT_BRANCH,
//   CI_JOB_URL, CI_PIPELINE_URL (and CI_COMMIT_REF_NAME, CI_JOB_ID when present)   GitLab predefined
//   GITLAB_TOKEN   masked CI/CD variable: project access token, Developer, scopes api + write_repository
//   CLAUDE_CODE_PATH   the Claude Code executable (default: `claude` on PATH)
// Knobs the templates set (all optional):
//   CLAUDE_FLOW_ALLOWED_TOOLS   comma-separated Claude Code tool rules (default DEFAULT_ALLOWED_TOOLS)
//   CLAUDE_FLOW_MAX_TURNS       default 30
//   CLAUDE_FLOW_TIMEOUT_SECONDS how long Claude Code may run; keep it under the job timeout (default 1500)
//   CLAUDE_FLOW_MODEL           passed as --model
//   CLAUDE_FLOW_PROGRESS_INTERVAL_SECONDS  minimum time between progress edits (default 10)
//   CLAUDE_FLOW_GIT_AUTHOR_NAME, CLAUDE_FLOW_GIT_AUTHOR_EMAIL   the commits' author
//   CLAUDE_FLOW_AGENT_USER      who Claude Code runs as (default claude-agent; a name or uid:gid)
//   CLAUDE_FLOW_ALLOW_UNISOLATED  true: run Claude Code as the job's own user when it cannot switch (unsafe)
//   CLAUDE_FLOW_RUN_PIPELINES   true: pushes start pipelines (default: `-o ci.skip`)
//   CLAUDE_FLOW_MAX_FILE_BYTES  the largest file a push may carry (default 1 MiB)
//   CLAUDE_FLOW_MAX_BUDGET_USD  the most one run may spend on the model (the gateway stops it there)
//   CLAUDE_FLOW_MAX_REVIEW_COMMENTS  the most inline comments one review posts (default 20)
//   CI_CONFIG_PATH              GitLab's: the CI configuration's path (protected from changes)

// Claude Code 2.1's tool names (its init message lists them): reading and editing files. The runner
// scopes file tools to the workspace (claude-args.ts). No shell by default: git's history is the
// runner's, and the diff a merge request needs is in the prompt.
export const DEFAULT_ALLOWED_TOOLS = ['Read', 'Glob', 'Grep', 'Edit', 'Write'];

export const KNOWN_EVENTS = new Set(['mention', 'assign', 'assign_reviewer', 'ready', 'label']);

export interface RunnerConfig {
  input: string;
  event: string;
  context: FlowContextV1;
  gitlab: { baseUrl: string; serverUrl: string; token: string };
  projectId: number;
  projectPath: string;
  projectDir: string;
  defaultBranch: string;
  commitRef: string | null;
  jobUrl: string | null;
  pipelineUrl: string | null;
  claudePath: string;
  allowedTools: string[];
  maxTurns: number;
  timeoutMs: number;
  model: string | null;
  progressIntervalMs: number;
  gitAuthor: { name: string; email: string };
  ciConfigPath: string;
  agentUser: string;
  allowUnisolated: boolean;
  runPipelines: boolean;
  maxFileBytes: number;
  budgetUsd: number | null;
  maxReviewComments: number;
}

/** What the runner still knows when the configuration is incomplete: enough to tell the thread? */
export interface ConfigProblem {
  errors: string[];
  context: FlowContextV1 | null;
  gitlab: RunnerConfig['gitlab'] | null;
  projectId: number | null;
  jobUrl: string | null;
  pipelineUrl: string | null;
}

export type ConfigResult = { ok: true; config: RunnerConfig } | ({ ok: false } & ConfigProblem);

function positiveInt(env: NodeJS.ProcessEnv, name: string, fallback: number, errors: string[]): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value <= 0) {
    errors.push(`${name} must be a positive integer, got ${JSON.stringify(raw)}`);
    return fallback;
  }
  return value;
}

/** `https://gitlab.example.com/api/v4` → `https://gitlab.example.com` (gitbeaker appends /api/v4). */
export function apiBaseUrl(apiV4Url: string): string | null {
  const match = /^(.*?)\/api\/v4\/?$/.exec(apiV4Url.trim());
  return match ? match[1]! : null;
}

function flag(env: NodeJS.ProcessEnv, name: string, errors: string[]): boolean {
  const raw = (env[name] ?? '').trim().toLowerCase();
  if (raw === '' || raw === 'false' || raw === '0') return false;
  if (raw === 'true' || raw === '1') return true;
  errors.push(`${name} must be true or false, got ${JSON.stringify(env[name])}`);
  return false;
}

function budget(env: NodeJS.ProcessEnv, errors: string[]): number | null {
  const raw = env.CLAUDE_FLOW_MAX_BUDGET_USD;
  if (raw === undefined || raw.trim() === '') return null;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) {
    errors.push(`CLAUDE_FLOW_MAX_BUDGET_USD must be a positive number of dollars, got ${JSON.stringify(raw)}`);
    return null;
  }
  return value;
}

export function readRunnerConfig(env: NodeJS.ProcessEnv): ConfigResult {
  const errors: string[] = [];
  const required = (name: string): string => {
    const value = env[name];
    if (value === undefined || value === '') errors.push(`${name} is not set`);
    return value ?? '';
  };

  const parsedContext = parseFlowContext(env.AI_FLOW_CONTEXT);
  if (!parsedContext.ok) errors.push(parsedContext.error);
  const context = parsedContext.ok ? parsedContext.context : null;

  // An empty instruction is possible (a bare "@claude"), an unset one is a broken trigger.
  if (env.AI_FLOW_INPUT === undefined) errors.push('AI_FLOW_INPUT is not set');
  const event = required('AI_FLOW_EVENT');
  if (event && !KNOWN_EVENTS.has(event)) errors.push(`AI_FLOW_EVENT ${JSON.stringify(event)} is not one this runner knows (${[...KNOWN_EVENTS].join(', ')})`);

  const apiUrl = required('CI_API_V4_URL');
  const baseUrl = apiUrl ? apiBaseUrl(apiUrl) : null;
  if (apiUrl && !baseUrl) errors.push(`CI_API_V4_URL ${JSON.stringify(apiUrl)} does not end in /api/v4`);
  const serverUrl = required('CI_SERVER_URL').replace(/\/+$/, '');
  const token = required('GITLAB_TOKEN');
  const projectIdRaw = required('CI_PROJECT_ID');
  const projectId = Number(projectIdRaw);
  if (projectIdRaw && !Number.isInteger(projectId)) errors.push(`CI_PROJECT_ID ${JSON.stringify(projectIdRaw)} is not a number`);
  // The context names the project whose thread we answer; a pipeline elsewhere must not act on it.
  if (context && Number.isInteger(projectId) && projectIdRaw && context.project.id !== projectId) {
    errors.push(`AI_FLOW_CONTEXT is for project ${context.project.id}, but this job runs in project ${projectId}`);
  }
  const projectPath = required('CI_PROJECT_PATH');
  const projectDir = required('CI_PROJECT_DIR');
  const defaultBranch = env.CI_DEFAULT_BRANCH || context?.project.default_branch || '';
  if (!defaultBranch) errors.push('CI_DEFAULT_BRANCH is not set');

  const allowedTools = (env.CLAUDE_FLOW_ALLOWED_TOOLS ?? '')
    .split(',')
    .map((tool) => tool.trim())
    .filter(Boolean);
  const maxTurns = positiveInt(env, 'CLAUDE_FLOW_MAX_TURNS', 30, errors);
  const timeoutSeconds = positiveInt(env, 'CLAUDE_FLOW_TIMEOUT_SECONDS', 1500, errors);
  const progressSeconds = positiveInt(env, 'CLAUDE_FLOW_PROGRESS_INTERVAL_SECONDS', 10, errors);
  const maxFileBytes = positiveInt(env, 'CLAUDE_FLOW_MAX_FILE_BYTES', 1024 * 1024, errors);
  const allowUnisolated = flag(env, 'CLAUDE_FLOW_ALLOW_UNISOLATED', errors);
  const runPipelines = flag(env, 'CLAUDE_FLOW_RUN_PIPELINES', errors);
  const budgetUsd = budget(env, errors);
  const maxReviewComments = positiveInt(env, 'CLAUDE_FLOW_MAX_REVIEW_COMMENTS', 20, errors);
  const host = (() => {
    try {
      return new URL(serverUrl).hostname;
    } catch {
      return 'gitlab';
    }
  })();

  const gitlab = baseUrl && token ? { baseUrl, serverUrl: serverUrl || baseUrl, token } : null;
  const jobUrl = env.CI_JOB_URL || null;
  const pipelineUrl = env.CI_PIPELINE_URL || null;
  if (errors.length > 0 || !context || !gitlab) {
    return { ok: false, errors, context, gitlab, projectId: context?.project.id ?? null, jobUrl, pipelineUrl };
  }
  return {
    ok: true,
    config: {
      input: env.AI_FLOW_INPUT ?? '',
      event,
      context,
      gitlab,
      projectId,
      projectPath,
      projectDir,
      defaultBranch,
      commitRef: env.CI_COMMIT_REF_NAME || null,
      jobUrl,
      pipelineUrl,
      claudePath: env.CLAUDE_CODE_PATH || 'claude',
      allowedTools: allowedTools.length > 0 ? allowedTools : DEFAULT_ALLOWED_TOOLS,
      maxTurns,
      timeoutMs: timeoutSeconds * 1000,
      model: env.CLAUDE_FLOW_MODEL || null,
      progressIntervalMs: progressSeconds * 1000,
      gitAuthor: {
        name: env.CLAUDE_FLOW_GIT_AUTHOR_NAME || 'Claude',
        email: env.CLAUDE_FLOW_GIT_AUTHOR_EMAIL || `claude-gitlab-flow@noreply.${host}`,
      },
      ciConfigPath: (env.CI_CONFIG_PATH || '.gitlab-ci.yml').replace(/^\/+/, ''),
      agentUser: env.CLAUDE_FLOW_AGENT_USER || DEFAULT_AGENT_USER,
      allowUnisolated,
      runPipelines,
      maxFileBytes,
      budgetUsd,
      maxReviewComments,
    },
  };
}

/** Secret values that must not reach the prompt, a note, a commit or the log. */
export const SECRET_VARIABLES = [
  'GITLAB_TOKEN',
  'CI_JOB_TOKEN',
  'CI_JOB_JWT',
  'CI_JOB_JWT_V1',
  'CI_JOB_JWT_V2',
  'CI_REGISTRY_PASSWORD',
  'CI_DEPENDENCY_PROXY_PASSWORD',
  'CI_DEPLOY_PASSWORD',
  'CI_REPOSITORY_URL', // carries the job token
  'ANTHROPIC_API_KEY',
  'ANTHROPIC_AUTH_TOKEN',
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_SESSION_TOKEN',
];

// Project variables are not marked secret in the job's environment; their names usually say so.
const SECRET_NAME = /_ID_TOKEN$|TOKEN|SECRET|PASSWORD|PASSWD|PRIVATE|API_?KEY|ACCESS_KEY|CREDENTIAL/i;

export function isSecretVariable(name: string): boolean {
  return SECRET_VARIABLES.includes(name) || SECRET_NAME.test(name);
}

export function secretValues(env: NodeJS.ProcessEnv): string[] {
  return Object.entries(env)
    .filter(([name, value]) => value && isSecretVariable(name) && !/^(true|false|\d{1,6})$/i.test(value))
    .map(([, value]) => value!);
}
