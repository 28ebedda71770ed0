import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as NodeReadableStream } from 'node:stream/web';
import { agentEnvFor } from './claude-env.js';
import { anthropicCredential } from './credentials/anthropic.js';
import { bedrockCredential } from './credentials/bedrock.js';
import {
  CredentialError,
  noCredential as noCredentialAdapter,
  type CredentialAdapter,
} from './credentials/credential.js';
import { vertexCredential } from './credentials/vertex.js';
import * as refuse from './errors.js';
import { forwardRequestHeaders, forwardResponseHeaders, parseCustomHeaders, presentedKey } from './headers.js';
import { modelProviderOf, type ModelProvider } from './provider.js';
import { matchRoute, type ModelRoute } from './routes.js';
import { upstreamUrl, type UpstreamSettings } from './upstream.js';
import { UsageCounter, type GatewayUsage } from './usage.js';
import { usageTap } from './usage-tap.js';

// The model gateway: Claude Code's only way to the model, on 127.0.0.1. It checks the run's gateway key, refuses
// once the budget is spent, adds the provider's credential, and streams the answer back unchanged while counting
// its tokens. Claude Code itself never holds a credential: the model it runs is untrusted code.

export interface ModelGateway {
  /** http://127.0.0.1:<port> */
  url: string;
  /** The only model-related env Claude Code gets: provider switch, base URL → gateway, a per-run placeholder key,
   * region/project ids, SKIP_*_AUTH, model choices. No credential of any kind. */
  agentEnv: Record<string, string>;
  usage(): GatewayUsage;
  /** Credential values the gateway holds or minted (API key, access tokens, AWS secret/session token), for redaction. */
  secretValues(): string[];
  close(): Promise<void>;
}

export interface GatewayOptions {
  env: NodeJS.ProcessEnv;
  budgetUsd: number | null;
  log: (message: string) => void;
  /** The upstream HTTP client (tests inject one). */
  fetch?: typeof fetch;
}

/** Claude Code's bodies hold the whole conversation; the Messages API itself takes at most 32 MB. */
export const MAX_BODY_BYTES = 32 * 1024 * 1024;

const skipAuth = (value: string | undefined) => value !== undefined && /^(1|true|yes|on)$/i.test(value.trim());

function credentialFor(provider: ModelProvider, env: NodeJS.ProcessEnv): CredentialAdapter {
  // A job that told Claude Code to skip auth runs its own gateway upstream, which wants no credential from us.
  if (provider === 'vertex')
    return skipAuth(env.CLAUDE_CODE_SKIP_VERTEX_AUTH) ? noCredentialAdapter : vertexCredential(env);
  if (provider === 'bedrock')
    return skipAuth(env.CLAUDE_CODE_SKIP_BEDROCK_AUTH) ? noCredentialAdapter : bedrockCredential(env);
  return anthropicCredential(env);
}

function upstreamSettings(provider: ModelProvider, env: NodeJS.ProcessEnv): UpstreamSettings {
  const name = {
    anthropic: 'ANTHROPIC_BASE_URL',
    vertex: 'ANTHROPIC_VERTEX_BASE_URL',
    bedrock: 'ANTHROPIC_BEDROCK_BASE_URL',
  }[provider];
  return { provider, baseUrl: env[name] || null, awsRegion: env.AWS_REGION || env.AWS_DEFAULT_REGION || null };
}

const sameKey = (expected: Buffer, presented: string) => {
  const bytes = Buffer.from(presented);
  return bytes.length === expected.length && timingSafeEqual(bytes, expected);
};

