// List prices in US dollars per million tokens, as of 2026-05 (dated so a reader knows when to look again).
// Source: the per-model table built into Claude Code 2.1.332 (its `total_cost_usd` uses the same numbers, checked
// against runs on the stand-in), which matches Anthropic's public list prices for the older models. Vertex AI and
// Bedrock list the same prices for their global endpoints; regional endpoints can cost more, so this is an estimate
// for a budget, not an invoice.
export const PRICES_AS_OF = '2026-05';

export interface ModelPrice {
  input: number;
  output: number;
  /** Prompt caching: a 5-minute cache write, a 1-hour cache write, a cache read. */
  cacheWrite: number;
  cacheWrite1h: number;
  cacheRead: number;
  /** Some models cost more once a prompt (input + cache tokens) passes a size. */
  longPrompt?: { aboveInputTokens: number } & Omit<ModelPrice, 'longPrompt'>;
}

const tier = (input: number, output: number, cacheRead = input / 10): ModelPrice => ({
  input,
  output,
  cacheWrite: input * 1.25,
  cacheWrite1h: input * 2,
  cacheRead,
});

export const PRICES: Readonly<Record<string, ModelPrice>> = {
  'claude-opus-5-5': tier(4, 20, 0.2),
  'claude-opus-5': tier(5, 25),
  'claude-opus-4-8': tier(5, 25),
  'claude-opus-4-7': tier(5, 25),
  'claude-opus-4-6': tier(5, 25),
  'claude-opus-4-5': tier(5, 25),
  'claude-opus-4-1': tier(15, 75),
  'claude-opus-4': tier(15, 75),
  'claude-sonnet-5-5': tier(2, 10, 0.1),
  'claude-sonnet-5': tier(2, 10, 0.2),
  'claude-sonnet-4-6': tier(3, 15),
  'claude-sonnet-4-5': tier(3, 15),
  'claude-sonnet-4': tier(3, 15),
  'claude-3-7-sonnet': tier(3, 15),
  'claude-3-5-sonnet': tier(3, 15),
  'claude-haiku-5-5': { ...tier(0.1, 0.5, 0.01), longPrompt: { aboveInputTokens: 100_000, ...tier(0.5, 2.5, 0.05) } },
  'claude-haiku-4-5': tier(1, 5),
  'claude-3-5-haiku': tier(0.8, 4, 0.08),
};

/** An unknown model is priced like the most expensive one, so a budget errs on the side of stopping early. */
export const UNKNOWN_MODEL_PRICE: ModelPrice = Object.values(PRICES).reduce((most, price) =>
  price.output > most.output ? price : most
);

/**
 * The price table's key for a provider's model id: `claude-sonnet-4-5-20250929` (Claude API),
 * `claude-sonnet-4-5@20250929` (Vertex AI), `us.anthropic.claude-sonnet-4-5-20250929-v1:0` (Bedrock, with a
 * cross-region prefix), `claude-sonnet-4-0` (Claude Code's alias) all become `claude-sonnet-4-5` / `claude-sonnet-4`.
 */
export function normaliseModelId(id: string): string {
  let model = safeDecode(id).trim().toLowerCase();
  model = model.slice(model.lastIndexOf('/') + 1); // a Bedrock inference profile ARN ends in the profile id
  model = model.replace(/^(?:[a-z-]+\.)?anthropic\./, ''); // Bedrock: `us.`, `eu.`, `apac.`, `global.` + `anthropic.`
  model = model.replace(/-v\d+(?::\d+)?$/, ''); // Bedrock's version suffix
  model = model.replace(/(?:-v\d+)?@\d{8}$/, ''); // Vertex: `@20250929`, `claude-3-5-sonnet-v2@20241022`
  model = model.replace(/-\d{8}$/, ''); // a dated snapshot
  model = model.replace(/-latest$/, '');
  model = model.replace(/-0$/, ''); // `claude-sonnet-4-0` is `claude-sonnet-4`
  return model;
}

function safeDecode(id: string): string {
  try {
    return decodeURIComponent(id);
  } catch {
    return id;
  }
}

export function priceOf(modelId: string): { model: string; price: ModelPrice; known: boolean } {
  const model = normaliseModelId(modelId);
  const price = PRICES[model];
  return price ? { model, price, known: true } : { model, price: UNKNOWN_MODEL_PRICE, known: false };
}

export interface TokenCounts {
  inputTokens: number;
  outputTokens: number;
  /** All cache writes; `cacheCreation1hInputTokens` says how many of them were 1-hour writes, when known. */
  cacheCreationInputTokens: number;
  cacheCreation1hInputTokens: number;
  cacheReadInputTokens: number;
}

export function costUsd(price: ModelPrice, tokens: TokenCounts): number {
  const prompt = tokens.inputTokens + tokens.cacheCreationInputTokens + tokens.cacheReadInputTokens;
  const p = price.longPrompt && prompt > price.longPrompt.aboveInputTokens ? price.longPrompt : price;
  const write1h = Math.min(tokens.cacheCreation1hInputTokens, tokens.cacheCreationInputTokens);
  const dollars =
    tokens.inputTokens * p.input +
    tokens.outputTokens * p.output +
    (tokens.cacheCreationInputTokens - write1h) * p.cacheWrite +
    write1h * p.cacheWrite1h +
    tokens.cacheReadInputTokens * p.cacheRead;
  return dollars / 1_000_000;
}
