import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { startModelGateway, type ModelGateway } from '../../../service/runner/gateway/index.js';
import { say, use } from '../../../standins/model/standin.js';
import { realClaude, removeHomes, runClaude } from './claude.js';
import { anthropicSetup, bedrockSetup, vertexSetup, type ProviderSetup } from './providers.js';
import { startRecorder } from './recorder.js';

// The real Claude Code binary behind the gateway, once per provider's request shape: the run works, the upstream
// saw the real credential, Claude Code's own requests and environment held none, and the gateway's tally matches.

const claude = realClaude();
const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});
afterAll(removeHomes);

const TURN_USAGE = { input_tokens: 1234, output_tokens: 56 };

async function behindGateway(setup: ProviderSetup, budgetUsd: number | null = null) {
  closers.push(() => setup.close());
  const logs: string[] = [];
  const gateway: ModelGateway = await startModelGateway({
    env: setup.jobEnv,
    budgetUsd,
    log: (line) => logs.push(line),
  });
  closers.push(() => gateway.close());
  const recorder = await startRecorder(gateway.url);
  closers.push(() => recorder.close());
  // Claude Code talks to the recorder, which hands everything to the gateway: the recorder keeps what the agent sent.
  const agentEnv = Object.fromEntries(
    Object.entries(gateway.agentEnv).map(([name, value]) => [name, value === gateway.url ? recorder.url : value])
  );
  return { gateway, recorder, agentEnv, logs };
}

const providers = [
  ['Claude API', () => anthropicSetup([{ ...say('Hello from the stand-in.'), usage: TURN_USAGE }])],
  ['Vertex AI', () => vertexSetup([{ ...say('Hello from the stand-in.'), usage: TURN_USAGE }])],
  ['Bedrock', () => bedrockSetup([{ ...say('Hello from the stand-in.'), usage: TURN_USAGE }])],
] as const;

