import type { IncomingHttpHeaders } from 'node:http';
import type { HookSender } from '../hooks/deliver.js';
import type { PipelineLifecycle } from '../pipelines/lifecycle.js';
import type { VariableLimits } from '../pipelines/variables.js';
import type { State } from '../state.js';
import type { AccessToken, User } from '../types.js';
import { unauthorized } from './errors.js';
import type { Params } from './params.js';

// A small router over the API paths. Path segments are URL-decoded one by one, so `group%2Fproject`
// reaches a handler as `group/project` while a raw slash still separates segments, as in GitLab's
// routes (which take `:id` as "the ID or URL-encoded path of the project").

/** What every handler can reach. */
export interface Services {
  state: State;
  lifecycle: PipelineLifecycle;
  hooks: HookSender;
  limits: VariableLimits;
  emojiNames: Set<string>;
}

export interface Ctx {
  method: string;
  url: URL;
  /** Path below /api/v4. */
  path: string;
  pathParams: Record<string, string>;
  /** Query and body merged (body wins), as Grape's `params`. */
  params: Params;
  headers: IncomingHttpHeaders;
  user: User | null;
  token: AccessToken | null;
  services: Services;
}

export interface Reply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export type Handler = (ctx: Ctx) => Promise<Reply> | Reply;

interface Route {
  method: string;
  segments: string[];
  handler: Handler;
}

export class Router {
  private readonly routes: Route[] = [];

  get(pattern: string, handler: Handler): void {
    this.add('GET', pattern, handler);
  }

  post(pattern: string, handler: Handler): void {
    this.add('POST', pattern, handler);
  }

  put(pattern: string, handler: Handler): void {
    this.add('PUT', pattern, handler);
  }

  delete(pattern: string, handler: Handler): void {
    this.add('DELETE', pattern, handler);
  }

  match(method: string, rawPath: string): { handler: Handler; params: Record<string, string> } | null {
    const parts = rawPath.split('/').filter((part) => part !== '');
    const wanted = method === 'HEAD' ? 'GET' : method;
    for (const route of this.routes) {
      // A last segment `*name` (Grape's wildcard) takes the rest of the path, at least one part.
      const wildcard = route.segments.at(-1)?.startsWith('*') === true;
      if (route.method !== wanted || (wildcard ? parts.length < route.segments.length : route.segments.length !== parts.length)) continue;
      const params: Record<string, string> = {};
      let ok = true;
      for (let i = 0; i < route.segments.length && ok; i += 1) {
        const segment = route.segments[i] as string;
        const part = parts[i] as string;
        if (segment.startsWith('*')) {
          try {
            params[segment.slice(1)] = parts.slice(i).map((piece) => decodeURIComponent(piece)).join('/');
          } catch {
            ok = false;
          }
        } else if (segment.startsWith(':')) {
          try {
            params[segment.slice(1)] = decodeURIComponent(part);
          } catch {
            ok = false;
          }
        } else {
          ok = segment === part;
        }
      }
      if (ok) return { handler: route.handler, params };
    }
    return null;
  }

  private add(method: string, pattern: string, handler: Handler): void {
    this.routes.push({ method, segments: pattern.split('/').filter((part) => part !== ''), handler });
  }
}

/** `authenticate!`: the endpoints that need a user answer 401 without one. */
export function requireUser(ctx: Ctx): User {
  if (!ctx.user) throw unauthorized();
  return ctx.user;
}

export const json = (status: number, body: unknown, headers?: Record<string, string>): Reply => ({ status, body, headers });
