import { describe, expect, it } from 'vitest';
import {
  DEFAULT_BODY,
  defaultDiscussionId,
  fixture,
  gitlabTimestamp,
  noteHookEvent,
  noteOnCommitPayload,
  noteOnIssuePayload,
  noteOnMergeRequestPayload,
  noteOnSnippetPayload,
  pipelinePayload,
  TEST_WEBHOOK_TOKEN,
  webhookHeaders,
  withField,
  withoutField,
} from '../../devtools/payloads.js';

// The builders other suites use to make realistic deliveries: they must stay GitLab's documented
// payloads with only the named changes, plus the fields real comment events carry.

function keysOf(value: unknown, prefix = ''): string[] {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return [];
  return Object.entries(value).flatMap(([key, child]) => [`${prefix}${key}`, ...keysOf(child, `${prefix}${key}.`)]);
}

describe('note payload builders', () => {
  it.each([
    ['note-issue', noteOnIssuePayload],
    ['note-merge-request', noteOnMergeRequestPayload],
    ['note-commit', noteOnCommitPayload],
    ['note-snippet', noteOnSnippetPayload],
  ] as const)('keep every field of %s', (name, build) => {
    const built = keysOf(build());
    expect(keysOf(fixture(name)).filter((key) => !built.includes(key))).toEqual([]);
  });

  it('adds what real comment events carry and the documented examples omit', () => {
    const attributes = noteOnIssuePayload({ noteId: 10 }).object_attributes;
    expect({ discussion_id: attributes.discussion_id, type: attributes.type, position: attributes.position, internal: attributes.internal, action: attributes.action }).toEqual({
      discussion_id: defaultDiscussionId(5, 10),
      type: null,
      position: null,
      internal: false,
      action: 'create',
    });
    expect(attributes.discussion_id).toMatch(/^[0-9a-f]{40}$/);
  });

  it('applies the options it is given', () => {
    const payload = noteOnIssuePayload({
      projectId: 41,
      projectPath: 'team/app',
      issueIid: 8,
      noteId: 9,
      body: 'hi',
      discussionId: null,
      author: { id: 3, username: 'dana' },
      action: 'update',
      createdAt: new Date('2026-01-02T03:04:05.678Z'),
    });
    expect(payload.project).toMatchObject({ id: 41, path_with_namespace: 'team/app', web_url: 'http://example.com/team/app', git_ssh_url: 'git@example.com:team/app.git' });
    expect(payload.project_id).toBe(41);
    expect(payload.issue).toMatchObject({ iid: 8, id: 92, state: 'opened', confidential: false, url: 'http://example.com/team/app/-/issues/8' });
    expect(payload.user).toMatchObject({ id: 3, username: 'dana', name: 'dana' });
    expect(payload.object_attributes).toMatchObject({ id: 9, note: 'hi', author_id: 3, action: 'update', created_at: '2026-01-02 03:04:05 UTC', updated_at: '2026-01-02 03:04:05 UTC' });
    expect('discussion_id' in payload.object_attributes).toBe(false);
    expect(payload.object_attributes.url).toBe('http://example.com/team/app/-/issues/8#note_9');
  });

  it('defaults to a mention', () => {
    expect(noteOnSnippetPayload().object_attributes.note).toBe(DEFAULT_BODY);
    expect(DEFAULT_BODY).toBe('@claude please take a look');
  });

  it('marks confidential issues and internal notes the way GitLab does', () => {
    expect(noteHookEvent(noteOnIssuePayload())).toBe('Note Hook');
    const confidential = noteOnIssuePayload({ confidential: true });
    expect([confidential.event_type, confidential.issue?.confidential, noteHookEvent(confidential)]).toEqual(['confidential_note', true, 'Confidential Note Hook']);
    const internal = noteOnMergeRequestPayload({ internal: true });
    expect([internal.event_type, internal.object_attributes.internal, noteHookEvent(internal)]).toEqual(['confidential_note', true, 'Confidential Note Hook']);
  });

  it('builds a fork merge request with a different source project', () => {
    const mr = noteOnMergeRequestPayload({ fork: true }).merge_request;
    expect(mr).toMatchObject({ source_project_id: 1005, target_project_id: 5, source_branch: 'feature', target_branch: 'master' });
    expect((mr?.['source'] as { path_with_namespace: string; web_url: string }).web_url).toBe('http://example.com/contributor/gitlab-test');
  });

  it('does not share state between calls', () => {
    const first = noteOnIssuePayload();
    first.object_attributes.note = 'changed';
    expect(noteOnIssuePayload().object_attributes.note).toBe(DEFAULT_BODY);
  });
});

