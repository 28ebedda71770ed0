import { request } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { noteOnIssuePayload, TEST_WEBHOOK_TOKEN } from '../../devtools/payloads.js';
import { startServiceProcess, type ServiceProcess } from '../../devtools/service-process.js';

// SIGTERM while a webhook is under way: Cloud Run stops routing new requests to the instance, then
// signals it; the requests it is already answering must still be stored, queued and answered 202
// (GitLab does not resend a webhook by itself). The request here sends half its body, waits for the
// shutdown to begin, then sends the rest.

let service: ServiceProcess | undefined;
afterEach(async () => {
  await service?.kill().catch(() => undefined);
  service = undefined;
});

describe('graceful stop', () => {
  it('finishes a webhook that was under way at SIGTERM with 202, then exits 0', async () => {
    service = await startServiceProcess({
      name: 'graceful-stop',
      env: { GITLAB_URL: 'http://127.0.0.1:9', GITLAB_TOKEN: 'glpat-graceful-stop', GITLAB_WEBHOOK_SECRET: TEST_WEBHOOK_TOKEN, LOG_LEVEL: 'info' },
    });
    const body = Buffer.from(JSON.stringify(noteOnIssuePayload({ noteId: 7001, body: '@claude please look' })));
    const half = Math.floor(body.length / 2);
    const answer = new Promise<{ status: number; text: string }>((resolve, reject) => {
      const sending = request(`${service!.url}/webhooks/gitlab`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'content-length': body.length, 'x-gitlab-token': TEST_WEBHOOK_TOKEN, 'x-gitlab-event': 'Note Hook' },
      });
      sending.on('response', (response) => {
        let text = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => (text += chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, text }));
      });
      sending.on('error', reject);
      sending.write(body.subarray(0, half));
      // The rest once the service is shutting down.
      void service!
        .waitForLog('the shutdown to begin', (line) => String(line.message).startsWith('shutting down'))
        .then(() => new Promise((resolve) => setTimeout(resolve, 200)))
        .then(() => sending.end(body.subarray(half)), reject);
    });
    // The request must have reached the route (headers read, body pending) before the signal.
    await new Promise((resolve) => setTimeout(resolve, 300));
    const exit = service.stop();

    const { status, text } = await answer;
    expect({ status, text }).toEqual({ status: 202, text: JSON.stringify({ status: 'queued' }) });
    expect(await exit).toEqual({ code: 0, signal: null });
    const logs = service.logs().map((line) => line.message);
    expect(logs).toContain('webhook accepted');
    expect(logs.indexOf('webhook accepted')).toBeGreaterThan(logs.findIndex((message) => String(message).startsWith('shutting down')));
    expect(logs.at(-1)).toBe('shut down cleanly');
  });
});
