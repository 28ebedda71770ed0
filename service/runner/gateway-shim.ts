// TEMPORARY: an Anthropic-only pass-through until gateway/ lands. Not committed.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
export async function startModelGateway(options: { env: NodeJS.ProcessEnv; budgetUsd: number | null; log: (m: string) => void }) {
  const upstream = options.env.ANTHROPIC_BASE_URL ?? 'https://api.anthropic.com';
  const placeholder = `cgf-${randomBytes(8).toString('hex')}`;
  let input = 0, output = 0;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string' && !['host', 'x-api-key', 'authorization', 'content-length', 'connection'].includes(k)) headers[k] = v;
      headers['x-api-key'] = options.env.ANTHROPIC_API_KEY ?? '';
      const r = await fetch(new URL(req.url ?? '/', upstream), { method: req.method, headers, body: Buffer.concat(chunks) });
      res.writeHead(r.status, { 'content-type': r.headers.get('content-type') ?? 'application/json' });
      const text = await r.text();
      for (const m of text.matchAll(/"input_tokens":(\d+)/g)) input += Number(m[1]);
      for (const m of text.matchAll(/"type":"message_delta".*?"output_tokens":(\d+)/g)) output += Number(m[1]);
      res.end(text);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    agentEnv: { ANTHROPIC_BASE_URL: url, ANTHROPIC_API_KEY: placeholder },
    usage: () => ({ inputTokens: input, outputTokens: output, costUsd: (input * 4 + output * 20) / 1e6, budgetUsd: options.budgetUsd, budgetExceeded: false }),
    secretValues: () => [options.env.ANTHROPIC_API_KEY ?? ''].filter(Boolean),
    close: () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }),
  };
}
