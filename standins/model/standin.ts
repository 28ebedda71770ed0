import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

// A scripted stand-in of the Anthropic Messages API on 127.0.0.1, for the real Claude Code binary. The
// CLI sends `POST /v1/messages?beta=true` with `stream: true` and reads server-sent events
// (../../docs/runner.md and the observed facts the tests rely on): message_start, one
// content_block_start/delta/stop per block (text_delta, or input_json_delta for tool_use), message_delta
// with stop_reason and usage, message_stop. Each request gets the next scripted turn; the CLI executes the
// tool calls and sends their results in the next request, which is what the tests judge by. The provider
// stand-ins (anthropic.ts, vertex.ts, bedrock.ts) are this server with a route, a credential check and their
// answer shapes.

export type ScriptedBlock = { type: 'text'; text: string } | { type: 'tool_use'; name: string; input: Record<string, unknown> };

export interface ScriptedTurn {
  blocks: ScriptedBlock[];
  usage?: { input_tokens: number; output_tokens: number };
  /** Wait this long before answering (a slow model, for timeouts); close() answers at once. */
  delayMs?: number;
}

/** An HTTP error instead of a turn (the CLI's error handling, a budget or gateway refusal). */
export interface ScriptedError {
  status: number;
  body: unknown;
  /** Wait this long before answering. */
  delayMs?: number;
}

export interface ModelRequest {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  body: { model?: string; messages?: Array<{ role: string; content: unknown }>; [key: string]: unknown };
}

export type Script = ScriptedTurn[] | ((request: ModelRequest, index: number) => ScriptedTurn | ScriptedError);

export interface ModelStandIn {
  url: string;
  requests: ModelRequest[];
  close(): Promise<void>;
}

/** A stand-in behind a credential check (the Claude API's key, Vertex AI's token, Bedrock's SigV4). */
export interface ProviderStandIn extends ModelStandIn {
  /** The requests whose credential the stand-in accepted. */
  authorized: ModelRequest[];
}

export interface ModelStandInOptions {
  script: Script;
  /** Decides which requests are the model calls; others get 404 (a gateway must not invent paths). */
  route?: (method: string, path: string) => boolean;
  /**
   * A provider's credential check, before a turn is served (a SigV4 check hashes, so it may be asynchronous):
   * an error answer (401/403) when it fails, and the request uses no turn of the script.
   */
  authorize?: (request: ModelRequest, rawBody: Buffer) => ScriptedError | null | Promise<ScriptedError | null>;
  /** The model the answer names; by default the body's `model`. */
  modelOf?: (request: ModelRequest) => string;
  /** How the turn is written: SSE by default (Anthropic, Vertex); Bedrock uses AWS event streams. */
  writeTurn?: (response: ServerResponse, turn: ScriptedTurn, id: string, model: string, request: ModelRequest) => void;
  /** The body of the stand-in's own errors (body not JSON, no such route, a failed check); Anthropic's shape by default. */
  errorBody?: (type: 'invalid_request_error' | 'not_found_error' | 'api_error', message: string) => unknown;
}

const anthropicRoute = (method: string, path: string) => method === 'POST' && /^\/v1\/messages(\?|$)/.test(path);

export function turnEvents(turn: ScriptedTurn, id: string, model: string): Array<{ type: string; [key: string]: unknown }> {
  const usage = turn.usage ?? { input_tokens: 100, output_tokens: 20 };
  const events: Array<{ type: string; [key: string]: unknown }> = [
    {
      type: 'message_start',
      message: { id, type: 'message', role: 'assistant', model, content: [], stop_reason: null, stop_sequence: null, usage: { input_tokens: usage.input_tokens, output_tokens: 1 } },
    },
  ];
  turn.blocks.forEach((block, index) => {
    if (block.type === 'text') {
      events.push({ type: 'content_block_start', index, content_block: { type: 'text', text: '' } });
      events.push({ type: 'content_block_delta', index, delta: { type: 'text_delta', text: block.text } });
    } else {
      events.push({ type: 'content_block_start', index, content_block: { type: 'tool_use', id: `toolu_${id}_${index}`, name: block.name, input: {} } });
      events.push({ type: 'content_block_delta', index, delta: { type: 'input_json_delta', partial_json: JSON.stringify(block.input) } });
    }
    events.push({ type: 'content_block_stop', index });
  });
  const stopReason = turn.blocks.some((block) => block.type === 'tool_use') ? 'tool_use' : 'end_turn';
  events.push({ type: 'message_delta', delta: { stop_reason: stopReason, stop_sequence: null }, usage: { output_tokens: usage.output_tokens } });
  events.push({ type: 'message_stop' });
  return events;
}

/** A whole turn as one non-streaming message (the `:rawPredict` / `/invoke` / `stream: false` answer). */
function turnMessage(turn: ScriptedTurn, id: string, model: string): Record<string, unknown> {
  const usage = turn.usage ?? { input_tokens: 100, output_tokens: 20 };
  const content = turn.blocks.map((block, index) =>
    block.type === 'text'
      ? { type: 'text', text: block.text }
      : { type: 'tool_use', id: `toolu_${id}_${index}`, name: block.name, input: block.input }
  );
  const stopReason = turn.blocks.some((block) => block.type === 'tool_use') ? 'tool_use' : 'end_turn';
  return {
    id,
    type: 'message',
    role: 'assistant',
    model,
    content,
    stop_reason: stopReason,
    stop_sequence: null,
    usage,
  };
}

