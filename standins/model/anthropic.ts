import type { ServerResponse } from 'node:http';
import { startModelStandIn, turnEvents, turnMessage, type ModelRequest, type ProviderStandIn, type Script, type ScriptedTurn } from './standin.js';

// The Claude API (POST /v1/messages, `?beta=true`) as standin.ts plays it, but open only for one API key, as the
// real API is, and with the JSON answer for `stream: false` (Claude Code's fallback after a broken stream).

export function startAnthropicStandIn(options: { script: Script; apiKey: string }): Promise<ProviderStandIn> {
  return startModelStandIn({
    script: options.script,
    errorBody: (_type, message) => ({ message }),
    route: (method, path) => method === 'POST' && /^\/v1\/messages(\?|$)/.test(path),
    authorize: async (request) =>
      request.headers['x-api-key'] === options.apiKey
        ? null
        : {
            status: 401,
            body: { type: 'error', error: { type: 'authentication_error', message: 'invalid x-api-key' } },
          },
    modelOf: (request) => request.body.model ?? 'claude-opus-5-5',
    writeTurn: (response: ServerResponse, turn: ScriptedTurn, id: string, model: string, request: ModelRequest) => {
      if (request.body.stream !== true) {
        response
          .writeHead(200, { 'content-type': 'application/json' })
          .end(JSON.stringify(turnMessage(turn, id, model)));
        return;
      }
      response.writeHead(200, { 'content-type': 'text/event-stream' });
      for (const event of turnEvents(turn, id, model))
        response.write(`event: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`);
      response.end();
    },
  });
}