describe.skipIf(!claude)('the real claude CLI behind the model gateway', () => {
  for (const [name, setUp] of providers) {
    it(`${name}: the gateway adds the credential, the agent never holds it, and the tokens are counted`, async () => {
      const setup = await setUp();
      const { gateway, recorder, agentEnv } = await behindGateway(setup);

      const run = await runClaude(claude!, agentEnv);

      expect(run.result, run.stderr).toMatchObject({
        type: 'result',
        is_error: false,
        result: 'Hello from the stand-in.',
      });
      expect(run.exitCode).toBe(0);
      // The upstream let the model call through on the real credential.
      expect(setup.accepted().length).toBeGreaterThanOrEqual(1);
      expect(setup.accepted()).toHaveLength(setup.upstream.requests.length);
      // Neither the agent's environment nor anything it sent held a credential.
      const secrets = [...setup.credentials, ...gateway.secretValues()];
      expect(gateway.secretValues().length).toBeGreaterThanOrEqual(1);
      const agentSide = JSON.stringify({ agentEnv: gateway.agentEnv, sent: recorder.requests });
      for (const value of secrets) expect(agentSide).not.toContain(value);
      // Every model call went through; Bedrock's `GET /inference-profiles` (model discovery) is a 404 at the gateway.
      const modelCalls = recorder.requests.filter((request) => request.method === 'POST');
      expect(modelCalls.length).toBe(setup.upstream.requests.length);
      // The tally is the upstream's tokens, priced as Claude Code prices them.
      const calls = setup.accepted().length;
      const usage = gateway.usage();
      expect(usage).toMatchObject({
        requests: calls,
        inputTokens: 1234 * calls,
        outputTokens: 56 * calls,
        budgetExceeded: false,
      });
      expect(usage.models).toEqual(['claude-opus-5-5']);
      expect(usage.costUsd).toBeCloseTo((calls * (1234 * 4 + 56 * 20)) / 1e6, 10);
      expect(usage.costUsd).toBeCloseTo(run.result!.total_cost_usd as number, 10);
    });
  }

  it('Vertex AI: the token came from the credential file through STS and impersonation', async () => {
    const setup = await vertexSetup([say('Hi.')]);
    const { agentEnv } = await behindGateway(setup);
    const run = await runClaude(claude!, agentEnv);
    expect(run.result).toMatchObject({ is_error: false });
    expect(setup.google.exchanges.map((exchange) => exchange.path)).toEqual([
      '/v1/token',
      '/v1/projects/-/serviceAccounts/claude-runner@proj.iam.gserviceaccount.com:generateAccessToken',
    ]);
    expect(setup.google.exchanges[0]!.form).toMatchObject({ subject_token: setup.jobEnv.GCP_ID_TOKEN });
    const bearer = setup.accepted()[0]!.headers.authorization;
    expect(setup.google.accessTokens().map((token) => `Bearer ${token}`)).toContain(bearer);
  });

  for (const [name, setUp] of [
    ['Claude API', () => anthropicSetup([say('never')], { wrongKey: true })],
    ['Vertex AI', () => vertexSetup([say('never')], { strangerGoogle: true })],
    ['Bedrock', () => bedrockSetup([say('never')], { wrongSecret: true })],
  ] as const) {
    it(`${name}: a credential the upstream refuses fails the run (the credential check can fail)`, async () => {
      const setup = await setUp();
      const { agentEnv } = await behindGateway(setup);
      const run = await runClaude(claude!, agentEnv);
      expect(run.exitCode).toBe(1);
      expect(run.result).toMatchObject({ is_error: true });
      expect([401, 403]).toContain(run.result!.api_error_status);
      expect(setup.accepted()).toHaveLength(0);
      expect(setup.upstream.requests.length).toBeGreaterThanOrEqual(1);
    });
  }

  for (const [name, env, missing] of [
    ['Claude API', {}, 'neither ANTHROPIC_API_KEY nor ANTHROPIC_AUTH_TOKEN'],
    [
      'Vertex AI',
      {
        CLAUDE_CODE_USE_VERTEX: '1',
        ANTHROPIC_VERTEX_PROJECT_ID: 'p',
        CLOUD_ML_REGION: 'us-east5',
        GOOGLE_APPLICATION_CREDENTIALS: '/nonexistent.json',
      },
      'GOOGLE_APPLICATION_CREDENTIALS',
    ],
    [
      'Bedrock',
      { CLAUDE_CODE_USE_BEDROCK: '1', AWS_REGION: 'us-west-2' },
      'AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY not set',
    ],
  ] as const) {
    it(`${name}: a job without a credential ends the run at once, with the gateway's reason`, async () => {
      let called = 0;
      const gateway = await startModelGateway({
        env,
        budgetUsd: null,
        log: () => {},
        fetch: (async () => ((called += 1), new Response())) as typeof fetch,
      });
      closers.push(() => gateway.close());
      const recorder = await startRecorder(gateway.url);
      closers.push(() => recorder.close());
      const agentEnv = Object.fromEntries(
        Object.entries(gateway.agentEnv).map(([k, v]) => [k, v === gateway.url ? recorder.url : v])
      );
      const run = await runClaude(claude!, agentEnv);
      expect(run.exitCode).toBe(1);
      expect(run.result).toMatchObject({ is_error: true, api_error_status: 402 });
      expect(run.result!.result).toContain(missing);
      // One model call, no retries, no trying other models.
      expect(recorder.requests.filter((request) => request.method === 'POST')).toHaveLength(1);
      expect(called).toBe(0);
    });
  }

  it('a spent budget refuses the next request before the upstream, and Claude Code stops at once', async () => {
    // The first turn asks for a tool, so Claude Code has to come back; by then the budget is spent.
    const setup = await anthropicSetup([
      { ...use('Read', { file_path: '/nonexistent/notes.md' }), usage: TURN_USAGE },
      say('never'),
    ]);
    const { gateway, recorder, agentEnv, logs } = await behindGateway(setup, 0.001);
    const run = await runClaude(claude!, agentEnv);

    expect(setup.upstream.requests).toHaveLength(1);
    expect(recorder.requests.length).toBeGreaterThanOrEqual(2);
    expect(run.exitCode).toBe(1);
    expect(run.durationMs).toBeLessThan(20_000);
    expect(run.result).toMatchObject({ is_error: true, api_error_status: 402 });
    expect(run.result!.result).toMatch(
      /budget of \$0\.001 \(CLAUDE_FLOW_MAX_BUDGET_USD\) is spent \(\$0\.0061 so far\)/
    );
    // Claude Code does not retry a 402: one refusal.
    expect(run.events.filter((event) => event.subtype === 'api_retry')).toHaveLength(0);
    const usage = gateway.usage();
    expect(usage).toMatchObject({ requests: 1, budgetExceeded: true, refusedRequests: 1, budgetUsd: 0.001 });
    expect(usage.costUsd).toBeCloseTo((1234 * 4 + 56 * 20) / 1e6, 10);
    expect(logs.some((line) => line.includes('refused') && line.includes('budget'))).toBe(true);
  });
});
