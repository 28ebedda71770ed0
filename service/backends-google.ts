import type { Config } from './config.js';
import type { Logger } from './log.js';
import type { CoordinationStore } from './store/types.js';
import type { Backends } from './backends.js';

// Pub/Sub and Firestore wiring (loaded only when configured).

export async function createFirestoreStore(_config: Config): Promise<CoordinationStore> {
  throw new Error('STORE=firestore is not wired yet');
}

export async function createPubSubBackends(_config: Config, _logger: Logger, _store: CoordinationStore): Promise<Backends> {
  throw new Error('PUBSUB_TOPIC is not wired yet');
}
