// One typed place that says whether a GitLab failure is worth retrying (docs/architecture.md): 429, 5xx, timeouts
// and network errors are transient; everything else (401, 403, 404, 400, 409, 422) is permanent.

export class GitLabApiError extends Error {
  override name = 'GitLabApiError';
  constructor(
    message: string,
    /** HTTP status, or 0 for a network error or timeout. */
    readonly status: number,
    readonly method: string,
    /** The API path, without query string (never carries a token). */
    readonly path: string,
    /** From `Retry-After` (429/503), when GitLab sent one. */
    readonly retryAfterMs: number | null = null,
  ) {
    super(message);
  }

  get transient(): boolean {
    return this.status === 0 || this.status === 429 || this.status >= 500;
  }
}

export function isTransient(error: unknown): boolean {
  if (error instanceof GitLabApiError) return error.transient;
  // Anything unexpected (a bug, a store hiccup) is retried: the dead-letter bound keeps it finite.
  return true;
}

/** `Retry-After` is seconds or an HTTP date (RFC 9110 §10.2.3). */
export function parseRetryAfter(value: string | null, now = Date.now()): number | null {
  if (!value) return null;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? null : Math.max(0, date - now);
}
