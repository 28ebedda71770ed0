import { afterEach, describe, expect, it } from 'vitest';
import {
  MAX_BODY_BYTES,
  readBudget,
  startModelGateway,
  type GatewayOptions,
  type ModelGateway,
} from '../../../service/runner/gateway/index.js';
import { modelProviderOf } from '../../../service/runner/gateway/provider.js';
import { say, turnEvents } from '../../../standins/model/standin.js';
import { anthropicSetup, bedrockSetup, vertexSetup, type ProviderSetup } from './providers.js';

// The gateway's HTTP edge without Claude Code: what it forwards, what it refuses, what it sends upstream.

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

async function gatewayFor(setup: ProviderSetup | null, options: Partial<GatewayOptions> = {}) {
  if (setup) closers.push(() => setup.close());
  const logs: string[] = [];
  const gateway = await startModelGateway({
    env: setup?.jobEnv ?? {},
    budgetUsd: null,
    log: (line) => logs.push(line),
    ...options,
  });
  closers.push(() => gateway.close());
  return { gateway, logs };
}

/** Claude Code's request as the gateway sees it: the run's key in the header its agentEnv names. */
function post(gateway: ModelGateway, path: string, body: unknown, headers: Record<string, string> = {}) {
  const [name, key] = gateway.agentEnv.ANTHROPIC_CUSTOM_HEADERS!.split(': ');
  return fetch(`${gateway.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', [name!]: key!, ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

const message = {
  model: 'claude-sonnet-4-5-20250929',
  max_tokens: 10,
  stream: true,
  messages: [{ role: 'user', content: 'hi' }],
};

describe('the model gateway', () => {
  it('answers 404 to anything but the model paths, without calling the upstream', async () => {
    const setup = await anthropicSetup([say('x')]);
    const { gateway } = await gatewayFor(setup);
    for (const [method, path] of [
      ['GET', '/v1/messages'],
      ['POST', '/v1/models'],
      ['POST', '/v1/complete'],
      ['GET', '/'],
      ['POST', '/v1/messages/../../x'],
    ]) {
      const answer = await fetch(`${gateway.url}${path}`, {
        method,
        headers: { 'x-api-key': gateway.agentEnv.ANTHROPIC_API_KEY! },
      });
      expect(answer.status, `${method} ${path}`).toBe(404);
      expect(await answer.json()).toMatchObject({ type: 'error', error: { type: 'not_found_error' } });
    }
    expect(setup.upstream.requests).toHaveLength(0);
  });

  it("refuses a request without the run's gateway key (401), whatever else it carries", async () => {
    const setup = await anthropicSetup([say('x')]);
    const { gateway } = await gatewayFor(setup);
    const attempts: Array<Record<string, string>> = [
      {},
      { 'x-api-key': 'cgf-gateway-guess' },
      { authorization: `Bearer ${setup.jobEnv.ANTHROPIC_API_KEY}` },
    ];
    for (const headers of attempts) {
      const answer = await fetch(`${gateway.url}/v1/messages`, {
        method: 'POST',
        headers,
        body: JSON.stringify(message),
      });
      expect(answer.status).toBe(401);
    }
    expect(setup.upstream.requests).toHaveLength(0);
    // The placeholder API key Claude Code sends as x-api-key opens it too.
    const answer = await fetch(`${gateway.url}/v1/messages?beta=true`, {
      method: 'POST',
      headers: { 'x-api-key': gateway.agentEnv.ANTHROPIC_API_KEY!, 'content-type': 'application/json' },
      body: JSON.stringify(message),
    });
    expect(answer.status).toBe(200);
    await answer.text();
  });

  it('answers 413 to a body over 32 MiB, declared or streamed, without calling the upstream', async () => {
    const setup = await anthropicSetup([say('x')]);
    const { gateway } = await gatewayFor(setup);
    const big = JSON.stringify({ ...message, messages: [{ role: 'user', content: 'x'.repeat(MAX_BODY_BYTES) }] });
    const answer = await post(gateway, '/v1/messages', big);
    expect(answer.status).toBe(413);
    expect(await answer.json()).toMatchObject({ error: { type: 'request_too_large' } });
    const chunked = new ReadableStream({
      start(controller) {
        for (let i = 0; i < 33; i += 1) controller.enqueue(new Uint8Array(1024 * 1024));
        controller.close();
      },
    });
    const [name, key] = gateway.agentEnv.ANTHROPIC_CUSTOM_HEADERS!.split(': ');
    const streamed = await fetch(`${gateway.url}/v1/messages`, {
      method: 'POST',
      headers: { [name!]: key! },
      body: chunked,
      duplex: 'half',
    } as RequestInit);
    expect(streamed.status).toBe(413);
    expect(setup.upstream.requests).toHaveLength(0);
  });

  it('streams the answer through byte for byte, with its status and content type, and counts it', async () => {
    const events = turnEvents(
      { blocks: [{ type: 'text', text: 'Hi' }], usage: { input_tokens: 1000, output_tokens: 100 } },
      'msg_1',
      'm'
    );
    const bytes = new TextEncoder().encode(
      events.map((event) => `event: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`).join('')
    );
    const sent: Array<{ url: string; headers: Headers }> = [];
    const fakeFetch = (async (url: URL, init: RequestInit) => {
      sent.push({ url: String(url), headers: new Headers(init.headers) });
      const body = new ReadableStream({
        start(controller) {
          for (let at = 0; at < bytes.length; at += 50) controller.enqueue(bytes.subarray(at, at + 50));
          controller.close();
        },
      });
      return new Response(body, {
        status: 200,
        headers: { 'content-type': 'text/event-stream', 'request-id': 'req_1', connection: 'x-drop', 'x-drop': '1' },
      });
    }) as typeof fetch;
    const env = {
      ANTHROPIC_API_KEY: 'sk-ant-api03-real',
      ANTHROPIC_CUSTOM_HEADERS: 'X-Corp-Token: corp-secret\nx-team: runner',
    };
    const { gateway } = await gatewayFor(null, { env, fetch: fakeFetch });
    const answer = await post(gateway, '/v1/messages?beta=true', message, {
      authorization: 'Bearer agent',
      'x-amz-date': 'x',
      cookie: 'c',
    });
    expect(answer.status).toBe(200);
    expect(answer.headers.get('content-type')).toBe('text/event-stream');
    expect(answer.headers.get('request-id')).toBe('req_1');
    expect(answer.headers.get('x-drop')).toBeNull();
    expect(new Uint8Array(await answer.arrayBuffer())).toEqual(bytes);

    expect(sent[0]!.url).toBe('https://api.anthropic.com/v1/messages?beta=true');
    const headers = Object.fromEntries(sent[0]!.headers);
    expect(headers).toMatchObject({
      'x-api-key': 'sk-ant-api03-real',
      'x-corp-token': 'corp-secret',
      'x-team': 'runner',
      'accept-encoding': 'identity',
    });
    expect(Object.keys(headers)).not.toEqual(expect.arrayContaining(['authorization']));
    for (const name of ['authorization', 'x-amz-date', 'cookie', 'x-claude-flow-gateway-key'])
      expect(headers[name]).toBeUndefined();
    expect(gateway.usage()).toMatchObject({
      requests: 1,
      inputTokens: 1000,
      outputTokens: 100,
      models: ['claude-sonnet-4-5'],
    });
    expect(gateway.usage().costUsd).toBeCloseTo((1000 * 3 + 100 * 15) / 1e6, 12);
    expect(gateway.secretValues().sort()).toEqual(['corp-secret', 'runner', 'sk-ant-api03-real']);
    expect(JSON.stringify(gateway.agentEnv)).not.toMatch(/corp-secret|sk-ant-api03-real/);
  });

  it('counts the non-streaming JSON answers Claude Code falls back to, per provider', async () => {
    for (const setUp of [anthropicSetup, vertexSetup, bedrockSetup]) {
      const setup = await setUp([{ ...say('x'), usage: { input_tokens: 7, output_tokens: 3 } }]);
      const { gateway } = await gatewayFor(setup);
      const path = setup.jobEnv.CLAUDE_CODE_USE_VERTEX
        ? '/projects/proj/locations/us-east5/publishers/anthropic/models/claude-haiku-4-5@20251001:rawPredict'
        : setup.jobEnv.CLAUDE_CODE_USE_BEDROCK
        ? '/model/us.anthropic.claude-haiku-4-5-20251001-v1:0/invoke'
        : '/v1/messages';
      const answer = await post(gateway, path, { ...message, model: 'claude-haiku-4-5', stream: false });
      expect(answer.status, path).toBe(200);
      expect(await answer.json()).toMatchObject({ type: 'message', content: [{ type: 'text', text: 'x' }] });
      expect(gateway.usage()).toMatchObject({ inputTokens: 7, outputTokens: 3, models: ['claude-haiku-4-5'] });
      expect(setup.accepted()).toHaveLength(1);
    }
  });

  it('refuses with 402 (a final error for Claude Code) when it has no credential to add, and says which', async () => {
    for (const [env, missing] of [
      [{}, 'ANTHROPIC_API_KEY nor ANTHROPIC_AUTH_TOKEN'],
      [{ CLAUDE_CODE_USE_BEDROCK: '1', AWS_REGION: 'us-west-2' }, 'AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY not set'],
      [
        { CLAUDE_CODE_USE_VERTEX: '1', GOOGLE_APPLICATION_CREDENTIALS: '/nonexistent/credentials.json' },
        'GOOGLE_APPLICATION_CREDENTIALS',
      ],
    ] as const) {
      let called = false;
      const { gateway, logs } = await gatewayFor(null, {
        env,
        fetch: (async () => ((called = true), new Response('{}'))) as typeof fetch,
      });
      const path =
        'CLAUDE_CODE_USE_BEDROCK' in env
          ? '/model/m/invoke'
          : 'CLAUDE_CODE_USE_VERTEX' in env
          ? '/projects/p/locations/global/publishers/anthropic/models/m:rawPredict'
          : '/v1/messages';
      const answer = await post(gateway, path, message);
      expect(answer.status).toBe(402);
      expect(((await answer.json()) as { error: { message: string } }).error.message).toContain(missing);
      expect(called).toBe(false);
      expect(logs.join('\n')).toContain(missing);
    }
  });

  it('answers 502 when the upstream cannot be reached (Claude Code retries that)', async () => {
    const { gateway } = await gatewayFor(null, {
      env: { ANTHROPIC_API_KEY: 'k', ANTHROPIC_BASE_URL: 'http://127.0.0.1:9' },
    });
    const answer = await post(gateway, '/v1/messages', message);
    expect(answer.status).toBe(502);
    expect(await answer.json()).toMatchObject({
      error: { type: 'api_error', message: expect.stringContaining('127.0.0.1:9') },
    });
    expect(gateway.usage().requests).toBe(0);
  });

  it('once the spend reaches the budget, refuses with 402 billing_error and never calls the upstream', async () => {
    const setup = await anthropicSetup([{ ...say('x'), usage: { input_tokens: 1_000_000, output_tokens: 0 } }]);
    const { gateway } = await gatewayFor(setup, { budgetUsd: 4 });
    await (await post(gateway, '/v1/messages', { ...message, model: 'claude-opus-5-5' })).text();
    expect(gateway.usage()).toMatchObject({ costUsd: 4, budgetExceeded: false });
    const refused = await post(gateway, '/v1/messages', message);
    expect(refused.status).toBe(402);
    expect(await refused.json()).toEqual({
      type: 'error',
      error: {
        type: 'billing_error',
        message:
          "claude-gitlab-flow: this run's model budget of $4 (CLAUDE_FLOW_MAX_BUDGET_USD) is spent ($4.0000 so far); the model gateway refuses further requests",
      },
    });
    expect(setup.upstream.requests).toHaveLength(1);
    expect(gateway.usage()).toMatchObject({ requests: 1, budgetExceeded: true, refusedRequests: 1 });
  });
});

describe('the environment', () => {
  it('picks the provider as Claude Code does', () => {
    expect(modelProviderOf({})).toBe('anthropic');
    expect(modelProviderOf({ CLAUDE_CODE_USE_VERTEX: '1' })).toBe('vertex');
    expect(modelProviderOf({ CLAUDE_CODE_USE_VERTEX: 'true', CLAUDE_CODE_USE_BEDROCK: '1' })).toBe('bedrock');
    expect(modelProviderOf({ CLAUDE_CODE_USE_BEDROCK: '0' })).toBe('anthropic');
  });

  it('reads the budget', () => {
    expect(readBudget({})).toEqual({ ok: true, budgetUsd: null });
    expect(readBudget({ CLAUDE_FLOW_MAX_BUDGET_USD: '' })).toEqual({ ok: true, budgetUsd: null });
    expect(readBudget({ CLAUDE_FLOW_MAX_BUDGET_USD: '2.50' })).toEqual({ ok: true, budgetUsd: 2.5 });
    for (const raw of ['0', '-1', 'five', 'Infinity'])
      expect(readBudget({ CLAUDE_FLOW_MAX_BUDGET_USD: raw })).toMatchObject({ ok: false });
  });

  it("gives the agent the provider's switches and the gateway, and no credential", async () => {
    const vertex = await vertexSetup([say('x')]);
    const { gateway } = await gatewayFor(vertex);
    expect(gateway.agentEnv).toEqual({
      CLAUDE_CODE_USE_VERTEX: '1',
      CLAUDE_CODE_SKIP_VERTEX_AUTH: '1',
      ANTHROPIC_VERTEX_BASE_URL: gateway.url,
      ANTHROPIC_VERTEX_PROJECT_ID: 'proj',
      CLOUD_ML_REGION: 'us-east5',
      ANTHROPIC_CUSTOM_HEADERS: expect.stringMatching(/^x-claude-flow-gateway-key: cgf-gateway-[\w-]{32}$/),
    });
    const bedrock = await bedrockSetup([say('x')]);
    const { gateway: second } = await gatewayFor(bedrock);
    expect(Object.keys(second.agentEnv).sort()).toEqual([
      'ANTHROPIC_BEDROCK_BASE_URL',
      'ANTHROPIC_CUSTOM_HEADERS',
      'AWS_REGION',
      'CLAUDE_CODE_SKIP_BEDROCK_AUTH',
      'CLAUDE_CODE_USE_BEDROCK',
    ]);
    expect(second.agentEnv.ANTHROPIC_CUSTOM_HEADERS).not.toBe(gateway.agentEnv.ANTHROPIC_CUSTOM_HEADERS);
  });
});