async function readBody(request: IncomingMessage): Promise<Buffer> {
  const declared = Number(request.headers['content-length'] ?? 0);
  if (declared > MAX_BODY_BYTES) throw refuse.tooLarge(MAX_BODY_BYTES);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw refuse.tooLarge(MAX_BODY_BYTES);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

function modelOf(route: ModelRoute, body: Buffer): string {
  if (route.model) return route.model;
  try {
    const model = (JSON.parse(body.toString('utf8')) as { model?: unknown }).model;
    return typeof model === 'string' && model ? model : 'unknown';
  } catch {
    return 'unknown';
  }
}

const dollars = (value: number) => `$${value.toFixed(4)}`;

export async function startModelGateway(options: GatewayOptions): Promise<ModelGateway> {
  const { env, budgetUsd, log } = options;
  const upstreamFetch = options.fetch ?? fetch;
  const provider = modelProviderOf(env);
  const credential = credentialFor(provider, env);
  const upstream = upstreamSettings(provider, env);
  const customHeaders = parseCustomHeaders(env.ANTHROPIC_CUSTOM_HEADERS);
  const key = `cgf-gateway-${randomBytes(24).toString('base64url')}`;
  const keyBytes = Buffer.from(key);
  const counter = new UsageCounter(budgetUsd);

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const method = request.method ?? 'GET';
    const path = request.url ?? '/';
    const route = matchRoute(provider, method, path);
    if (!route) throw refuse.notFound(path);
    if (!presentedKey(request.headers).some((presented) => sameKey(keyBytes, presented))) throw refuse.wrongKey();
    if (counter.budgetSpent()) {
      counter.refused();
      const usage = counter.snapshot();
      log(`model gateway: refused ${method} ${path.split('?')[0]}: the budget is spent (${dollars(usage.costUsd)})`);
      throw refuse.budgetSpent(budgetUsd!, usage.costUsd);
    }
    const body = await readBody(request);
    const model = modelOf(route, body);
    const url = upstreamUrl(upstream, path, route.region);
    const outgoing = { method, url, headers: { ...forwardRequestHeaders(request.headers), ...customHeaders }, body };
    try {
      Object.assign(outgoing.headers, await credential.headersFor(outgoing));
    } catch (error) {
      if (!(error instanceof CredentialError)) throw error;
      log(`model gateway: ${error.message}`);
      throw refuse.noCredential(error.message);
    }

    // The upstream call ends when Claude Code goes away, so an abandoned stream is not paid to its end.
    const abort = new AbortController();
    response.on('close', () => abort.abort());
    let answer: Response;
    try {
      answer = await upstreamFetch(url, {
        method,
        headers: outgoing.headers,
        body,
        signal: abort.signal,
        redirect: 'manual',
      });
    } catch (error) {
      if (abort.signal.aborted) return;
      const cause = (error as { cause?: { code?: string; message?: string } }).cause;
      throw refuse.upstreamUnreachable(url.host, cause?.code ?? cause?.message ?? (error as Error).message);
    }
    counter.forwarded();
    const started = Date.now();
    const tap = usageTap(answer.headers.get('content-type') ?? '', (tokens) => {
      if (route.kind === 'messages' && answer.ok) counter.record(model, tokens);
      const total = counter.snapshot();
      log(
        `model gateway: ${method} ${url.pathname} ${model} → ${answer.status} in ${Date.now() - started} ms ` +
          `(in ${tokens.inputTokens}, out ${tokens.outputTokens}, cache ${tokens.cacheCreationInputTokens}+` +
          `${tokens.cacheReadInputTokens}; run ${dollars(total.costUsd)})`
      );
    });
    response.writeHead(answer.status, forwardResponseHeaders(answer.headers));
    response.flushHeaders();
    if (!answer.body) {
      tap.end();
      response.end();
      return;
    }
    const observe = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        tap.write(chunk);
        done(null, chunk);
      },
    });
    let ended = false;
    const endTap = () => {
      if (!ended) tap.end();
      ended = true;
    };
    observe.on('close', endTap);
    try {
      await pipeline(Readable.fromWeb(answer.body as NodeReadableStream<Uint8Array>), observe, response);
    } catch {
      // Claude Code went away, or the upstream broke off mid-stream: the client sees the cut, the tally keeps
      // what came through.
    } finally {
      endTap();
    }
  }

  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      const refusal =
        error instanceof refuse.GatewayError
          ? error
          : new refuse.GatewayError(500, 'api_error', 'the model gateway failed');
      if (!(error instanceof refuse.GatewayError)) log(`model gateway: ${(error as Error).stack ?? String(error)}`);
      // After a refused body the rest of it is not read: close the connection instead.
      refuse.sendError(response, refusal, refusal.status === 413 ? { connection: 'close' } : {});
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  log(`model gateway: ${provider} on ${url} → ${upstream.baseUrl ?? `the ${provider} endpoint`}`);
  return {
    url,
    agentEnv: agentEnvFor(provider, env, url, key),
    usage: () => counter.snapshot(),
    secretValues: () => [...new Set([...credential.secretValues(), ...Object.values(customHeaders)])].filter(Boolean),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
