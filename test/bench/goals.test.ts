import { describe, expect, it } from 'vitest';
import { goalLine, met, summary, type Goal } from '../../bench/goals.js';

const throughput = (measured: number): Goal => ({ name: 'ingest throughput ratio', measured, unit: 'x', atLeast: 0.9 });
const p99 = (measured: number): Goal => ({ name: 'ingest p99', measured, unit: 'ms', atMost: 25 });

describe('bench goals', () => {
  it('meets a lower bound at or above it and an upper bound at or below it; NaN never meets', () => {
    expect([met(throughput(0.9)), met(throughput(1.4)), met(throughput(0.89))]).toEqual([true, true, false]);
    expect([met(p99(25)), met(p99(3)), met(p99(26))]).toEqual([true, true, false]);
    expect(met(p99(Number.NaN))).toBe(false);
  });

  it('prints one line per goal and names the goals missed', () => {
    expect(goalLine(throughput(0.8512))).toBe('goal MISSED ingest throughput ratio 0.85x (goal >= 0.90x)');
    expect(goalLine(p99(12))).toBe('goal MET    ingest p99 12 ms (goal <= 25 ms)');
    expect(summary([throughput(0.95), p99(12)])).toEqual({
      lines: ['bench goals:', '  goal MET    ingest throughput ratio 0.95x (goal >= 0.90x)', '  goal MET    ingest p99 12 ms (goal <= 25 ms)', 'all 2 goals met'],
      ok: true,
    });
    const missed = summary([throughput(0.5), p99(40)]);
    expect(missed.ok).toBe(false);
    expect(missed.lines.at(-1)).toBe('2 of 2 goals missed: ingest throughput ratio, ingest p99');
  });
});
