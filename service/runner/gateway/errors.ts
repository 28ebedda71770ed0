import type { ServerResponse } from 'node:http';

// The gateway's own refusals, in the Messages API's error shape so Claude Code shows the message as it is
// ("API Error: <status> <message>"). How Claude Code 2.1.332 reacts was found by experiment (README.md): only
// 402 `billing_error` ends the run after one request on all three providers. 401 and 5xx are retried with backoff;
// 403 is retried for minutes on Bedrock, and on Vertex AI it (like a 402 of another type) makes Claude Code try
// 6 other models first, behind a hint about "the gateway token" that would mislead the reader of the thread.

export class GatewayError extends Error {
  constructor(readonly status: number, readonly type: string, message: string) {
    super(message);
  }
}

/** The one place a refusal becomes a response. */
export function sendError(
  response: ServerResponse,
  error: GatewayError,
  extraHeaders: Record<string, string> = {}
): void {
  if (response.headersSent) {
    response.destroy();
    return;
  }
  const body = JSON.stringify({ type: 'error', error: { type: error.type, message: error.message } });
  response.writeHead(error.status, { 'content-type': 'application/json', ...extraHeaders }).end(body);
}

export const notFound = (path: string) =>
  new GatewayError(404, 'not_found_error', `the model gateway forwards only model calls, not ${path.split('?')[0]}`);

export const wrongKey = () =>
  new GatewayError(401, 'authentication_error', "the model gateway did not get this run's gateway key");

export const tooLarge = (limit: number) =>
  new GatewayError(413, 'request_too_large', `request body over the gateway's limit of ${limit / 1024 / 1024} MiB`);

/** 402 billing_error: Claude Code stops at once and shows the message verbatim. */
export const budgetSpent = (budgetUsd: number, spentUsd: number) =>
  new GatewayError(
    402,
    'billing_error',
    `claude-gitlab-flow: this run's model budget of $${+budgetUsd.toFixed(4)} (CLAUDE_FLOW_MAX_BUDGET_USD) is spent ` +
      `($${spentUsd.toFixed(4)} so far); the model gateway refuses further requests`
  );

/** The credential is missing or could not be had: retrying would not help, so it ends the run like the budget. */
export const noCredential = (detail: string) =>
  new GatewayError(402, 'billing_error', `claude-gitlab-flow's model gateway has no credential to add: ${detail}`);

/** 502 api_error: transient, Claude Code retries. */
export const upstreamUnreachable = (host: string, detail: string) =>
  new GatewayError(502, 'api_error', `the model gateway could not reach ${host}: ${detail}`);
