// Polling, for what happens asynchronously (deliveries, hooks, pipelines, log lines), in the tests and
// the bench alike.

export type Truthy<T> = Exclude<T, false | 0 | '' | null | undefined>;

/** Polls `check` every `intervalMs` until it returns a truthy value (returned); fails naming `what`, and the last value, after `timeoutMs`. */
export async function eventually<T>(what: string, check: () => T | Promise<T>, timeoutMs = 15_000, intervalMs = 25): Promise<Truthy<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const last = await check();
    if (last) return last as Truthy<T>;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} (last: ${JSON.stringify(last)?.slice(0, 500)})`);
    await sleep(intervalMs);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