/** A turn as the Messages API streams it (server-sent events). */
export function writeSse(response: ServerResponse, turn: ScriptedTurn, id: string, model: string): void {
  response.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  for (const event of turnEvents(turn, id, model)) response.write(`event: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`);
  response.end();
}

/** A turn as one JSON message (the non-streaming answer). */
export function writeMessage(response: ServerResponse, turn: ScriptedTurn, id: string, model: string): void {
  response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(turnMessage(turn, id, model)));
}

const isError = (step: ScriptedTurn | ScriptedError): step is ScriptedError => 'status' in step;

const anthropicError = (type: string, message: string) => ({ type: 'error', error: { type, message } });

export async function startModelStandIn(options: ModelStandInOptions): Promise<ProviderStandIn> {
  const requests: ModelRequest[] = [];
  const authorized: ModelRequest[] = [];
  const route = options.route ?? anthropicRoute;
  const writeTurn = options.writeTurn ?? writeSse;
  const modelOf = options.modelOf ?? ((request: ModelRequest) => request.body.model ?? 'claude-opus-5-5');
  const errorBody = options.errorBody ?? anthropicError;
  const json = (res: ServerResponse, status: number, body: unknown) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  let served = 0;
  // Answers still waiting: close() sends them at once, so a client that gave up gets a whole answer rather than a reset.
  const delayed = new Map<NodeJS.Timeout, () => Promise<void>>();

  const answer = (res: ServerResponse, request: ModelRequest, step: ScriptedTurn | ScriptedError, index: number) => {
    const send = () => {
      if (res.destroyed) return;
      if (isError(step)) return json(res, step.status, step.body);
      writeTurn(res, step, `msg_${index + 1}`, modelOf(request), request);
    };
    if (!step.delayMs) return send();
    const timer = setTimeout(() => {
      delayed.delete(timer);
      send();
    }, step.delayMs);
    delayed.set(timer, () => {
      const sent = new Promise<void>((resolve) => {
        res.once('finish', resolve);
        res.once('close', resolve);
      });
      send();
      return res.writableFinished || res.destroyed ? Promise.resolve() : sent;
    });
  };

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      let body: ModelRequest['body'] = {};
      try {
        body = raw.length > 0 ? (JSON.parse(raw.toString('utf8')) as ModelRequest['body']) : {};
      } catch {
        json(res, 400, errorBody('invalid_request_error', 'body is not JSON'));
        return;
      }
      const request: ModelRequest = { method: req.method ?? 'GET', path: req.url ?? '/', headers: req.headers, body };
      requests.push(request);
      if (!route(request.method, request.path)) {
        json(res, 404, errorBody('not_found_error', `no route ${request.path}`));
        return;
      }
      const serve = (refused: ScriptedError | null) => {
        if (refused) return answer(res, request, refused, served);
        authorized.push(request);
        const index = served;
        served += 1;
        answer(res, request, nextStep(options.script, request, index), index);
      };
      if (!options.authorize) return serve(null);
      Promise.resolve()
        .then(() => options.authorize!(request, raw))
        .then(serve, (error: unknown) => json(res, 500, errorBody('api_error', String(error))));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    authorized,
    close: async () => {
      const answers = [...delayed].map(([timer, send]) => {
        clearTimeout(timer);
        return send();
      });
      delayed.clear();
      await Promise.all(answers);
      await new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      });
    },
  };
}

function nextStep(script: Script, request: ModelRequest, index: number): ScriptedTurn | ScriptedError {
  if (typeof script === 'function') return script(request, index);
  // Past the end of the script the model just stops talking.
  return script[index] ?? { blocks: [{ type: 'text', text: 'Done.' }] };
}

export interface ToolResult {
  toolUseId: string;
  content: string;
  isError: boolean;
}

/** Every tool result the CLI sent back, in order: what the agent's tools really did. */
export function toolResults(requests: readonly ModelRequest[]): ToolResult[] {
  const last = requests.filter((request) => Array.isArray(request.body.messages)).at(-1);
  const results: ToolResult[] = [];
  for (const message of last?.body.messages ?? []) {
    if (message.role !== 'user' || !Array.isArray(message.content)) continue;
    for (const block of message.content as Array<Record<string, unknown>>) {
      if (block.type !== 'tool_result') continue;
      const content = typeof block.content === 'string' ? block.content : JSON.stringify(block.content);
      results.push({ toolUseId: String(block.tool_use_id), content, isError: block.is_error === true });
    }
  }
  return results;
}

/** Shorthands for scripts. */
export const say = (text: string): ScriptedTurn => ({ blocks: [{ type: 'text', text }] });
export const use = (name: string, input: Record<string, unknown>): ScriptedTurn => ({ blocks: [{ type: 'tool_use', name, input }] });
export const bash = (command: string): ScriptedTurn => use('Bash', { command, description: 'run a command' });
