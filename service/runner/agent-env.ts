// The environment Claude Code starts with, built from nothing: the agent is untrusted, so it gets no
// variable of the job except the few below. No GITLAB_TOKEN, CI_JOB_TOKEN, ID tokens, cloud credentials
// or project CI variables; the model's own credential stays in the gateway, which the agent reaches on
// 127.0.0.1 with a per-run placeholder.

/** Job variables passed through as they are, when set: locale and Claude Code's own non-secret switches. */
export const PASSED_THROUGH = ['LANG', 'LC_ALL', 'LC_CTYPE', 'TZ', 'CLAUDE_CODE_MAX_RETRIES', 'CLAUDE_CODE_MAX_OUTPUT_TOKENS', 'MAX_THINKING_TOKENS'];

const SAFE_VALUE = /^[\w .,:/@+=-]{0,200}$/;

export interface AgentEnvironmentInput {
  jobEnv: NodeJS.ProcessEnv;
  home: string;
  /** The gateway's variables: provider switch, base URL, placeholder key, region and project ids. */
  gatewayEnv: Record<string, string>;
}

/** Claude Code's config dir (settings, sessions) inside the agent's home. */
export const agentConfigDir = (home: string): string => `${home}/.claude`;

export function agentEnvironment(input: AgentEnvironmentInput): Record<string, string> {
  const env: Record<string, string> = {
    PATH: '/usr/local/bin:/usr/bin:/bin',
    HOME: input.home,
    CLAUDE_CONFIG_DIR: agentConfigDir(input.home),
    TMPDIR: `${input.home}/tmp`,
    // Nothing but the gateway: no telemetry, update checks or other hosts.
    CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
    DISABLE_AUTOUPDATER: '1',
  };
  for (const name of PASSED_THROUGH) {
    const value = input.jobEnv[name];
    if (value !== undefined && value !== '' && SAFE_VALUE.test(value)) env[name] = value;
  }
  return { ...env, ...input.gatewayEnv };
}
