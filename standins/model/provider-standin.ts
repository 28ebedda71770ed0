import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ModelRequest, ModelStandIn, Script, ScriptedError, ScriptedTurn } from './standin.js';

// The scripted model of standin.ts in a provider's request shape (Vertex AI, Bedrock): the route, an
// asynchronous credential check (a SigV4 check hashes), and an answer written per request (a stream, or one JSON
// message for the non-streaming paths).

export interface ProviderStandInOptions {
  script: Script;
  route: (method: string, path: string) => boolean;
  /** The provider's credential check; an error answer (401/403) when it fails. */
  authorize: (request: ModelRequest, rawBody: Buffer) => Promise<ScriptedError | null>;
  /** The model the path names. */
  modelOf: (request: ModelRequest) => string;
  writeTurn: (response: ServerResponse, turn: ScriptedTurn, id: string, model: string, request: ModelRequest) => void;
}

export interface ProviderStandIn extends ModelStandIn {
  /** The requests whose credential the stand-in accepted. */
  authorized: ModelRequest[];
}

const isError = (step: ScriptedTurn | ScriptedError): step is ScriptedError => 'status' in step;

function nextStep(script: Script, request: ModelRequest, index: number): ScriptedTurn | ScriptedError {
  if (typeof script === 'function') return script(request, index);
  return script[index] ?? { blocks: [{ type: 'text', text: 'Done.' }] };
}

const json = (response: ServerResponse, status: number, body: unknown) =>
  response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));

export async function startProviderStandIn(options: ProviderStandInOptions): Promise<ProviderStandIn> {
  const requests: ModelRequest[] = [];
  const authorized: ModelRequest[] = [];
  let served = 0;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      let body: ModelRequest['body'] = {};
      try {
        body = raw.length > 0 ? (JSON.parse(raw.toString('utf8')) as ModelRequest['body']) : {};
      } catch {
        json(res, 400, { message: 'body is not JSON' });
        return;
      }
      const request: ModelRequest = { method: req.method ?? 'GET', path: req.url ?? '/', headers: req.headers, body };
      requests.push(request);
      if (!options.route(request.method, request.path)) {
        json(res, 404, { message: `no route ${request.path}` });
        return;
      }
      options.authorize(request, raw).then(
        (refused) => {
          if (refused) return json(res, refused.status, refused.body);
          authorized.push(request);
          const index = served;
          served += 1;
          const step = nextStep(options.script, request, index);
          if (isError(step)) return json(res, step.status, step.body);
          options.writeTurn(res, step, `msg_${index + 1}`, options.modelOf(request), request);
        },
        (error: unknown) => json(res, 500, { message: String(error) })
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    authorized,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A whole turn as one non-streaming message (the `:rawPredict` / `/invoke` / `stream: false` answer). */
export function turnMessage(turn: ScriptedTurn, id: string, model: string): Record<string, unknown> {
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
