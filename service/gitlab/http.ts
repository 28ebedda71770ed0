import { GitLabApiError, parseRetryAfter } from './errors.js';

// A thin fetch wrapper for GitLab's REST API v4. Not @gitbeaker/rest: its request handler retries 429
// in-process for minutes without reading Retry-After and never retries 5xx, while our retries belong to
// the queue (nack and redelivery), so a handler never blocks and every attempt is visible.

export interface GitLabHttpOptions {
  /** Base URL of the GitLab instance, e.g. https://gitlab.com. */
  baseUrl: string;
  /** Sent as PRIVATE-TOKEN; never logged. Omit for endpoints authenticated in the body (trigger API). */
  token?: string;
  timeoutMs?: number;
  fetch?: typeof fetch;
}

export type Query = Record<string, string | number | boolean | undefined>;

export interface GitLabResponse<T> {
  body: T;
  headers: Headers;
  status: number;
  /** The body as GitLab sent it (a job log is plain text). */
  text: string;
}

export class GitLabHttp {
  private readonly apiBase: string;
  private readonly fetchFn: typeof fetch;
  private readonly timeoutMs: number;

  constructor(private readonly options: GitLabHttpOptions) {
    this.apiBase = `${options.baseUrl.replace(/\/+$/, '')}/api/v4`;
    this.fetchFn = options.fetch ?? fetch;
    this.timeoutMs = options.timeoutMs ?? 10_000;
  }

  async request<T>(method: string, path: string, init: { query?: Query; json?: unknown; form?: URLSearchParams; token?: string | null } = {}): Promise<GitLabResponse<T>> {
    const url = new URL(this.apiBase + path);
    for (const [key, value] of Object.entries(init.query ?? {})) {
      if (value !== undefined) url.searchParams.set(key, String(value));
    }
    const headers: Record<string, string> = { accept: 'application/json' };
    const token = init.token === null ? undefined : init.token ?? this.options.token;
    if (token) headers['private-token'] = token;
    let body: string | undefined;
    if (init.json !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(init.json);
    } else if (init.form) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      body = init.form.toString();
    }
    let response: Response;
    try {
      response = await this.fetchFn(url, { method, headers, body, signal: AbortSignal.timeout(this.timeoutMs) });
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      throw new GitLabApiError(`GitLab ${method} ${path} failed: ${reason}`, 0, method, path);
    }
    const text = await response.text();
    const parsed = text ? safeJson(text) : null;
    if (!response.ok) {
      const detail = describeErrorBody(parsed, text);
      throw new GitLabApiError(
        `GitLab ${method} ${path} answered ${response.status}${detail ? `: ${detail}` : ''}`,
        response.status,
        method,
        path,
        parseRetryAfter(response.headers.get('retry-after')),
      );
    }
    return { body: parsed as T, headers: response.headers, status: response.status, text };
  }

  async get<T>(path: string, query?: Query): Promise<T> {
    return (await this.request<T>('GET', path, { query })).body;
  }

  async getText(path: string, query?: Query): Promise<string> {
    return (await this.request<unknown>('GET', path, { query })).text;
  }

  /** Follows `X-Next-Page` up to `maxPages`, so a huge thread cannot stall a caller. */
  async getAll<T>(path: string, query: Query = {}, maxPages = 20): Promise<T[]> {
    const items: T[] = [];
    let page: string | null = '1';
    for (let fetched = 0; page && fetched < maxPages; fetched += 1) {
      const response: GitLabResponse<T[]> = await this.request<T[]>('GET', path, { query: { per_page: 100, ...query, page } });
      items.push(...(response.body ?? []));
      page = response.headers.get('x-next-page') || null;
    }
    return items;
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function describeErrorBody(parsed: unknown, text: string): string {
  if (parsed && typeof parsed === 'object') {
    const record = parsed as Record<string, unknown>;
    const message = record.message ?? record.error ?? record.error_description;
    return typeof message === 'string' ? message : JSON.stringify(message ?? parsed);
  }
  return text.slice(0, 200);
}

/** GitLab takes a project as its id or its URL-encoded path. */
export function projectPath(projectId: number | string): string {
  return `/projects/${encodeURIComponent(String(projectId))}`;
}
