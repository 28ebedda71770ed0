import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { authenticate, tokenFrom } from './auth.js';
import { ApiError, routeNotFound } from './errors.js';
import { serveUpload } from './uploads.js';
import type { Faults } from './faults.js';
import type { RateLimiter } from './rate-limit.js';
import { parseBody, parseRackQuery } from './params.js';
import type { Reply, Router, Services } from './router.js';

// The HTTP edge: read the request, inject latency and faults, authenticate, route, and turn whatever the
// handler returned or threw into a response. This is the only place that writes responses.

export interface RecordedRequest {
  method: string;
  /** Path below /api/v4, as sent (still URL-encoded). */
  path: string;
  query: string;
  status: number;
  userId: number | null;
  username: string | null;
  time: Date;
  durationMs: number;
  /** The status of an injected fault or of the rate limit, when the answer was one. */
  fault: number | null;
}

export interface HttpDeps {
  router: Router;
  services: Services;
  faults: Faults;
  rateLimiter: RateLimiter;
  maxBodyBytes: number;
  record: (request: RecordedRequest) => void;
  onUnexpectedError: (error: unknown) => void;
}

const API_PREFIX = '/api/v4';

export async function listen(deps: HttpDeps, host: string, port: number): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    handle(deps, req, res).catch((error: unknown) => {
      deps.onUnexpectedError(error);
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ message: '500 Internal Server Error' }));
    });
  });
  server.keepAliveTimeout = 1000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return { server, url: `http://${shownHost}:${address.port}` };
}

async function handle(deps: HttpDeps, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const started = Date.now();
  const time = deps.services.state.now();
  const method = (req.method ?? 'GET').toUpperCase();
  const url = new URL(req.url ?? '/', deps.services.state.baseUrl);
  const raw = await readBody(req, deps.maxBodyBytes);
  if (!url.pathname.startsWith(`${API_PREFIX}/`)) {
    const upload = method === 'GET' ? serveUpload(deps.services.state, url.pathname, req.headers) : null;
    if (upload) {
      res.writeHead(upload.status, { 'content-type': upload.contentType, 'content-length': upload.body.length }).end(upload.body);
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain' }).end('Not Found\n');
    return;
  }
  const path = url.pathname.slice(API_PREFIX.length);
  let reply: Reply;
  let userId: number | null = null;
  let username: string | null = null;
  let fault: number | null = null;

  const delay = deps.faults.delayMs();
  if (delay > 0) await new Promise((resolve) => setTimeout(resolve, delay));
  const injected = deps.faults.decide(method, path) ?? deps.rateLimiter.check(clientKey(req), time);
  if (injected) {
    reply = injected;
    fault = injected.status;
  } else if (raw === null) {
    reply = { status: 413, body: { message: '413 Request Entity Too Large' } };
  } else {
    try {
      const query = parseRackQuery(url.search.slice(1));
      const body = parseBody(req.headers['content-type'], raw);
      const params = { ...query, ...body };
      const match = deps.router.match(method, path);
      if (!match) throw routeNotFound();
      const auth = authenticate(deps.services.state, method, req.headers, params);
      userId = auth.user?.id ?? null;
      username = auth.user?.username ?? null;
      reply = await match.handler({
        method,
        url,
        path,
        pathParams: match.params,
        params: { ...params, ...match.params },
        headers: req.headers,
        user: auth.user,
        token: auth.token,
        services: deps.services,
      });
    } catch (error) {
      if (error instanceof ApiError) {
        reply = { status: error.status, body: error.body, headers: error.headers };
      } else {
        deps.onUnexpectedError(error);
        reply = { status: 500, body: { message: '500 Internal Server Error' } };
      }
    }
  }
  write(res, method, reply);
  deps.record({
    method,
    path,
    query: url.search.slice(1),
    status: reply.status,
    userId,
    username,
    time,
    durationMs: Date.now() - started,
    fault,
  });
}

/** Rack::Attack keys the authenticated throttle by token owner and the anonymous one by address. */
function clientKey(req: IncomingMessage): string {
  const token = tokenFrom(req.headers, {});
  return token ? `token:${token}` : `ip:${req.socket.remoteAddress ?? ''}`;
}

function write(res: ServerResponse, method: string, reply: Reply): void {
  const headers: Record<string, string> = { ...(reply.headers ?? {}) };
  let text: string | Buffer = '';
  if (reply.body !== undefined && reply.status !== 204) {
    if (Buffer.isBuffer(reply.body)) {
      text = reply.body;
      headers['content-type'] ??= 'application/octet-stream';
    } else if (typeof reply.body === 'string' && headers['content-type']) text = reply.body;
    else {
      text = JSON.stringify(reply.body);
      headers['content-type'] = 'application/json';
    }
  }
  headers['content-length'] = String(Buffer.byteLength(text));
  res.writeHead(reply.status, headers);
  res.end(method === 'HEAD' ? undefined : text);
}

/** The whole body, or null when it is over the limit. */
async function readBody(req: IncomingMessage, limit: number): Promise<Buffer | null> {
  const chunks: Buffer[] = [];
  let size = 0;
  let over = false;
  for await (const chunk of req) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size > limit) over = true;
    else chunks.push(buffer);
  }
  return over ? null : Buffer.concat(chunks);
}
