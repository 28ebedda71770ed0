import type { ClaudeProcessOutcome } from './claude-process.js';
import { claudeHint } from './hints.js';
import type { Failure } from './note-text.js';
import { formatDuration } from './note-text.js';

// Whether a Claude Code run produced an answer, decided from what the process did and its final
// `result` message alone. Anything but a clean success result means nothing is pushed.

export function claudeFailure(outcome: ClaudeProcessOutcome, limits: { command: string; maxTurns: number; timeoutMs: number }): Failure | null {
  const { result } = outcome;
  if (outcome.spawnError) {
    return { what: `Claude Code could not be started (\`${limits.command}\`).`, detail: outcome.spawnError, hint: 'Is Claude Code installed in the job image, or `CLAUDE_CODE_PATH` set to it?' };
  }
  if (outcome.aborted) return { what: 'the job was stopped while Claude was working; nothing was pushed.' };
  if (outcome.timedOut) return { what: `Claude Code did not finish within ${formatDuration(limits.timeoutMs)} (\`CLAUDE_FLOW_TIMEOUT_SECONDS\`); nothing was pushed.` };
  if (!result) {
    const detail = outcome.stderrTail.trim() || undefined;
    const how = outcome.signal ? `signal ${outcome.signal}` : `status ${outcome.exitCode}`;
    return { what: `Claude Code exited with ${how} without a result; nothing was pushed.`, detail, hint: claudeHint(detail ?? '') };
  }
  if (result.subtype === 'error_max_turns') {
    return { what: `Claude used all ${limits.maxTurns} turns (\`CLAUDE_FLOW_MAX_TURNS\`) without finishing; nothing was pushed. Ask for a smaller step, or raise the limit.` };
  }
  if (result.subtype !== 'success' || result.isError) {
    const detail = [result.text ?? '', ...result.errors, outcome.stderrTail].filter((part) => part.trim()).join('\n').trim() || undefined;
    // An API or login failure comes as a "success" result flagged is_error; the subtype says nothing then.
    const kind = result.subtype === 'success' ? '' : ` (\`${result.subtype}\`)`;
    return { what: `Claude Code stopped with an error${kind}; nothing was pushed.`, detail, hint: claudeHint(detail ?? '') };
  }
  return null;
}
