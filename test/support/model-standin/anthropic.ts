import { startModelStandIn, type ModelStandIn, type Script } from './standin.js';

/** The Claude API stand-in (standin.ts) that opens only for one API key, as the real API does. */
export function startAnthropicStandIn(options: { script: Script; apiKey: string }): Promise<ModelStandIn> {
  return startModelStandIn({
    script: options.script,
    authorize: (request) =>
      request.headers['x-api-key'] === options.apiKey
        ? null
        : { status: 401, body: { type: 'error', error: { type: 'authentication_error', message: 'invalid x-api-key' } } },
  });
}
