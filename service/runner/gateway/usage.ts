import { costUsd, priceOf, type TokenCounts } from './prices.js';

export interface GatewayUsage {
  /** Model requests forwarded upstream (refused ones not included). */
  requests: number;
  inputTokens: number;
  outputTokens: number;
  cacheCreationInputTokens: number;
  cacheReadInputTokens: number;
  /** Estimated from the price table (prices.ts). */
  costUsd: number;
  budgetUsd: number | null;
  /** The gateway refused a request because the spend had reached the budget: the budget ended the run. */
  budgetExceeded: boolean;
  /** Requests refused for the budget. */
  refusedRequests: number;
  /** Normalised ids of the models used, in first-use order. */
  models: string[];
  /** Models missing from the price table, priced like the most expensive one. */
  unpricedModels: string[];
}

export const noTokens = (): TokenCounts => ({
  inputTokens: 0,
  outputTokens: 0,
  cacheCreationInputTokens: 0,
  cacheCreation1hInputTokens: 0,
  cacheReadInputTokens: 0,
});

/** The run's tally. Requests run concurrently; each reports its tokens once its response ends. */
export class UsageCounter {
  private readonly usage: GatewayUsage;

  constructor(budgetUsd: number | null) {
    this.usage = {
      requests: 0,
      inputTokens: 0,
      outputTokens: 0,
      cacheCreationInputTokens: 0,
      cacheReadInputTokens: 0,
      costUsd: 0,
      budgetUsd,
      budgetExceeded: false,
      refusedRequests: 0,
      models: [],
      unpricedModels: [],
    };
  }

  /** Spend that has reached the budget stops new requests; the ones under way finish (cutting a stream breaks it). */
  budgetSpent(): boolean {
    return this.usage.budgetUsd !== null && this.usage.costUsd >= this.usage.budgetUsd;
  }

  forwarded(): void {
    this.usage.requests += 1;
  }

  refused(): void {
    this.usage.budgetExceeded = true;
    this.usage.refusedRequests += 1;
  }

  record(modelId: string, tokens: TokenCounts): void {
    const { model, price, known } = priceOf(modelId);
    if (!this.usage.models.includes(model)) this.usage.models.push(model);
    if (!known && !this.usage.unpricedModels.includes(model)) this.usage.unpricedModels.push(model);
    this.usage.inputTokens += tokens.inputTokens;
    this.usage.outputTokens += tokens.outputTokens;
    this.usage.cacheCreationInputTokens += tokens.cacheCreationInputTokens;
    this.usage.cacheReadInputTokens += tokens.cacheReadInputTokens;
    this.usage.costUsd += costUsd(price, tokens);
  }

  snapshot(): GatewayUsage {
    return { ...this.usage, models: [...this.usage.models], unpricedModels: [...this.usage.unpricedModels] };
  }
}
