import { describe, expect, it } from 'vitest';
import { costUsd, normaliseModelId, priceOf, UNKNOWN_MODEL_PRICE } from '../../../service/runner/gateway/prices.js';
import { noTokens } from '../../../service/runner/gateway/usage.js';

describe('model ids', () => {
  it.each([
    ['claude-opus-5-5', 'claude-opus-5-5'],
    ['claude-sonnet-4-5-20250929', 'claude-sonnet-4-5'],
    ['claude-sonnet-4-5@20250929', 'claude-sonnet-4-5'],
    ['us.anthropic.claude-sonnet-4-5-20250929-v1:0', 'claude-sonnet-4-5'],
    ['global.anthropic.claude-opus-4-5-20251101-v1:0', 'claude-opus-4-5'],
    ['us.anthropic.claude-opus-4-1-20250805-v1%3A0', 'claude-opus-4-1'],
    ['anthropic.claude-3-5-sonnet-20241022-v2:0', 'claude-3-5-sonnet'],
    ['claude-3-5-sonnet-v2@20241022', 'claude-3-5-sonnet'],
    ['us.anthropic.claude-opus-4-6-v1', 'claude-opus-4-6'],
    ['claude-sonnet-4@20250514', 'claude-sonnet-4'],
    ['claude-sonnet-4-0', 'claude-sonnet-4'],
    [
      'arn:aws:bedrock:us-west-2:123456789012:inference-profile/us.anthropic.claude-haiku-4-5-20251001-v1:0',
      'claude-haiku-4-5',
    ],
  ])('%s is priced as %s', (id, model) => {
    expect(normaliseModelId(id)).toBe(model);
    expect(priceOf(id)).toMatchObject({ model, known: true });
  });

  it('prices an unknown model like the most expensive one, and says so', () => {
    expect(priceOf('claude-next-9')).toEqual({ model: 'claude-next-9', price: UNKNOWN_MODEL_PRICE, known: false });
    expect(UNKNOWN_MODEL_PRICE.output).toBe(75);
  });
});

describe('cost', () => {
  const tokens = (counts: Partial<ReturnType<typeof noTokens>>) => ({ ...noTokens(), ...counts });

  it('matches what Claude Code charges for 3 stand-in calls of 100 in / 20 out on opus-5-5 ($0.0024)', () => {
    expect(3 * costUsd(priceOf('claude-opus-5-5').price, tokens({ inputTokens: 100, outputTokens: 20 }))).toBeCloseTo(
      0.0024,
      12
    );
  });

  it('prices cache writes (5-minute and 1-hour) and reads apart', () => {
    const price = priceOf('claude-sonnet-4-5').price;
    const cost = costUsd(
      price,
      tokens({
        cacheCreationInputTokens: 1_000_000,
        cacheCreation1hInputTokens: 400_000,
        cacheReadInputTokens: 1_000_000,
      })
    );
    expect(cost).toBeCloseTo(0.6 * 3.75 + 0.4 * 6 + 0.3, 10);
  });

  it('switches haiku-5-5 to its long-prompt price past 100k prompt tokens', () => {
    const price = priceOf('claude-haiku-5-5').price;
    expect(costUsd(price, tokens({ inputTokens: 100_000, outputTokens: 1000 }))).toBeCloseTo(
      (100_000 * 0.1 + 1000 * 0.5) / 1e6,
      12
    );
    expect(
      costUsd(price, tokens({ inputTokens: 50_000, cacheReadInputTokens: 60_000, outputTokens: 1000 }))
    ).toBeCloseTo((50_000 * 0.5 + 60_000 * 0.05 + 1000 * 2.5) / 1e6, 12);
  });
});
