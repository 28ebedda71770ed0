import type { ChildProcess } from 'node:child_process';

// Child processes (the emulators, service instances) that must not outlive the test runner, the bench or the
// demo: each is killed, its own way, when this process exits. Synchronous on purpose: 'exit' handlers cannot await.

const running = new Map<ChildProcess, (child: ChildProcess) => void>();
let exitHookInstalled = false;

/** Runs `kill(child)` if the child is still tracked when this process exits; the returned function stops tracking it. */
export function killOnExit(child: ChildProcess, kill: (child: ChildProcess) => void): () => void {
  running.set(child, kill);
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.once('exit', () => {
      for (const [orphan, killOrphan] of running) killOrphan(orphan);
    });
  }
  return () => void running.delete(child);
}
