import type { TokenCounts } from './prices.js';
import { noTokens } from './usage.js';

// The Messages API reports usage twice in a stream: `message_start.message.usage` (input and cache tokens, a
// first output count) and `message_delta.usage` (cumulative counts, output tokens at least). A JSON response has
// the same object at the top level. Later counts replace earlier ones, field by field.

type RawUsage = Partial<Record<string, unknown>> & { cache_creation?: Partial<Record<string, unknown>> };

const count = (value: unknown): number | undefined =>
  typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : undefined;

export function mergeUsage(tokens: TokenCounts, raw: unknown): TokenCounts {
  if (!raw || typeof raw !== 'object') return tokens;
  const usage = raw as RawUsage;
  return {
    inputTokens: count(usage.input_tokens) ?? tokens.inputTokens,
    outputTokens: count(usage.output_tokens) ?? tokens.outputTokens,
    cacheCreationInputTokens: count(usage.cache_creation_input_tokens) ?? tokens.cacheCreationInputTokens,
    cacheCreation1hInputTokens:
      count(usage.cache_creation?.ephemeral_1h_input_tokens) ?? tokens.cacheCreation1hInputTokens,
    cacheReadInputTokens: count(usage.cache_read_input_tokens) ?? tokens.cacheReadInputTokens,
  };
}

/** One streamed event (already parsed JSON) applied to the message's counts so far. */
export function applyStreamEvent(tokens: TokenCounts, event: unknown): TokenCounts {
  if (!event || typeof event !== 'object') return tokens;
  const { type, message, usage } = event as { type?: unknown; message?: { usage?: unknown }; usage?: unknown };
  if (type === 'message_start') return mergeUsage(tokens, message?.usage);
  if (type === 'message_delta') return mergeUsage(tokens, usage);
  return tokens;
}

/** A non-streaming response body (a message, or count_tokens' `{input_tokens}`, which costs nothing). */
export function usageOfJson(body: unknown): TokenCounts {
  if (!body || typeof body !== 'object' || (body as { type?: unknown }).type !== 'message') return noTokens();
  return mergeUsage(noTokens(), (body as { usage?: unknown }).usage);
}
