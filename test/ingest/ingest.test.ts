import { describe, expect, it } from 'vitest';
import type { QueuedWork } from '../../service/domain.js';
import { createIngest, type IngestDeps } from '../../service/ingest/ingest.js';
import type { IncomingDelivery } from '../../service/ingest/outcome.js';
import { MemoryStore } from '../../service/store/memory-store.js';
import { noteOnIssuePayload, TEST_WEBHOOK_TOKEN } from '../../devtools/payloads.js';
import { captureLogger } from '../support/logs.js';

// Ingest's outcomes without a server: what http/webhook-route.ts turns into GitLab's answers.

function ingestWith(overrides: Partial<IngestDeps> = {}) {
  const published: QueuedWork[] = [];
  const deps: IngestDeps = {
    webhookSecrets: [TEST_WEBHOOK_TOKEN],
    classifyConfig: () => ({
      triggerPhrase: '@claude',
      allowConfidential: false,
      gitlabUrl: 'https://gitlab.example.com',
      selfUsername: 'claude-bot',
    }),
    store: new MemoryStore(),
    debounceMs: 5000,
    publish: async (work) => void published.push(work),
    logger: captureLogger().logger,
    isShuttingDown: () => false,
    ...overrides,
  };
  return { ingest: createIngest(deps), published };
}

function delivery(body: unknown, options: Partial<IncomingDelivery> = {}): IncomingDelivery {
  const bytes = Buffer.from(typeof body === 'string' ? body : JSON.stringify(body));
  const { logger } = captureLogger();
  return {
    token: TEST_WEBHOOK_TOKEN,
    eventHeader: 'Note Hook',
    deliveryId: 'd-1',
    idempotencyKey: undefined,
    readBody: async () => bytes,
    log: () => logger,
    ...options,
  };
}

describe('createIngest', () => {
  it('accepts a mention, then calls its copy a duplicate', async () => {
    const { ingest, published } = ingestWith();
    const payload = noteOnIssuePayload({ noteId: 71, body: '@claude look' });
    expect(await ingest(delivery(payload))).toMatchObject({ kind: 'accepted', work: { kind: 'flow' } });
    expect(await ingest(delivery(payload))).toMatchObject({ kind: 'duplicate' });
    expect(published).toHaveLength(1);
  });

  it('ignores a comment without the trigger phrase, with its reason', async () => {
    const { ingest } = ingestWith();
    const outcome = await ingest(delivery(noteOnIssuePayload({ noteId: 72, body: 'no mention here' })));
    expect(outcome).toMatchObject({ kind: 'ignored', reason: expect.any(String) });
  });

  it('refuses a wrong token without reading the body', async () => {
    const { ingest } = ingestWith();
    const readBody = async (): Promise<Buffer> => expect.unreachable('the body was read');
    expect(await ingest(delivery('{}', { token: 'wrong', readBody }))).toEqual({
      kind: 'unauthenticated',
      reason: 'invalid or missing X-Gitlab-Token',
    });
  });

  it('calls malformed JSON invalid', async () => {
    const { ingest } = ingestWith();
    expect(await ingest(delivery('{"object_kind":'))).toEqual({ kind: 'invalid', reason: 'malformed JSON body' });
  });

  it('is unavailable while shutting down, or when the queue fails', async () => {
    expect(await ingestWith({ isShuttingDown: () => true }).ingest(delivery('{}'))).toEqual({
      kind: 'unavailable',
      reason: 'shutting down; GitLab will retry',
    });
    const failing = ingestWith({ publish: () => Promise.reject(new Error('broker down')) });
    const mention = delivery(noteOnIssuePayload({ noteId: 73, body: '@claude look' }));
    expect(await failing.ingest(mention)).toEqual({
      kind: 'unavailable',
      reason: 'the queue failed; GitLab will retry',
    });
  });
});
