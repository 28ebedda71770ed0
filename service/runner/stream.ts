// Claude Code's `--output-format stream-json` output, one JSON object per line, read into the few facts
// the runner acts on. The shapes are the Agent SDK's SDKMessage types (system/init, assistant, user,
// result); only the fields used here are typed, and anything else (new message kinds, partial events,
// a stray non-JSON line) is skipped rather than fatal, so a newer CLI does not break the runner.

export type ResultSubtype = 'success' | 'error_max_turns' | 'error_during_execution' | 'error_max_budget_usd' | 'error_max_structured_output_retries' | string;

export interface RunResult {
  subtype: ResultSubtype;
  isError: boolean;
  /** The final answer text (success results only). */
  text: string | null;
  numTurns: number;
  totalCostUsd: number;
  durationMs: number;
  errors: string[];
  /** Tool calls Claude Code refused, with what they asked for. */
  permissionDenials: PermissionDenial[];
}

export type StreamEvent =
  | { kind: 'init'; model: string; sessionId: string; tools: string[]; permissionMode: string }
  | { kind: 'text'; text: string }
  | { kind: 'tool-use'; name: string; input: Record<string, unknown> }
  | { kind: 'tool-result'; isError: boolean }
  | { kind: 'result'; result: RunResult };

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json => Boolean(value) && typeof value === 'object' && !Array.isArray(value);
const num = (value: unknown): number => (typeof value === 'number' && Number.isFinite(value) ? value : 0);

export function parseStreamLine(line: string): StreamEvent[] {
  const trimmed = line.trim();
  if (!trimmed.startsWith('{')) return [];
  let message: unknown;
  try {
    message = JSON.parse(trimmed);
  } catch {
    return [];
  }
  if (!isObject(message)) return [];
  switch (message.type) {
    case 'system':
      if (message.subtype !== 'init') return [];
      return [
        {
          kind: 'init',
          model: String(message.model ?? ''),
          sessionId: String(message.session_id ?? ''),
          tools: Array.isArray(message.tools) ? message.tools.map(String) : [],
          permissionMode: String(message.permissionMode ?? ''),
        },
      ];
    case 'assistant': {
      // Messages from subagents (parent_tool_use_id set) are the subagent's business.
      if (message.parent_tool_use_id) return [];
      const content = isObject(message.message) && Array.isArray(message.message.content) ? message.message.content : [];
      const events: StreamEvent[] = [];
      for (const block of content) {
        if (!isObject(block)) continue;
        if (block.type === 'text' && typeof block.text === 'string') events.push({ kind: 'text', text: block.text });
        if (block.type === 'tool_use' && typeof block.name === 'string') events.push({ kind: 'tool-use', name: block.name, input: isObject(block.input) ? block.input : {} });
      }
      return events;
    }
    case 'user': {
      if (message.parent_tool_use_id) return [];
      const content = isObject(message.message) && Array.isArray(message.message.content) ? message.message.content : [];
      return content.filter((block): block is Json => isObject(block) && block.type === 'tool_result').map((block) => ({ kind: 'tool-result' as const, isError: block.is_error === true }));
    }
    case 'result':
      return [
        {
          kind: 'result',
          result: {
            subtype: String(message.subtype ?? ''),
            isError: message.is_error === true,
            text: typeof message.result === 'string' ? message.result : null,
            numTurns: num(message.num_turns),
            totalCostUsd: num(message.total_cost_usd),
            durationMs: num(message.duration_ms),
            errors: Array.isArray(message.errors) ? message.errors.map(String) : [],
            permissionDenials: Array.isArray(message.permission_denials) ? message.permission_denials.filter(isObject).map(toDenial) : [],
          },
        },
      ];
    default:
      return [];
  }
}

export interface PermissionDenial {
  tool: string;
  /** The command or path it asked for, when the input names one. */
  target: string | null;
}

function toDenial(denial: Json): PermissionDenial {
  const input = isObject(denial.tool_input) ? denial.tool_input : {};
  const target = [input.command, input.file_path, input.notebook_path, input.path, input.pattern, input.url].find((value) => typeof value === 'string');
  return { tool: String(denial.tool_name ?? '?'), target: typeof target === 'string' ? target : null };
}

/** What the tracking note shows while Claude works. */
export interface Progress {
  model: string | null;
  actions: string[];
  toolCalls: number;
  lastText: string | null;
  result: RunResult | null;
}

export const initialProgress = (): Progress => ({ model: null, actions: [], toolCalls: 0, lastText: null, result: null });

export function applyEvent(progress: Progress, event: StreamEvent, projectDir: string): Progress {
  switch (event.kind) {
    case 'init':
      return { ...progress, model: event.model || progress.model };
    case 'text':
      return { ...progress, lastText: event.text };
    case 'tool-use':
      return { ...progress, toolCalls: progress.toolCalls + 1, actions: [...progress.actions, describeToolUse(event.name, event.input, projectDir)] };
    case 'tool-result':
      return progress;
    case 'result':
      return { ...progress, result: event.result };
  }
}

export function describeToolUse(name: string, input: Record<string, unknown>, projectDir: string): string {
  const relative = (value: unknown) => {
    const path = String(value ?? '');
    const prefix = projectDir.replace(/\/+$/, '') + '/';
    return path.startsWith(prefix) ? path.slice(prefix.length) : path;
  };
  const firstLine = (value: unknown, max = 80) => {
    const line = String(value ?? '').split('\n')[0]!;
    return line.length > max ? `${line.slice(0, max - 1)}…` : line;
  };
  switch (name) {
    case 'Read':
    case 'Edit':
    case 'MultiEdit':
    case 'Write':
    case 'NotebookEdit':
      return `${name} ${relative(input.file_path ?? input.notebook_path)}`;
    case 'Bash':
      return `Bash ${firstLine(input.command)}`;
    case 'Grep':
    case 'Glob':
      return `${name} ${firstLine(input.pattern)}`;
    case 'TodoWrite':
      return 'Updated the plan';
    default:
      return name;
  }
}
