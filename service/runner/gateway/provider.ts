export type ModelProvider = 'anthropic' | 'vertex' | 'bedrock';

// Claude Code's own switch: a truthy CLAUDE_CODE_USE_BEDROCK wins over CLAUDE_CODE_USE_VERTEX, as in the CLI.
const truthy = (value: string | undefined) => value !== undefined && /^(1|true|yes|on)$/i.test(value.trim());

export function modelProviderOf(env: NodeJS.ProcessEnv): ModelProvider {
  if (truthy(env.CLAUDE_CODE_USE_BEDROCK)) return 'bedrock';
  if (truthy(env.CLAUDE_CODE_USE_VERTEX)) return 'vertex';
  return 'anthropic';
}
