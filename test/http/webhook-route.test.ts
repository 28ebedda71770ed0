import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { noteDigest } from '../../service/note-digest.js';
import { parseProjectScope, type ProjectScope } from '../../service/project-scope.js';
import {
  FIXTURE_EVENT,
  fixture,
  fixtureText,
  noteHookEvent,
  noteOnIssuePayload,
  pipelinePayload,
  TEST_WEBHOOK_TOKEN,
  webhookHeaders,
} from '../../devtools/payloads.js';
import { startAppUnderTest, type AppUnderTest } from '../support/service-app.js';

// Every status code ingest answers (docs/architecture.md, "A message's path"), through the real app on a real port with GitLab's own payload bytes.

let app: AppUnderTest;
beforeAll(async () => {
  app = await startAppUnderTest({ maxBodyBytes: 64 * 1024 });
});
afterAll(() => app.close());

async function post(body: string, headers: Record<string, string>, to: AppUnderTest = app): Promise<{ status: number; json: Record<string, unknown> }> {
  const response = await fetch(`${to.url}/webhooks/gitlab`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
  return { status: response.status, json: (await response.json()) as Record<string, unknown> };
}

describe('POST /webhooks/gitlab', () => {
  it('queues an @claude comment of its project with 202', async () => {
    const payload = noteOnIssuePayload({ projectId: 41, noteId: 9001, body: '@claude fix the flaky test' });
    const before = app.published.length;
    const { status, json } = await post(JSON.stringify(payload), webhookHeaders(noteHookEvent(payload)));
    expect(status).toBe(202);
    expect(json).toEqual({ status: 'queued' });
    expect(app.published.length).toBe(before + 1);
    const last = app.published.at(-1);
    expect(last?.work.kind === 'flow' && last.work.request.project.id).toBe(41);
    // The queue carries ids and a digest of the text, not the text.
    expect(last?.work.kind === 'flow' && last.work.request.note.bodyDigest).toBe(noteDigest('@claude fix the flaky test'));
    expect(JSON.stringify(last?.work)).not.toContain('flaky');
  });

  it('answers 401 to a missing or wrong X-Gitlab-Token and queues nothing', async () => {
    const payload = JSON.stringify(noteOnIssuePayload({ noteId: 9002 }));
    const before = app.published.length;
    const missing = await post(payload, { 'x-gitlab-event': 'Note Hook' });
    const wrong = await post(payload, { 'x-gitlab-event': 'Note Hook', 'x-gitlab-token': `${TEST_WEBHOOK_TOKEN}x` });
    expect([missing.status, wrong.status]).toEqual([401, 401]);
    expect(app.published.length).toBe(before);
  });

  it('answers 400 to malformed JSON', async () => {
    const { status, json } = await post('{"object_kind": "note",', webhookHeaders('Note Hook'));
    expect(status).toBe(400);
    expect(json.error).toBe('malformed JSON body');
  });

  it('answers 413 to a body over the limit', async () => {
    const payload = noteOnIssuePayload({ noteId: 9003, body: `@claude ${'x'.repeat(70 * 1024)}` });
    const { status } = await post(JSON.stringify(payload), webhookHeaders('Note Hook'));
    expect(status).toBe(413);
  });

  it('answers 2xx with a reason to events it does not act on', async () => {
    for (const name of ['issue', 'merge-request', 'emoji-award-on-issue-note', 'note-merge-request'] as const) {
      const { status, json } = await post(fixtureText(name), webhookHeaders(FIXTURE_EVENT[name]));
      expect(status, name).toBe(200);
      expect(json.status, name).toBe('ignored');
      expect(String(json.reason).length, name).toBeGreaterThan(5);
    }
  });

  it('accepts a Merge Request Hook asking the bot to review (202), and answers other MR actions 200 with the reason', async () => {
    const asked: Record<string, unknown> = { ...fixture('merge-request'), changes: { reviewers: { previous: [], current: [{ id: 99, username: 'claude-bot' }] } } };
    const accepted = await post(JSON.stringify(asked), webhookHeaders('Merge Request Hook', { idempotencyKey: 'mr-review-1' }));
    expect(accepted.status).toBe(202);
    const merged = { ...asked, object_attributes: { ...asked.object_attributes as object, action: 'merge' } };
    const ignored = await post(JSON.stringify(merged), webhookHeaders('Merge Request Hook', { idempotencyKey: 'mr-merge-1' }));
    expect(ignored).toMatchObject({ status: 200, json: { status: 'ignored', reason: 'merge request action "merge" does not trigger' } });
  });

  it('answers 503 when the queue cannot store the event, and accepts its retry afterwards', async () => {
    const payload = noteOnIssuePayload({ noteId: 9004 });
    const headers = webhookHeaders(noteHookEvent(payload), { idempotencyKey: 'retry-me' });
    app.failPublish(true);
    const failed = await post(JSON.stringify(payload), headers);
    app.failPublish(false);
    expect(failed.status).toBe(503);
    const retried = await post(JSON.stringify(payload), headers);
    expect(retried.status).toBe(202);
  });

  it('queues the same delivery once (Idempotency-Key) and the same note version once', async () => {
    const payload = noteOnIssuePayload({ noteId: 9005 });
    const before = app.published.length;
    const first = await post(JSON.stringify(payload), webhookHeaders('Note Hook', { idempotencyKey: 'same-delivery' }));
    const again = await post(JSON.stringify(payload), webhookHeaders('Note Hook', { idempotencyKey: 'same-delivery' }));
    const otherKey = await post(JSON.stringify(payload), webhookHeaders('Note Hook', { idempotencyKey: 'another-delivery' }));
    expect([first.status, again.status, otherKey.status]).toEqual([202, 200, 200]);
    expect(again.json.status).toBe('duplicate');
    expect(app.published.length).toBe(before + 1);
  });

  it('records a mention in its thread before answering 202, and sends its place in the thread along', async () => {
    const first = noteOnIssuePayload({ projectId: 43, noteId: 9101, body: '@claude one', discussionId: 'd'.repeat(40) });
    const second = noteOnIssuePayload({ projectId: 43, noteId: 9102, body: '@claude two', discussionId: 'd'.repeat(40) });
    for (const payload of [first, second]) expect((await post(JSON.stringify(payload), webhookHeaders(noteHookEvent(payload)))).status).toBe(202);
    const [a, b] = app.published.slice(-2).map((entry) => entry.work);
    expect(a?.kind === 'flow' && b?.kind === 'flow').toBe(true);
    if (a?.kind !== 'flow' || b?.kind !== 'flow') return;
    expect(a.request.threadKey).toBe(b.request.threadKey);
    expect([a.seq, b.seq]).toEqual([1, 2]);
    // Both already wait in the thread's window: a claim by the later one takes the earlier one along,
    // whether or not a worker ever saw the earlier message.
    const claim = await app.store.claimThread(b.request.threadKey, 2, 9102, 'run-ingest', Date.now() + 10_000, 3_600_000);
    expect(claim.status === 'claimed' && claim.run.mentions.map((mention) => mention.noteId)).toEqual([9101, 9102]);
  });

  it('answers 202 when the store cannot record the mention, and queues it unrecorded for the worker to record', async () => {
    const payload = noteOnIssuePayload({ projectId: 44, noteId: 9103 });
    const before = app.published.length;
    const acceptMention = app.store.acceptMention.bind(app.store);
    app.store.acceptMention = () => Promise.reject(new Error('store unavailable'));
    try {
      expect((await post(JSON.stringify(payload), webhookHeaders(noteHookEvent(payload)))).status).toBe(202);
    } finally {
      app.store.acceptMention = acceptMention;
    }
    expect(app.published.length).toBe(before + 1);
    const work = app.published.at(-1)?.work;
    expect(work?.kind === 'flow' && work.request.note.id).toBe(9103);
    expect(work?.kind === 'flow' && 'seq' in work).toBe(false);
    // No dedupe key stayed taken: a resend is recorded and queued again (the worker's claims absorb the copy).
    expect((await post(JSON.stringify(payload), webhookHeaders(noteHookEvent(payload)))).status).toBe(202);
    const resent = app.published.at(-1)?.work;
    expect(resent?.kind === 'flow' && resent.seq).toBeTypeOf('number');
  });

  it('takes the dedupe keys and records the mention in one store call: a failed call leaves no key to turn the resend away', async () => {
    const payload = noteOnIssuePayload({ projectId: 44, noteId: 9104 });
    const headers = webhookHeaders(noteHookEvent(payload), { idempotencyKey: 'keys-unwritable' });
    const before = app.published.length;
    const calls = { acceptMention: 0, rememberOnce: 0, recordMention: 0 };
    const store = app.store;
    const real = { acceptMention: store.acceptMention.bind(store), rememberOnce: store.rememberOnce.bind(store), recordMention: store.recordMention.bind(store) };
    store.acceptMention = (...args) => {
      calls.acceptMention += 1;
      return calls.acceptMention === 1 ? Promise.reject(new Error('store unavailable')) : real.acceptMention(...args);
    };
    store.rememberOnce = (...args) => ((calls.rememberOnce += 1), real.rememberOnce(...args));
    store.recordMention = (...args) => ((calls.recordMention += 1), real.recordMention(...args));
    try {
      expect((await post(JSON.stringify(payload), headers)).status).toBe(202);
      expect(await store.isRemembered('delivery:keys-unwritable', Date.now())).toBe(false);
      expect((await post(JSON.stringify(payload), headers)).status).toBe(202);
    } finally {
      Object.assign(store, real);
    }
    expect(calls).toEqual({ acceptMention: 2, rememberOnce: 0, recordMention: 0 });
    expect(app.published.length).toBe(before + 2);
    const resent = app.published.at(-1)?.work;
    expect(resent?.kind === 'flow' && resent.seq).toBeTypeOf('number');
    expect((await post(JSON.stringify(payload), headers)).status).toBe(200);
  });

  it('answers 503 when the queue cannot take the mention, and gives the keys back for the resend', async () => {
    const payload = noteOnIssuePayload({ projectId: 44, noteId: 9105 });
    const headers = webhookHeaders(noteHookEvent(payload), { idempotencyKey: 'queue-refuses' });
    const before = app.published.length;
    app.failPublish(true);
    try {
      expect((await post(JSON.stringify(payload), headers)).status).toBe(503);
    } finally {
      app.failPublish(false);
    }
    expect(app.published.length).toBe(before);
    expect((await post(JSON.stringify(payload), headers)).status).toBe(202);
  });

  it('queues a Pipeline Hook of a Claude pipeline (to free its slot)', async () => {
    const payload = pipelinePayload({ projectId: 41, pipelineId: 77, status: 'success', variables: { AI_FLOW_EVENT: 'mention' } });
    const { status } = await post(JSON.stringify(payload), webhookHeaders('Pipeline Hook'));
    expect(status).toBe(202);
    const last = app.published.at(-1);
    expect(last?.work.kind).toBe('pipeline');
  });

  it('never writes the token or the secret into its logs', () => {
    expect(app.logText()).not.toContain(TEST_WEBHOOK_TOKEN);
    expect(app.logs.every((line) => typeof line.severity === 'string' && typeof line.message === 'string')).toBe(true);
  });
});

describe('POST /webhooks/gitlab with a store or queue slower than its answer', () => {
  let slow: AppUnderTest;
  beforeAll(async () => {
    slow = await startAppUnderTest({ answerWithinMs: 300 });
  });
  afterAll(() => slow.close());

  it('answers 202 in time with the mention unrecorded when the store is late, and the late write still dedupes the resend', async () => {
    const payload = noteOnIssuePayload({ projectId: 45, noteId: 9201, discussionId: 'e'.repeat(40) });
    const headers = webhookHeaders(noteHookEvent(payload), { idempotencyKey: 'slow-store' });
    const send = () => post(JSON.stringify(payload), headers, slow);
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    const acceptMention = slow.store.acceptMention.bind(slow.store);
    slow.store.acceptMention = async (...args) => {
      await held;
      return acceptMention(...args);
    };
    const startedAt = performance.now();
    try {
      expect((await send()).status).toBe(202);
      expect(performance.now() - startedAt).toBeLessThan(2000);
      expect(slow.published).toHaveLength(1);
    } finally {
      slow.store.acceptMention = acceptMention;
      release();
    }
    const work = slow.published[0]?.work;
    expect(work?.kind === 'flow' && 'seq' in work).toBe(false);
    // The late write recorded the mention under the keys it took: a resend is a duplicate.
    await vi.waitFor(async () => expect(await slow.store.mentionState(9201, work?.kind === 'flow' ? work.request.threadKey : '')).not.toBe('unknown'));
    expect((await send()).status).toBe(200);
    expect(slow.published).toHaveLength(1);
  });

  it('queues the resend when the first attempt never finishes storing (its keys cannot turn the resend away)', async () => {
    const payload = noteOnIssuePayload({ projectId: 46, noteId: 9202, discussionId: 'f'.repeat(40) });
    const headers = webhookHeaders(noteHookEvent(payload), { idempotencyKey: 'dies-midway' });
    const send = () => post(JSON.stringify(payload), headers, slow);
    const before = slow.published.length;
    // The first attempt's store write never returns: as if its instance died in the middle of it.
    const acceptMention = slow.store.acceptMention.bind(slow.store);
    slow.store.acceptMention = () => new Promise(() => undefined);
    try {
      expect((await send()).status).toBe(202);
    } finally {
      slow.store.acceptMention = acceptMention;
    }
    expect((await send()).status).toBe(202);
    expect(slow.published.length).toBe(before + 2);
    const resent = slow.published.at(-1)?.work;
    expect(resent?.kind === 'flow' && resent.seq).toBeTypeOf('number');
  });

  it('answers 503 in time when the queue does not confirm the publish, remembers nothing, and queues the resend', async () => {
    const payload = noteOnIssuePayload({ projectId: 47, noteId: 9203 });
    const headers = webhookHeaders(noteHookEvent(payload), { idempotencyKey: 'paused-broker' });
    const send = () => post(JSON.stringify(payload), headers, slow);
    const before = slow.published.length;
    slow.hangPublish(true);
    try {
      expect((await send()).status).toBe(503);
    } finally {
      slow.hangPublish(false);
    }
    expect(await slow.store.isRemembered('delivery:paused-broker', Date.now())).toBe(false);
    expect((await send()).status).toBe(202);
    expect(slow.published.length).toBe(before + 1);
  });

  it('writes a Pipeline Hook\'s keys only after its publish: an attempt that dies first cannot turn the resend away', async () => {
    const payload = pipelinePayload({ projectId: 49, pipelineId: 78, status: 'success', variables: { AI_FLOW_EVENT: 'mention' } });
    const headers = webhookHeaders('Pipeline Hook', { idempotencyKey: 'hook-dies-midway' });
    const send = () => post(JSON.stringify(payload), headers, slow);
    const before = slow.published.length;
    // A dead instance gives nothing back: the publish never confirms and no key is ever forgotten.
    const forget = slow.store.forget.bind(slow.store);
    slow.store.forget = () => Promise.reject(new Error('instance gone'));
    slow.hangPublish(true);
    try {
      expect((await send()).status).toBe(503);
    } finally {
      slow.hangPublish(false);
      slow.store.forget = forget;
    }
    expect((await send()).status).toBe(202);
    expect(slow.published.length).toBe(before + 1);
    // Published, then remembered: the next copy is a duplicate.
    expect((await send()).json).toMatchObject({ status: 'duplicate' });
    expect(slow.published.length).toBe(before + 1);
  });
});

describe('POST /webhooks/gitlab with ALLOWED_PROJECTS and scoped secrets', () => {
  let scoped: AppUnderTest;
  beforeAll(async () => {
    scoped = await startAppUnderTest({
      access: {
        allowedProjects: [parseProjectScope('acme') as ProjectScope, parseProjectScope('77') as ProjectScope],
        scopedWebhookSecrets: [{ scope: parseProjectScope('acme/platform') as ProjectScope, secret: 'platform-secret-00001' }],
      },
    });
  });
  afterAll(() => scoped.close());
  const mention = (projectId: number, projectPath: string) => JSON.stringify(noteOnIssuePayload({ projectId, projectPath, noteId: projectId * 10 + projectPath.length }));

  it.each([
    ['a project outside the list, shared secret', 5, 'other/app', TEST_WEBHOOK_TOKEN, 200, 'is not in ALLOWED_PROJECTS'],
    ['a listed project, shared secret', 6, 'acme/app', TEST_WEBHOOK_TOKEN, 202, null],
    ['a listed id, shared secret', 77, 'elsewhere/app', TEST_WEBHOOK_TOKEN, 202, null],
    ['a project with its own secret, shared secret', 8, 'acme/platform/api', TEST_WEBHOOK_TOKEN, 200, 'has its own webhook secret'],
    ['a project with its own secret, its secret', 9, 'acme/platform/api', 'platform-secret-00001', 202, null],
    ['another project, the scoped secret', 10, 'acme/app', 'platform-secret-00001', 200, 'has its own webhook secret'],
  ])('%s: %s', async (_label, projectId, path, token, status, reason) => {
    const before = scoped.published.length;
    const { status: answered, json } = await post(mention(projectId, path), webhookHeaders('Note Hook', { token }), scoped);
    expect(answered).toBe(status);
    if (reason) expect(json).toEqual({ status: 'ignored', reason: expect.stringContaining(reason) });
    expect(scoped.published.length).toBe(before + (status === 202 ? 1 : 0));
    const published = scoped.published.at(-1)?.work;
    if (status === 202 && published?.kind === 'flow') expect(published.request.webhookSecret).toEqual({ shared: token === TEST_WEBHOOK_TOKEN, scopes: token === TEST_WEBHOOK_TOKEN ? [] : ['acme/platform'] });
  });

  it('answers 401 to a token that is no configured secret', async () => {
    expect((await post(mention(6, 'acme/app'), webhookHeaders('Note Hook', { token: 'not-a-secret-at-all' }), scoped)).status).toBe(401);
  });
});

describe('GET /healthz', () => {
  it('answers 200', async () => {
    const response = await fetch(`${app.url}/healthz`);
    expect(response.status).toBe(200);
  });
});
