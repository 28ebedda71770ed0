import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AccessLevel, startGitLabStandIn, type GitLabStandIn, type StandInOptions } from '../../standins/gitlab/index.js';

// Shared set-up for the stand-in's own tests: a seeded world, a tiny API client that returns status,
// headers and parsed body without throwing, and a webhook receiver on a free port.

export interface ApiReply {
  status: number;
  headers: Headers;
  body: any;
  text: string;
}

export function client(gitlab: GitLabStandIn, token?: string) {
  const call = async (method: string, path: string, init: { json?: unknown; form?: string; headers?: Record<string, string> } = {}): Promise<ApiReply> => {
    const headers: Record<string, string> = { ...(init.headers ?? {}) };
    if (token) headers['private-token'] = token;
    let body: string | undefined;
    if (init.json !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(init.json);
    } else if (init.form !== undefined) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      body = init.form;
    }
    const response = await fetch(`${gitlab.apiUrl}${path}`, { method, headers, body });
    const text = await response.text();
    let parsed: unknown = null;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      parsed = text;
    }
    return { status: response.status, headers: response.headers, body: parsed, text };
  };
  return {
    get: (path: string, headers?: Record<string, string>) => call('GET', path, { headers }),
    post: (path: string, json?: unknown, headers?: Record<string, string>) => call('POST', path, { json, headers }),
    postForm: (path: string, form: string) => call('POST', path, { form }),
    put: (path: string, json?: unknown) => call('PUT', path, { json }),
    delete: (path: string) => call('DELETE', path),
    call,
  };
}

/** A project with the usual cast: a bot (Maintainer), a developer, a reporter, a guest and an outsider. */
export async function world(options: StandInOptions = {}) {
  const gitlab = await startGitLabStandIn(options);
  const bot = gitlab.addUser({ username: 'claude-bot', name: 'Claude', bot: true });
  const dev = gitlab.addUser({ username: 'dana' });
  const reporter = gitlab.addUser({ username: 'rita' });
  const guest = gitlab.addUser({ username: 'gus' });
  const outsider = gitlab.addUser({ username: 'otto' });
  const project = gitlab.addProject({ path: 'group/project', branches: ['main', 'feature'] });
  gitlab.addMember(project.id, bot.id, AccessLevel.maintainer);
  gitlab.addMember(project.id, dev.id, AccessLevel.developer);
  gitlab.addMember(project.id, reporter.id, AccessLevel.reporter);
  gitlab.addMember(project.id, guest.id, AccessLevel.guest);
  return { gitlab, bot, dev, reporter, guest, outsider, project };
}

export interface ReceivedHook {
  headers: IncomingHttpHeaders;
  body: any;
}

/** A webhook receiver that answers with the statuses in `answers` (then 200), recording every request. */
export async function hookReceiver(answers: number[] = []) {
  const received: ReceivedHook[] = [];
  const queue = [...answers];
  const server: Server = createServer((req, res) => {
    let data = '';
    req.on('data', (chunk) => (data += chunk));
    req.on('end', () => {
      received.push({ headers: req.headers, body: JSON.parse(data) });
      res.writeHead(queue.shift() ?? 200).end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/webhooks/gitlab`,
    received,
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}
