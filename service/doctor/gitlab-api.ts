// A tiny read-mostly GitLab client for doctor, on plain fetch: every answer comes back as data (status,
// body, error text) and nothing throws, because a refused call is a finding, not a crash. TODO: move
// onto the shared GitLab client once it lands on @gitbeaker/rest.

export interface ApiReply<T = unknown> {
  /** 0 when GitLab could not be reached at all. */
  status: number;
  body: T | null;
  /** Why it failed, in GitLab's words when it gave some; null on a 2xx. */
  error: string | null;
}

export interface GitLabApi {
  get<T>(path: string, query?: Record<string, string>): Promise<ApiReply<T>>;
  /** Every page of a list (per_page=100, following X-Next-Page). */
  getAll<T>(path: string, query?: Record<string, string>): Promise<ApiReply<T[]>>;
  postForm<T>(path: string, form: Record<string, string>, options?: { anonymous?: boolean }): Promise<ApiReply<T>>;
}

export interface GitLabApiOptions {
  baseUrl: string;
  token: string;
  fetch?: typeof fetch;
  timeoutMs?: number;
}

/** The most pages doctor reads of one list; a project with more hooks or variables is unusual. */
const MAX_PAGES = 20;

export function gitlabApi(options: GitLabApiOptions): GitLabApi {
  const apiBase = `${options.baseUrl.replace(/\/+$/, '')}/api/v4`;
  const fetchFn = options.fetch ?? fetch;
  const call = async <T>(
    method: string,
    path: string,
    init: { query?: Record<string, string>; form?: Record<string, string>; anonymous?: boolean },
  ) => {
    const url = new URL(apiBase + path);
    for (const [key, value] of Object.entries(init.query ?? {})) url.searchParams.set(key, value);
    const headers: Record<string, string> = { accept: 'application/json' };
    if (!init.anonymous) headers['private-token'] = options.token;
    if (init.form) headers['content-type'] = 'application/x-www-form-urlencoded';
    try {
      const response = await fetchFn(url, {
        method,
        headers,
        body: init.form ? new URLSearchParams(init.form).toString() : undefined,
        signal: AbortSignal.timeout(options.timeoutMs ?? 10_000),
      });
      return { reply: await toReply<T>(response), nextPage: response.headers.get('x-next-page') ?? '' };
    } catch (error) {
      return {
        reply: {
          status: 0,
          body: null,
          error: describeNetworkError(error, options.timeoutMs ?? 10_000),
        } as ApiReply<T>,
        nextPage: '',
      };
    }
  };
  return {
    async get<T>(path: string, query?: Record<string, string>) {
      return (await call<T>('GET', path, { query })).reply;
    },
    async getAll<T>(path: string, query: Record<string, string> = {}) {
      const items: T[] = [];
      let page = '1';
      for (let read = 0; page !== '' && read < MAX_PAGES; read += 1) {
        const { reply, nextPage } = await call<T[]>('GET', path, { query: { ...query, per_page: '100', page } });
        if (reply.error !== null || !Array.isArray(reply.body)) return reply;
        items.push(...reply.body);
        page = nextPage;
      }
      return { status: 200, body: items, error: null };
    },
    async postForm<T>(path: string, form: Record<string, string>, init: { anonymous?: boolean } = {}) {
      return (await call<T>('POST', path, { form, anonymous: init.anonymous })).reply;
    },
  };
}

/** Project ids and paths both go in one path segment. */
export function projectPath(idOrPath: string): string {
  return `/projects/${encodeURIComponent(idOrPath)}`;
}

async function toReply<T>(response: Response): Promise<ApiReply<T>> {
  const text = await response.text();
  let body: unknown = null;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    // Not JSON: a proxy's or a login page's answer, which says GITLAB_URL is not GitLab's API.
    return {
      status: response.status,
      body: null,
      error: `not a JSON answer (${response.headers.get('content-type') ?? 'no content type'})`,
    };
  }
  if (response.ok) return { status: response.status, body: body as T, error: null };
  const message = gitlabMessage(body);
  // GitLab's messages often start with the status already ("404 Project Not Found").
  return {
    status: response.status,
    body: body as T,
    error: message.startsWith(String(response.status)) ? message : `${response.status} ${message}`,
  };
}

/** GitLab's error bodies: {"message": ...}, {"error": ...} or the OAuth {"error_description": ...}. */
function gitlabMessage(body: unknown): string {
  const fields = (body ?? {}) as Record<string, unknown>;
  const text = fields.error_description ?? fields.message ?? fields.error;
  if (typeof text === 'string') return text;
  return text === undefined ? '' : JSON.stringify(text);
}

function describeNetworkError(error: unknown, timeoutMs: number): string {
  const err = error as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (err.name === 'TimeoutError') return `no answer within ${timeoutMs / 1000} s`;
  return err.cause?.code ?? err.cause?.message ?? err.message ?? String(error);
}
