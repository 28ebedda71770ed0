import { describe, expect, it } from 'vitest';
import { MemoryStore } from '../../service/store/memory-store.js';
import { returnDailyRun, takeDailyRun } from '../../service/worker/daily-budget.js';

const NOON = Date.parse('2026-11-26T12:00:00Z');
const MIDNIGHT = Date.parse('2026-11-27T00:00:00Z');

describe('takeDailyRun', () => {
  it('lets `limit` runs through per UTC day, then says when the day ends', async () => {
    const store = new MemoryStore();
    const takes = [];
    for (let i = 0; i < 4; i += 1) takes.push(await takeDailyRun(store, 'author:7', 3, NOON + i));
    expect(takes.map((take) => take.taken)).toEqual([true, true, true, false]);
    expect(takes[3]).toEqual({ taken: false, resetsAt: MIDNIGHT });
    expect((await takeDailyRun(store, 'author:8', 3, NOON)).taken).toBe(true);
    expect((await takeDailyRun(store, 'author:7', 3, MIDNIGHT)).taken).toBe(true);
  });

  it('counts every one of many concurrent takes exactly once', async () => {
    const store = new MemoryStore();
    const takes = await Promise.all(Array.from({ length: 12 }, () => takeDailyRun(store, 'project:5', 10, NOON)));
    expect(takes.filter((take) => take.taken)).toHaveLength(10);
    expect(new Set(takes.flatMap((take) => (take.taken ? [take.key] : []))).size).toBe(10);
  });

  it('a returned run can be taken again', async () => {
    const store = new MemoryStore();
    const first = await takeDailyRun(store, 'author:7', 1, NOON);
    expect((await takeDailyRun(store, 'author:7', 1, NOON)).taken).toBe(false);
    await returnDailyRun(store, first);
    expect((await takeDailyRun(store, 'author:7', 1, NOON)).taken).toBe(true);
  });
});
