// Waiting on something that may hang (an emulator under load, a paused broker) for at most a while,
// without cancelling it: the caller decides what its late result means.

export type Bounded<T> = { settled: true; value: T } | { settled: false };

/** `promise`'s value if it settles within `ms`, `{ settled: false }` otherwise; its rejection is rethrown. */
export async function within<T>(promise: Promise<T>, ms: number): Promise<Bounded<T>> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<Bounded<T>>((resolve) => {
    timer = setTimeout(() => resolve({ settled: false }), ms);
  });
  try {
    return await Promise.race([promise.then((value): Bounded<T> => ({ settled: true, value })), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
