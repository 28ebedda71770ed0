import { startModelStandIn, writeMessage, writeSse, type ProviderStandIn, type Script } from './standin.js';

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
    writeTurn: (response, turn, id, model, request) => (request.body.stream !== true ? writeMessage : writeSse)(response, turn, id, model),
  });
}
