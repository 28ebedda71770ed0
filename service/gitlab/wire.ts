// How a request's parameters go on the wire, as gitbeaker's own options handler sends them: its typed
// methods pass camelCase names (`sourceBranch`) and rely on the requester to send GitLab's snake_case.

/** xcase's decamelize, which gitbeaker uses: only names that start in lower case change (`AI_FLOW_X` stays). */
function snakeName(name: string): string {
  return /^[a-z]/.test(name) ? name.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`) : name;
}

/** Names in snake_case, recursively; values untouched. */
export function snakeKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(snakeKeys);
  if (value === null || typeof value !== 'object' || value instanceof FormData) return value;
  return Object.fromEntries(Object.entries(value).map(([key, inner]) => [snakeName(key), snakeKeys(inner)]));
}

/** A query string of scalars (arrays as `name[]`), skipping what is undefined. */
export function encodeQuery(params: Record<string, unknown> | undefined): string {
  const query = new URLSearchParams();
  for (const [name, value] of Object.entries(snakeKeys(params ?? {}) as Record<string, unknown>)) {
    if (value === undefined) continue;
    if (Array.isArray(value)) for (const item of value) query.append(`${name}[]`, String(item));
    else query.set(name, String(value));
  }
  return query.toString();
}

/** A JSON body (or gitbeaker's multipart FormData, left to fetch), with its content type. */
export function encodeBody(body: unknown, headers: Record<string, string>): string | FormData | undefined {
  if (body === undefined || body === null) return undefined;
  if (body instanceof FormData) return body;
  headers['content-type'] = 'application/json';
  return JSON.stringify(snakeKeys(body));
}

export function parseBody(text: string): unknown {
  if (!text) return null;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** GitLab's own words for a refusal: `message`, `error` or `error_description`, else the text's start. */
export function describeErrorBody(parsed: unknown, text: string): string {
  if (parsed && typeof parsed === 'object') {
    const record = parsed as Record<string, unknown>;
    const message = record.message ?? record.error ?? record.error_description;
    return typeof message === 'string' ? message : JSON.stringify(message ?? parsed);
  }
  return text.slice(0, 200);
}
