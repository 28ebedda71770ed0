import type { Config } from '../../config.js';
import { FirestoreStore } from './firestore-store.js';

// The store on Firestore (STORE=firestore), loaded only when configured (service/backends.ts imports it lazily).

export function createFirestoreStore(config: Config): FirestoreStore {
  return new FirestoreStore({
    projectId: config.google.projectId ?? undefined,
    databaseId: config.google.firestoreDatabase,
    emulatorHost: config.google.firestoreEmulatorHost,
    collectionPrefix: config.google.firestoreCollectionPrefix,
  });
}
