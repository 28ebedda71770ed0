import { describe, expect, it } from 'vitest';
import { applyEvent, describeToolUse, initialProgress, parseStreamLine } from '../../service/runner/stream.js';
import { assistantText, assistantToolUse, init, resultError, resultSuccess, toolResult, type Session } from '../support/claude-messages.js';

// The messages come from the fake's builders, which are typed as the Agent SDK's SDKMessage members:
// the parser is tested on the real shapes, not on hand-written approximations.
const session: Session = { sessionId: 's-1', model: 'claude-sonnet-4-5', cwd: '/builds/group/project' };
const line = (message: unknown) => JSON.stringify(message);

describe('parseStreamLine', () => {
  it('reads init, text, tool use, tool result and the success result', () => {
    expect(parseStreamLine(line(init(session, ['Read'], 'acceptEdits', 'ANTHROPIC_API_KEY')))).toEqual([
      { kind: 'init', model: 'claude-sonnet-4-5', sessionId: 's-1', tools: ['Read'], permissionMode: 'acceptEdits' },
    ]);
    expect(parseStreamLine(line(assistantText(session, 'hello')))).toEqual([{ kind: 'text', text: 'hello' }]);
    expect(parseStreamLine(line(assistantToolUse(session, 't1', 'Edit', { file_path: '/x' })))).toEqual([{ kind: 'tool-use', name: 'Edit', input: { file_path: '/x' } }]);
    expect(parseStreamLine(line(toolResult(session, 't1', 'boom', true)))).toEqual([{ kind: 'tool-result', isError: true }]);
    const [result] = parseStreamLine(line(resultSuccess(session, 'Done.', { turns: 4, costUsd: 0.25, durationMs: 61_000 })));
    expect(result).toEqual({
      kind: 'result',
      result: { subtype: 'success', isError: false, text: 'Done.', numTurns: 4, totalCostUsd: 0.25, durationMs: 61_000, errors: [], permissionDenials: [] },
    });
  });

  it('reads error results (max turns, error during execution) without a result text', () => {
    const [maxTurns] = parseStreamLine(line(resultError(session, 'error_max_turns', { turns: 30, costUsd: 1, durationMs: 5 })));
    expect(maxTurns).toMatchObject({ kind: 'result', result: { subtype: 'error_max_turns', isError: true, text: null, numTurns: 30 } });
    const [during] = parseStreamLine(line(resultError(session, 'error_during_execution', { turns: 1, costUsd: 0, durationMs: 5 }, ['API Error: 500'])));
    expect(during).toMatchObject({ result: { subtype: 'error_during_execution', errors: ['API Error: 500'] } });
  });

  it('skips what it does not know: other message kinds, subagent messages, non-JSON lines', () => {
    expect(parseStreamLine('{"type":"system","subtype":"status","status":"compacting"}')).toEqual([]);
    expect(parseStreamLine(line({ ...assistantText(session, 'inside a subagent'), parent_tool_use_id: 'toolu_task' }))).toEqual([]);
    expect(parseStreamLine('npm WARN something')).toEqual([]);
    expect(parseStreamLine('{"type":')).toEqual([]);
    expect(parseStreamLine('')).toEqual([]);
  });
});

describe('progress', () => {
  it('collects actions with paths relative to the project', () => {
    let progress = initialProgress();
    for (const message of [init(session, [], 'acceptEdits', 'none'), assistantToolUse(session, 'a', 'Read', { file_path: '/builds/group/project/src/a.ts' }), assistantToolUse(session, 'b', 'Bash', { command: 'npm test\n--watch' })]) {
      for (const event of parseStreamLine(line(message))) progress = applyEvent(progress, event, '/builds/group/project');
    }
    expect(progress).toMatchObject({ model: 'claude-sonnet-4-5', toolCalls: 2, actions: ['Read src/a.ts', 'Bash npm test'] });
  });

  it('describes tools briefly', () => {
    expect(describeToolUse('Grep', { pattern: 'TODO' }, '/p')).toBe('Grep TODO');
    expect(describeToolUse('TodoWrite', {}, '/p')).toBe('Updated the plan');
    expect(describeToolUse('mcp__x__y', {}, '/p')).toBe('mcp__x__y');
    expect(describeToolUse('Bash', { command: 'x'.repeat(200) }, '/p')).toHaveLength(5 + 80);
  });
});
