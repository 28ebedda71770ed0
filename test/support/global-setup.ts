// Starts what the whole test run shares (the Pub/Sub and Firestore emulators) once, and stops it after.
// Filled in by the emulator work; a no-op until then.
export default async function setup(): Promise<() => Promise<void>> {
  return async () => {};
}
