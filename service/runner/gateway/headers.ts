import type { IncomingHttpHeaders } from 'node:http';

// Which headers cross the gateway. Hop-by-hop headers (RFC 9110 7.6.1) belong to one connection; the
// credentials Claude Code could send are dropped, the gateway adds its own; the body is re-framed by the gateway,
// so its length and encoding are the gateway's to set.

export const GATEWAY_KEY_HEADER = 'x-claude-flow-gateway-key';

const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

const CREDENTIALS = new Set([
  'authorization',
  'x-api-key',
  'x-goog-api-key',
  'x-amz-security-token',
  'cookie',
  GATEWAY_KEY_HEADER,
]);
const FRAMING = new Set(['host', 'content-length', 'accept-encoding', 'content-encoding', 'expect']);

function dropped(name: string, connectionListed: Set<string>): boolean {
  return HOP_BY_HOP.has(name) || FRAMING.has(name) || connectionListed.has(name);
}

const listedInConnection = (value: string | string[] | undefined | null) =>
  new Set(
    [value ?? []]
      .flat()
      .flatMap((item) => item.split(','))
      .map((name) => name.trim().toLowerCase())
      .filter(Boolean)
  );

/** Claude Code's request headers as they go upstream, before the credential is added. */
export function forwardRequestHeaders(incoming: IncomingHttpHeaders): Record<string, string> {
  const listed = listedInConnection(incoming.connection);
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(incoming)) {
    if (value === undefined || dropped(name, listed) || CREDENTIALS.has(name) || name.startsWith('x-amz-')) continue;
    out[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  // The taps read the body as it passes: an encoding they cannot read (zstd) must not be negotiated.
  out['accept-encoding'] = 'identity';
  return out;
}

/** The upstream's response headers as they go back to Claude Code. */
export function forwardResponseHeaders(incoming: Headers): Record<string, string | string[]> {
  const listed = listedInConnection(incoming.get('connection'));
  const out: Record<string, string | string[]> = {};
  incoming.forEach((value, name) => {
    if (dropped(name, listed) || name === 'set-cookie') return;
    out[name] = value;
  });
  return out;
}

/** The key Claude Code presented: the gateway header, or the placeholder API key (x-api-key, a bearer token). */
export function presentedKey(incoming: IncomingHttpHeaders): string[] {
  const bearer = /^Bearer\s+(.+)$/i.exec(incoming.authorization ?? '')?.[1];
  return [incoming[GATEWAY_KEY_HEADER], incoming['x-api-key'], bearer]
    .flat()
    .filter((value): value is string => typeof value === 'string' && value !== '');
}

/** ANTHROPIC_CUSTOM_HEADERS ("Name: Value" lines): for the upstream, so they stay with the gateway. */
export function parseCustomHeaders(raw: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of (raw ?? '').split(/\r?\n/)) {
    const at = line.indexOf(':');
    if (at <= 0) continue;
    const name = line.slice(0, at).trim().toLowerCase();
    if (/^[!#$%&'*+.^_`|~0-9a-z-]+$/.test(name)) out[name] = line.slice(at + 1).trim();
  }
  return out;
}
