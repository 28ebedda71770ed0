import type { DocumentReference, Firestore } from '@google-cloud/firestore';
import { docId } from './ids.js';

// The store's documents by key: one collection per record, every name behind the deployment's prefix.

export class StoreRefs {
  constructor(
    private readonly db: Firestore,
    private readonly prefix: string,
  ) {}

  collection(name: string) {
    return this.db.collection(`${this.prefix}${name}`);
  }

  seen = (key: string) => this.ref('deliveries', key);
  thread = (threadKey: string) => this.ref('threads', threadKey);
  note = (noteId: number) => this.ref('notes', String(noteId));
  run = (runId: string) => this.ref('runs', runId);
  lock = (runId: string) => this.ref('trigger_locks', runId);
  slots = (projectId: number) => this.ref('slots', String(projectId));
  pause = () => this.ref('control', 'pause');

  private ref(collection: string, key: string): DocumentReference {
    return this.collection(collection).doc(docId(key));
  }
}
