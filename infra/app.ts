import type { Construct } from 'constructs';
import type { InfraConfig } from './config.js';
import { ServiceStack } from './stacks/service-stack.js';
import { WifStack } from './stacks/wif-stack.js';

// Two independent stacks from one config: a team can adopt WIF alone and run its CI jobs without the service.
export function composeStacks(app: Construct, config: InfraConfig): { wif: WifStack; service: ServiceStack } {
  return {
    wif: new WifStack(app, 'wif', config),
    service: new ServiceStack(app, 'service', config),
  };
}
