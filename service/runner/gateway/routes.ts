import type { ModelProvider } from './provider.js';

// The only requests the gateway forwards: each provider's model calls, as Claude Code sends them (observed with
// Claude Code 2.1.332; README.md). Everything else is a 404, so the credential it adds serves nothing else.
//   Claude API  POST /v1/messages, /v1/messages/count_tokens (a `?beta=true` query)
//   Vertex AI   POST /projects/{project}/locations/{region}/publishers/anthropic/models/{model}:streamRawPredict
//               (`:rawPredict` without streaming; the model `count-tokens` for token counting)
//   Bedrock     POST /model/{model}/invoke-with-response-stream, /model/{model}/invoke, /model/{model}/count-tokens

export interface ModelRoute {
  kind: 'messages' | 'count_tokens';
  /** From the path (Vertex AI, Bedrock); null when the body names it (Claude API, Vertex AI's count-tokens). */
  model: string | null;
  /** Vertex AI's location, which picks the regional host. */
  region: string | null;
}

// A segment is plain: no `/`, `\`, or dot segment (also percent-encoded) that URL parsing would resolve upward.
const SEGMENT = "[A-Za-z0-9_~:@+.%'-]+";
const ANTHROPIC = /^\/v1\/messages(\/count_tokens)?$/;
const VERTEX = new RegExp(
  `^/projects/(${SEGMENT})/locations/(${SEGMENT})/publishers/anthropic/models/(${SEGMENT}?):(streamRawPredict|rawPredict)$`
);
const BEDROCK = new RegExp(`^/model/(${SEGMENT})/(invoke-with-response-stream|invoke|count-tokens)$`);

const isDotSegment = (segment: string) => /^(?:\.|%2e){1,2}$/i.test(segment);

export function matchRoute(provider: ModelProvider, method: string, pathAndQuery: string): ModelRoute | null {
  if (method !== 'POST') return null;
  const path = pathAndQuery.split('?')[0]!;
  if (path.split('/').some(isDotSegment)) return null;
  if (provider === 'anthropic') {
    const match = ANTHROPIC.exec(path);
    return match ? { kind: match[1] ? 'count_tokens' : 'messages', model: null, region: null } : null;
  }
  if (provider === 'vertex') {
    const match = VERTEX.exec(path);
    if (!match) return null;
    const [, , region, model, verb] = match;
    if (model === 'count-tokens')
      return verb === 'rawPredict' ? { kind: 'count_tokens', model: null, region: region! } : null;
    return { kind: 'messages', model: model!, region: region! };
  }
  const match = BEDROCK.exec(path);
  if (!match) return null;
  return { kind: match[2] === 'count-tokens' ? 'count_tokens' : 'messages', model: match[1]!, region: null };
}
