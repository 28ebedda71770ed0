// The runner's model gateway (server.ts); README.md beside this file says what it does and what was observed.
export { readBudget } from './budget.js';
export { PRICES, PRICES_AS_OF, priceOf } from './prices.js';
export { modelProviderOf, type ModelProvider } from './provider.js';
export { MAX_BODY_BYTES, startModelGateway, type GatewayOptions, type ModelGateway } from './server.js';
export type { GatewayUsage } from './usage.js';
