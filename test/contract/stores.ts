import { randomUUID } from 'node:crypto';
import { Firestore } from '@google-cloud/firestore';
import { inject } from 'vitest';
import { FirestoreStore } from '../../service/store/firestore/firestore-store.js';
import { MemoryStore } from '../../service/store/memory-store.js';
import type { CoordinationStore } from '../../service/store/types.js';

// The implementations the store contract runs against. Each test gets an empty store: a new memory
// store, or a fresh collection prefix in the one Firestore emulator of the test run.

export interface StoreKind {
  name: string;
  /** Called once per describe block. */
  setup(): Promise<{ fresh(): CoordinationStore; close(): Promise<void> }>;
}

export const storeKinds: StoreKind[] = [
  {
    name: 'memory',
    setup: async () => ({ fresh: () => new MemoryStore(), close: async () => {} }),
  },
  {
    name: 'firestore-emulator',
    setup: async () => {
      const firestore = new Firestore({ projectId: 'contract-test', host: inject('firestoreEmulatorHost'), ssl: false, universeDomain: 'googleapis.com' });
      return {
        fresh: () => new FirestoreStore({ firestore, collectionPrefix: `t${randomUUID().slice(0, 8)}_` }),
        close: () => firestore.terminate(),
      };
    },
  },
];
