import { describe, expect, it } from 'vitest';
import { claudeFailure } from '../../service/runner/claude-outcome.js';
import type { ClaudeProcessOutcome } from '../../service/runner/claude-process.js';
import type { RunResult } from '../../service/runner/stream.js';

const limits = { command: 'claude', maxTurns: 30, timeoutMs: 1_500_000 };
const success: RunResult = { subtype: 'success', isError: false, text: 'Done.', numTurns: 3, totalCostUsd: 0.1, durationMs: 1000, errors: [], permissionDenials: [] };
const outcome = (overrides: Partial<ClaudeProcessOutcome>): ClaudeProcessOutcome => ({ exitCode: 0, signal: null, timedOut: false, aborted: false, spawnError: null, stderrTail: '', result: success, ...overrides });

describe('claudeFailure', () => {
  it('accepts a clean success, whatever the exit status', () => {
    expect(claudeFailure(outcome({}), limits)).toBeNull();
    expect(claudeFailure(outcome({ exitCode: 1 }), limits)).toBeNull();
  });

  it('names each way a run can fail', () => {
    expect(claudeFailure(outcome({ spawnError: 'spawn claude ENOENT', exitCode: null, result: null }), limits)?.what).toBe('Claude Code could not be started (`claude`).');
    expect(claudeFailure(outcome({ aborted: true, exitCode: null, signal: 'SIGTERM' }), limits)?.what).toMatch(/job was stopped/);
    expect(claudeFailure(outcome({ timedOut: true, result: null }), limits)?.what).toBe('Claude Code did not finish within 25m 00s (`CLAUDE_FLOW_TIMEOUT_SECONDS`); nothing was pushed.');
    expect(claudeFailure(outcome({ result: null, signal: 'SIGKILL', exitCode: null }), limits)?.what).toBe('Claude Code exited with signal SIGKILL without a result; nothing was pushed.');
    expect(claudeFailure(outcome({ result: { ...success, subtype: 'error_max_turns', isError: true, text: null } }), limits)?.what).toMatch(/^Claude used all 30 turns/);
    expect(claudeFailure(outcome({ result: { ...success, subtype: 'error_during_execution', isError: true, text: null, errors: ['boom'] } }), limits)).toMatchObject({
      what: 'Claude Code stopped with an error (`error_during_execution`); nothing was pushed.',
      detail: 'boom',
    });
  });

  it('treats a success result flagged is_error (a login or API failure) as a failure, with a hint', () => {
    const failure = claudeFailure(outcome({ exitCode: 1, result: { ...success, isError: true, text: 'Not logged in · Please run /login' } }), limits);
    expect(failure).toMatchObject({ what: 'Claude Code stopped with an error; nothing was pushed.', detail: 'Not logged in · Please run /login' });
    expect(failure?.hint).toMatch(/could not authenticate/);
  });
});
