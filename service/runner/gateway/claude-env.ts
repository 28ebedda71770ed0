import { GATEWAY_KEY_HEADER } from './headers.js';
import type { ModelProvider } from './provider.js';

// The model settings Claude Code runs with: the provider switch, the gateway as its base URL, the run's gateway
// key, and what picks a model or a region. No credential: with CLAUDE_CODE_SKIP_*_AUTH Claude Code sends no
// Google token and no AWS signature (observed with 2.1.332), and its API key is the placeholder.

/** Model choices and regions, copied from the job when set: they name things, they unlock nothing. */
const MODEL_CHOICES = [
  'ANTHROPIC_MODEL',
  'ANTHROPIC_SMALL_FAST_MODEL',
  'ANTHROPIC_DEFAULT_OPUS_MODEL',
  'ANTHROPIC_DEFAULT_SONNET_MODEL',
  'ANTHROPIC_DEFAULT_HAIKU_MODEL',
  'CLAUDE_CODE_SUBAGENT_MODEL',
];

export function agentEnvFor(
  provider: ModelProvider,
  env: NodeJS.ProcessEnv,
  gatewayUrl: string,
  key: string
): Record<string, string> {
  const out: Record<string, string> = {};
  const copy = (name: string) => {
    if (env[name]) out[name] = env[name]!;
  };
  MODEL_CHOICES.forEach(copy);
  // Sent with every model call on all three providers; the job's own custom headers go upstream from the gateway.
  out.ANTHROPIC_CUSTOM_HEADERS = `${GATEWAY_KEY_HEADER}: ${key}`;
  if (provider === 'anthropic') {
    out.ANTHROPIC_BASE_URL = gatewayUrl;
    out.ANTHROPIC_API_KEY = key;
  } else if (provider === 'vertex') {
    out.CLAUDE_CODE_USE_VERTEX = '1';
    out.CLAUDE_CODE_SKIP_VERTEX_AUTH = '1';
    out.ANTHROPIC_VERTEX_BASE_URL = gatewayUrl;
    copy('ANTHROPIC_VERTEX_PROJECT_ID');
    copy('CLOUD_ML_REGION');
    Object.keys(env)
      .filter((name) => name.startsWith('VERTEX_REGION_'))
      .forEach(copy);
  } else {
    out.CLAUDE_CODE_USE_BEDROCK = '1';
    out.CLAUDE_CODE_SKIP_BEDROCK_AUTH = '1';
    out.ANTHROPIC_BEDROCK_BASE_URL = gatewayUrl;
    out.AWS_REGION = env.AWS_REGION || env.AWS_DEFAULT_REGION || '';
    if (!out.AWS_REGION) delete out.AWS_REGION;
    copy('ANTHROPIC_SMALL_FAST_MODEL_AWS_REGION');
  }
  return out;
}
