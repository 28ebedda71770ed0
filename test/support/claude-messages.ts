import type { UUID } from 'node:crypto';
import { randomUUID } from 'node:crypto';
import type {
  NonNullableUsage,
  PermissionMode,
  SDKAssistantMessage,
  SDKResultError,
  SDKResultSuccess,
  SDKSystemMessage,
  SDKUserMessage,
} from '@anthropic-ai/claude-agent-sdk';

// Builders for the messages `claude -p --output-format stream-json --verbose` writes, typed as the
// Agent SDK's SDKMessage members, so `tsc` fails the build if the stream parser's fixtures drift from them.

export interface Session {
  sessionId: string;
  model: string;
  cwd: string;
}

const uuid = (): UUID => randomUUID();

function usage(input = 1200, output = 300): NonNullableUsage {
  return {
    input_tokens: input,
    output_tokens: output,
    cache_creation_input_tokens: 0,
    cache_read_input_tokens: 0,
    cache_creation: { ephemeral_1h_input_tokens: 0, ephemeral_5m_input_tokens: 0 },
    fallback_credit: null,
    inference_geo: 'not_available',
    iterations: [],
    output_tokens_details: { thinking_tokens: 0 },
    server_tool_use: { web_fetch_requests: 0, web_search_requests: 0 },
    service_tier: 'standard',
    speed: 'standard',
  };
}

export function init(session: Session, tools: string[], permissionMode: PermissionMode, apiKeySource: SDKSystemMessage['apiKeySource']): SDKSystemMessage {
  return {
    type: 'system',
    subtype: 'init',
    apiKeySource,
    claude_code_version: '2.1.0-fake',
    cwd: session.cwd,
    tools,
    mcp_servers: [],
    model: session.model,
    permissionMode,
    slash_commands: [],
    output_style: 'default',
    skills: [],
    plugins: [],
    uuid: uuid(),
    session_id: session.sessionId,
  };
}

function assistant(session: Session, content: SDKAssistantMessage['message']['content']): SDKAssistantMessage {
  return {
    type: 'assistant',
    message: {
      id: `msg_${randomUUID().replace(/-/g, '').slice(0, 24)}`,
      container: null,
      content,
      context_management: null,
      diagnostics: null,
      model: session.model,
      role: 'assistant',
      stop_details: null,
      stop_reason: null,
      stop_sequence: null,
      type: 'message',
      usage: usage(),
    },
    parent_tool_use_id: null,
    uuid: uuid(),
    session_id: session.sessionId,
  };
}

export function assistantText(session: Session, text: string): SDKAssistantMessage {
  return assistant(session, [{ type: 'text', text, citations: null }]);
}

export function assistantToolUse(session: Session, id: string, name: string, input: Record<string, unknown>): SDKAssistantMessage {
  return assistant(session, [{ type: 'tool_use', id, name, input }]);
}

export function toolResult(session: Session, toolUseId: string, content: string, isError = false): SDKUserMessage {
  return {
    type: 'user',
    message: { role: 'user', content: [{ type: 'tool_result', tool_use_id: toolUseId, content, is_error: isError }] },
    parent_tool_use_id: null,
    tool_use_result: isError ? `Error: ${content}` : { type: 'text', content },
    uuid: uuid(),
    session_id: session.sessionId,
  };
}

interface Totals {
  turns: number;
  costUsd: number;
  durationMs: number;
}

export function resultSuccess(session: Session, text: string, totals: Totals, isError = false): SDKResultSuccess {
  return {
    type: 'result',
    subtype: 'success',
    duration_ms: totals.durationMs,
    duration_api_ms: Math.round(totals.durationMs * 0.8),
    is_error: isError,
    num_turns: totals.turns,
    result: text,
    stop_reason: isError ? null : 'end_turn',
    total_cost_usd: totals.costUsd,
    usage: usage(),
    modelUsage: {},
    permission_denials: [],
    uuid: uuid(),
    session_id: session.sessionId,
  };
}

export function resultError(session: Session, subtype: SDKResultError['subtype'], totals: Totals, errors: string[] = []): SDKResultError {
  return {
    type: 'result',
    subtype,
    duration_ms: totals.durationMs,
    duration_api_ms: Math.round(totals.durationMs * 0.8),
    is_error: true,
    num_turns: totals.turns,
    stop_reason: null,
    total_cost_usd: totals.costUsd,
    usage: usage(),
    modelUsage: {},
    permission_denials: [],
    errors,
    uuid: uuid(),
    session_id: session.sessionId,
  };
}