describe('pipelinePayload', () => {
  it('builds one of ours: triggered, with its variables as GitLab lists them', () => {
    const payload = pipelinePayload({ projectId: 5, pipelineId: 40, status: 'running', variables: { AI_FLOW_EVENT: 'mention' } });
    expect(payload.object_attributes).toMatchObject({ id: 40, status: 'running', source: 'trigger', finished_at: null, variables: [{ key: 'AI_FLOW_EVENT', value: 'mention' }] });
    expect(payload.merge_request).toBeNull();
    expect(payload.project.id).toBe(5);
  });

  it('keeps the fixture otherwise', () => {
    const payload = pipelinePayload();
    expect(payload.object_attributes).toMatchObject({ id: 31, status: 'success', source: 'merge_request_event', finished_at: '2016-08-12 15:26:29 UTC', variables: [{ key: 'NESTOR_PROD_ENVIRONMENT', value: 'us-west-1' }] });
    expect(payload.merge_request).toMatchObject({ iid: 1 });
  });
});

describe('webhookHeaders', () => {
  it('sends what GitLab sends', () => {
    expect(webhookHeaders('Note Hook', { token: 's3cret', idempotencyKey: 'key-1', uuid: 'uuid-1' })).toEqual({
      'Content-Type': 'application/json',
      'User-Agent': 'GitLab/17.6.0',
      'X-Gitlab-Event': 'Note Hook',
      'X-Gitlab-Instance': 'http://example.com',
      'X-Gitlab-Webhook-UUID': '2d4a1ce1-5f4c-4a5e-9f3c-7a0a3a8f1b2e',
      'X-Gitlab-Token': 's3cret',
      'X-Gitlab-Event-UUID': 'uuid-1',
      'Idempotency-Key': 'key-1',
    });
  });

  it('defaults the token and makes fresh ids; null leaves a header out', () => {
    const headers = webhookHeaders('Pipeline Hook');
    expect(headers['X-Gitlab-Token']).toBe(TEST_WEBHOOK_TOKEN);
    expect(headers['Idempotency-Key']).toMatch(/^[0-9a-f-]{36}$/);
    expect(headers['Idempotency-Key']).not.toBe(webhookHeaders('Pipeline Hook')['Idempotency-Key']);
    expect(Object.keys(webhookHeaders('Note Hook', { token: null, idempotencyKey: null, uuid: null })).sort()).toEqual(['Content-Type', 'User-Agent', 'X-Gitlab-Event', 'X-Gitlab-Instance', 'X-Gitlab-Webhook-UUID']);
  });
});

describe('helpers', () => {
  it('formats timestamps the way note hooks do', () => {
    expect(gitlabTimestamp(new Date('2015-05-17T18:21:36.999Z'))).toBe('2015-05-17 18:21:36 UTC');
  });

  it('sets and removes nested fields on copies', () => {
    const original = { a: { b: 1, c: 2 } };
    expect(withField(original, 'a.b', 5)).toEqual({ a: { b: 5, c: 2 } });
    expect(withField(original, 'x.y', true)).toEqual({ a: { b: 1, c: 2 }, x: { y: true } });
    expect(withoutField(original, 'a.c')).toEqual({ a: { b: 1 } });
    expect(original).toEqual({ a: { b: 1, c: 2 } });
  });
});
