import type { TestProject } from 'vitest/node';
import { startEmulators } from '../../devtools/emulators.js';

// Starts what the whole test run shares (the Pub/Sub and Firestore emulators) once, and stops them
// after. Tests read the hosts with `inject('pubsubEmulatorHost')` / `inject('firestoreEmulatorHost')`;
// each test isolates itself by names (unique topics, a Firestore collection prefix), not by emulator.

declare module 'vitest' {
  export interface ProvidedContext {
    pubsubEmulatorHost: string;
    firestoreEmulatorHost: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const started = Date.now();
  const emulators = await startEmulators();
  // One line per run, so a slow CI box shows where the time went.
  console.log(
    `emulators up in ${Date.now() - started} ms (pubsub ${emulators.pubsub.host} ${emulators.pubsub.startMs} ms, firestore ${emulators.firestore.host} ${emulators.firestore.startMs} ms)`,
  );
  project.provide('pubsubEmulatorHost', emulators.pubsub.host);
  project.provide('firestoreEmulatorHost', emulators.firestore.host);
  return async () => {
    await emulators.stop();
  };
}
