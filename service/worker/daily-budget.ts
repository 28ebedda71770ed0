import type { CoordinationStore } from '../store/types.js';

// Runs per author and per project per UTC day (AUTHOR_RUNS_PER_DAY, PROJECT_RUNS_PER_DAY), counted with
// the store's atomic rememberOnce, so every instance counts the same runs without a new store operation:
// the day's n-th run takes key n. Keys are taken in order, so the taken ones are a prefix: a binary search
// over reads finds the first free key, and a lost race for it moves on to the next.

const DAY_MS = 24 * 3600_000;

export type DailyTake = { taken: true; key: string } | { taken: false; resetsAt: number };

export async function takeDailyRun(store: CoordinationStore, counter: string, limit: number, now: number): Promise<DailyTake> {
  const day = Math.floor(now / DAY_MS);
  const keyOf = (n: number) => `daily-run:${counter}:${day}:${n}`;
  let low = 0;
  let high = limit;
  while (low < high) {
    const middle = (low + high) >> 1;
    if (await store.isRemembered(keyOf(middle), now)) low = middle + 1;
    else high = middle;
  }
  // Kept past the day's end, so no key of the day expires while the day still counts.
  for (let n = low; n < limit; n += 1) if (await store.rememberOnce(keyOf(n), now, 2 * DAY_MS)) return { taken: true, key: keyOf(n) };
  return { taken: false, resetsAt: (day + 1) * DAY_MS };
}

/** How many of the day's `limit` runs `counter` has taken (the same search, nothing taken): for `@claude help`. */
export async function dailyRunsTaken(store: CoordinationStore, counter: string, limit: number, now: number): Promise<number> {
  const day = Math.floor(now / DAY_MS);
  let low = 0;
  let high = limit;
  while (low < high) {
    const middle = (low + high) >> 1;
    if (await store.isRemembered(`daily-run:${counter}:${day}:${middle}`, now)) low = middle + 1;
    else high = middle;
  }
  return low;
}

/** Gives a taken run back (the other budget refused it). */
export async function returnDailyRun(store: CoordinationStore, take: DailyTake): Promise<void> {
  if (take.taken) await store.forget(take.key);
}
