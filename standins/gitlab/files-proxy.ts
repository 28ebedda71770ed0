import { execFile } from 'node:child_process';
import { createServer, request as httpRequest, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { promisify } from 'node:util';

// The stand-in GitLab does not serve the repository files API yet, which the runner uses to read
// CLAUDE.md and .claude/settings.json from the default branch. This proxy sits in front of it and
// answers `GET /api/v4/projects/:id/repository/files/:file_path?ref=` from the project's bare
// repository, as GitLab documents it (base64 content; 404 {"message":"404 File Not Found"}); every
// other request goes to the stand-in untouched. Access is checked by asking the stand-in for the
// project with the caller's token first.

const run = promisify(execFile);

export interface FilesProxy {
  url: string;
  /** `path@ref` for every file request, in order. */
  fileRequests: string[];
  close(): Promise<void>;
}

interface Outgoing {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
}

async function forward(target: URL, req: Outgoing, body: Buffer): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const outgoing = httpRequest(
      new URL(req.path, target),
      { method: req.method, headers: { ...req.headers, host: target.host } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 502, headers: res.headers, body: Buffer.concat(chunks) }));
      },
    );
    outgoing.on('error', reject);
    outgoing.end(body);
  });
}

export async function startFilesProxy(standInUrl: string, bareRepos: Map<number, string>): Promise<FilesProxy> {
  const target = new URL(standInUrl);
  const fileRequests: string[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', async () => {
      try {
        const body = Buffer.concat(chunks);
        const url = new URL(req.url ?? '/', standInUrl);
        const match = /^\/api\/v4\/projects\/(\d+)\/repository\/files\/([^/]+)$/.exec(url.pathname);
        if (req.method === 'GET' && match) {
          const projectId = Number(match[1]);
          const path = decodeURIComponent(match[2]!);
          const ref = url.searchParams.get('ref');
          const { 'content-length': _, ...headers } = req.headers;
          const access = await forward(target, { method: 'GET', path: `/api/v4/projects/${projectId}`, headers }, Buffer.alloc(0));
          if (access.status !== 200) {
            res.writeHead(access.status, { 'content-type': 'application/json' }).end(access.body);
            return;
          }
          if (!ref) {
            res.writeHead(400, { 'content-type': 'application/json' }).end(JSON.stringify({ error: 'ref is missing' }));
            return;
          }
          fileRequests.push(`${path}@${ref}`);
          const repo = bareRepos.get(projectId);
          const show = repo ? await run('git', ['--git-dir', repo, 'show', `${ref}:${path}`], { encoding: 'buffer' }).catch(() => null) : null;
          if (!show) {
            res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ message: '404 File Not Found' }));
            return;
          }
          const content = show.stdout as Buffer;
          res.writeHead(200, { 'content-type': 'application/json' }).end(
            JSON.stringify({ file_name: path.split('/').pop(), file_path: path, size: content.length, encoding: 'base64', content: content.toString('base64'), ref }),
          );
          return;
        }
        const answer = await forward(target, { method: req.method ?? 'GET', path: req.url ?? '/', headers: req.headers }, body);
        res.writeHead(answer.status, answer.headers).end(answer.body);
      } catch (error) {
        res.writeHead(502, { 'content-type': 'application/json' }).end(JSON.stringify({ message: String(error) }));
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    fileRequests,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
