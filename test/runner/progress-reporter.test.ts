import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { GitLabApiError } from '../../service/gitlab/errors.js';
import { ProgressReporter } from '../../service/runner/progress-reporter.js';

describe('ProgressReporter', () => {
  beforeEach(() => vi.useFakeTimers({ now: 0 }));
  afterEach(() => vi.useRealTimers());

  it('sends the first body at once and then at most one edit per interval, always the latest', async () => {
    const sent: string[] = [];
    const reporter = new ProgressReporter({ edit: async (body) => void sent.push(body), minIntervalMs: 10_000, now: Date.now });
    reporter.offer('a');
    await vi.advanceTimersByTimeAsync(0);
    reporter.offer('b');
    reporter.offer('c');
    await vi.advanceTimersByTimeAsync(9_000);
    expect(sent).toEqual(['a']);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(sent).toEqual(['a', 'c']);
    reporter.offer('c');
    await vi.advanceTimersByTimeAsync(20_000);
    expect(sent).toEqual(['a', 'c']);
    await reporter.close();
  });

  it('never sends after close, even an edit that was waiting for its slot', async () => {
    const sent: string[] = [];
    const reporter = new ProgressReporter({ edit: async (body) => void sent.push(body), minIntervalMs: 10_000, now: Date.now });
    reporter.offer('a');
    await vi.advanceTimersByTimeAsync(0);
    reporter.offer('b');
    await reporter.close();
    reporter.offer('c');
    await vi.advanceTimersByTimeAsync(60_000);
    expect(sent).toEqual(['a']);
  });

  it('waits for an edit in flight when closing', async () => {
    let finish!: () => void;
    const reporter = new ProgressReporter({ edit: () => new Promise<void>((resolve) => (finish = resolve)), minIntervalMs: 1_000, now: Date.now });
    reporter.offer('a');
    let closed = false;
    const closing = reporter.close().then(() => (closed = true));
    await vi.advanceTimersByTimeAsync(0);
    expect(closed).toBe(false);
    finish();
    await closing;
    expect(closed).toBe(true);
  });

  it('pauses for Retry-After on a 429 and keeps going after errors', async () => {
    const calls: number[] = [];
    let fail = true;
    const reporter = new ProgressReporter({
      edit: async () => {
        calls.push(Date.now());
        if (fail) {
          fail = false;
          throw new GitLabApiError('rate limited', 429, 'PUT', '/x', 30_000);
        }
      },
      minIntervalMs: 1_000,
      now: Date.now,
      onError: () => {},
    });
    reporter.offer('a');
    await vi.advanceTimersByTimeAsync(0);
    reporter.offer('b');
    await vi.advanceTimersByTimeAsync(29_000);
    expect(calls).toEqual([0]);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(calls).toEqual([0, 30_000]);
    await reporter.close();
  });
});
