import type { GoogleStandIn } from './google.js';
import { startModelStandIn, writeMessage, writeSse, type ProviderStandIn, type Script } from './standin.js';

// Vertex AI's Claude endpoints as the Anthropic Vertex SDK calls them:
// POST /v1/projects/{project}/locations/{region}/publishers/anthropic/models/{model}:streamRawPredict (SSE, the
// Messages API's events) or :rawPredict (one JSON message). Only a token the Google stand-in issued opens it.

const PATH =
  /^\/v1\/projects\/([^/]+)\/locations\/([^/]+)\/publishers\/anthropic\/models\/([^/:]+):(streamRawPredict|rawPredict)$/;

export async function startVertexStandIn(options: { script: Script; google: GoogleStandIn }): Promise<ProviderStandIn> {
  return startModelStandIn({
    script: options.script,
    errorBody: (_type, message) => ({ message }),
    route: (method, path) => method === 'POST' && PATH.test(path),
    authorize: async (request) => {
      const bearer = /^Bearer (.+)$/.exec(request.headers.authorization ?? '')?.[1];
      if (bearer && options.google.accessTokens().includes(bearer)) return null;
      return {
        status: 401,
        body: {
          error: { code: 401, message: 'Request had invalid authentication credentials.', status: 'UNAUTHENTICATED' },
        },
      };
    },
    modelOf: (request) => PATH.exec(request.path)![3]!,
    writeTurn: (response, turn, id, model, request) => (request.path.endsWith(':rawPredict') ? writeMessage : writeSse)(response, turn, id, model),
  });
}
