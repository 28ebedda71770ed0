import { describe, expect, it } from 'vitest';
import { matchRoute } from '../../../service/runner/gateway/routes.js';
import { upstreamUrl } from '../../../service/runner/gateway/upstream.js';

const VERTEX = '/projects/proj/locations/us-east5/publishers/anthropic/models';

describe('the paths the gateway forwards', () => {
  it.each([
    ['anthropic', '/v1/messages?beta=true', { kind: 'messages', model: null, region: null }],
    ['anthropic', '/v1/messages/count_tokens?beta=true', { kind: 'count_tokens', model: null, region: null }],
    [
      'vertex',
      `${VERTEX}/claude-opus-5-5:streamRawPredict`,
      { kind: 'messages', model: 'claude-opus-5-5', region: 'us-east5' },
    ],
    [
      'vertex',
      `${VERTEX}/claude-opus-4-5@20251101:rawPredict`,
      { kind: 'messages', model: 'claude-opus-4-5@20251101', region: 'us-east5' },
    ],
    ['vertex', `${VERTEX}/count-tokens:rawPredict`, { kind: 'count_tokens', model: null, region: 'us-east5' }],
    [
      'bedrock',
      '/model/us.anthropic.claude-opus-5-5/invoke-with-response-stream',
      { kind: 'messages', model: 'us.anthropic.claude-opus-5-5', region: null },
    ],
    [
      'bedrock',
      '/model/us.anthropic.claude-opus-4-5-20251101-v1:0/invoke',
      { kind: 'messages', model: 'us.anthropic.claude-opus-4-5-20251101-v1:0', region: null },
    ],
    [
      'bedrock',
      '/model/us.anthropic.claude-opus-5-5/count-tokens',
      { kind: 'count_tokens', model: 'us.anthropic.claude-opus-5-5', region: null },
    ],
  ] as const)('%s POST %s', (provider, path, route) => {
    expect(matchRoute(provider, 'POST', path)).toEqual(route);
  });

  it.each([
    ['anthropic', 'GET', '/v1/messages'],
    ['anthropic', 'POST', '/v1/models'],
    ['anthropic', 'POST', '/v1/messages/batches'],
    ['anthropic', 'POST', '/api/event_logging/v2/batch'],
    ['anthropic', 'POST', '/v1/files'],
    ['vertex', 'POST', '/v1/messages'],
    ['vertex', 'POST', `${VERTEX}/claude-opus-5-5:predict`],
    ['vertex', 'POST', '/projects/proj/locations/us-east5/publishers/google/models/gemini:streamGenerateContent'],
    ['vertex', 'POST', `/projects/../locations/us-east5/publishers/anthropic/models/m:rawPredict`],
    ['vertex', 'POST', `/projects/%2e%2e/locations/us-east5/publishers/anthropic/models/m:rawPredict`],
    ['vertex', 'POST', `${VERTEX}/count-tokens:streamRawPredict`],
    ['bedrock', 'GET', '/inference-profiles?type=SYSTEM_DEFINED'],
    ['bedrock', 'POST', '/model/x/converse'],
    ['bedrock', 'POST', '/model/a/b/invoke'],
    ['bedrock', 'POST', '/model/%2E%2E/invoke'],
    ['bedrock', 'POST', '/model/x\\..\\y/invoke'],
  ] as const)('%s %s %s is not forwarded', (provider, method, path) => {
    expect(matchRoute(provider, method, path)).toBeNull();
  });
});

describe('the upstream', () => {
  const at = (
    provider: 'anthropic' | 'vertex' | 'bedrock',
    baseUrl: string | null,
    path: string,
    region: string | null = null
  ) => upstreamUrl({ provider, baseUrl, awsRegion: 'eu-west-1' }, path, region).toString();

  it('is the public endpoint by default', () => {
    expect(at('anthropic', null, '/v1/messages?beta=true')).toBe('https://api.anthropic.com/v1/messages?beta=true');
    expect(at('vertex', null, `${VERTEX}/m:rawPredict`, 'us-east5')).toBe(
      `https://us-east5-aiplatform.googleapis.com/v1${VERTEX}/m:rawPredict`
    );
    expect(at('vertex', null, '/p', 'global')).toBe('https://aiplatform.googleapis.com/v1/p');
    expect(at('vertex', null, '/p', 'eu')).toBe('https://aiplatform.eu.rep.googleapis.com/v1/p');
    expect(at('bedrock', null, '/model/m/invoke')).toBe(
      'https://bedrock-runtime.eu-west-1.amazonaws.com/model/m/invoke'
    );
  });

  it("is the job's base URL, with the path appended to its own", () => {
    expect(at('anthropic', 'https://llm.example.com/anthropic/', '/v1/messages?beta=true')).toBe(
      'https://llm.example.com/anthropic/v1/messages?beta=true'
    );
    expect(at('vertex', 'http://127.0.0.1:9/v1', `${VERTEX}/m:streamRawPredict`, 'us-east5')).toBe(
      `http://127.0.0.1:9/v1${VERTEX}/m:streamRawPredict`
    );
    expect(at('bedrock', 'https://bedrock.corp.example', '/model/us.anthropic.m-v1:0/invoke')).toBe(
      'https://bedrock.corp.example/model/us.anthropic.m-v1:0/invoke'
    );
  });
});
