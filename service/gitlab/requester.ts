import type { Users } from '@gitbeaker/rest';
import { GitLabApiError, parseRetryAfter } from './errors.js';
import { describeErrorBody, encodeBody, encodeQuery, parseBody } from './wire.js';

// The one requester behind every GitLab call, in gitbeaker's extension point (`requesterFn`). Its default
// handler retries 429 and 502 up to ten times inside the call (so a 502 on POST /pipeline can start ten
// pipelines), never reads Retry-After and takes no per-request deadline. This one makes exactly one
// request, with a deadline, and throws GitLabApiError with the status and Retry-After: every retry
// belongs to the queue (nack and redelivery), where it is visible and bounded.

export type RequesterFn = NonNullable<NonNullable<ConstructorParameters<typeof Users>[0]>['requesterFn']>;
export type Requester = ReturnType<RequesterFn>;
type ResourceOptions = Parameters<RequesterFn>[0];
type RequestOptions = NonNullable<Parameters<Requester['get']>[1]>;
type Formatted = Awaited<ReturnType<Requester['get']>>;

export interface RequesterSettings {
  /** Per request, so a hung GitLab cannot hold a queue handler. */
  timeoutMs: number;
  fetch?: typeof fetch;
}

export function oneAttemptRequester(settings: RequesterSettings): RequesterFn {
  return (resource) => {
    const method = (name: string) => (endpoint: string, options?: RequestOptions) =>
      send(settings, resource, name, endpoint, options ?? {});
    // gitbeaker's methods are generic in the body they expect; the body is what GitLab sent.
    return {
      get: method('GET'),
      post: method('POST'),
      put: method('PUT'),
      patch: method('PATCH'),
      delete: method('DELETE'),
    } as Requester;
  };
}

async function send(
  settings: RequesterSettings,
  resource: ResourceOptions,
  method: string,
  endpoint: string,
  options: RequestOptions,
): Promise<Formatted> {
  const url = new URL(endpoint, resource.url.endsWith('/') ? resource.url : `${resource.url}/`);
  url.search = encodeQuery(options.searchParams);
  const path = apiPath(url);
  const headers: Record<string, string> = {
    accept: 'application/json',
    ...resource.headers,
    ...(await authHeader(resource)),
  };
  if (options.sudo !== undefined) headers.sudo = String(options.sudo);
  const body = encodeBody(options.body, headers);
  const deadline = AbortSignal.timeout(settings.timeoutMs);
  const signal = options.signal ? AbortSignal.any([options.signal, deadline]) : deadline;
  let response: Response;
  let text: string;
  try {
    response = await (settings.fetch ?? fetch)(url, { method, headers, body, signal });
    text = await response.text();
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new GitLabApiError(`GitLab ${method} ${path} failed: ${reason}`, 0, method, path);
  }
  // A job log is text/plain, whatever it looks like: never parsed.
  const parsed = /^text\/plain\b/i.test(response.headers.get('content-type') ?? '') ? text : parseBody(text);
  if (!response.ok) {
    const detail = describeErrorBody(parsed, text);
    const retryAfterMs = parseRetryAfter(response.headers.get('retry-after'));
    const message = `GitLab ${method} ${path} answered ${response.status}${detail ? `: ${detail}` : ''}`;
    throw new GitLabApiError(message, response.status, method, path, retryAfterMs);
  }
  const headersRecord = Object.fromEntries(response.headers.entries());
  return {
    body: (response.status === 204 ? null : parsed) as Formatted['body'],
    headers: headersRecord,
    status: response.status,
  };
}

/** gitbeaker keeps the token as a header factory (PRIVATE-TOKEN here); none for the trigger API. */
async function authHeader(resource: ResourceOptions): Promise<Record<string, string>> {
  const [entry] = Object.entries(resource.authHeaders);
  return entry ? { [entry[0]]: await entry[1]() } : {};
}

/** The path below /api/v4, for errors and logs: never the query string. */
function apiPath(url: URL): string {
  const at = url.pathname.indexOf('/api/v4/');
  return at === -1 ? url.pathname : url.pathname.slice(at + '/api/v4'.length);
}
