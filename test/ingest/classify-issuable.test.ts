import { describe, expect, it } from 'vitest';
import { isEventNoteId, type FlowRequest } from '../../service/domain.js';
import { classifyWebhook, type Classification, type ClassifyConfig } from '../../service/ingest/classify.js';
import { dedupeKeys } from '../../service/ingest/store-delivery.js';
import { fixture, withField } from '../../devtools/payloads.js';

// Merge Request Hook and Issue Hook (GitLab's documented payloads, devtools/fixtures/) to event requests.

const CONFIG: ClassifyConfig = { triggerPhrase: '@claude', allowConfidential: false, gitlabUrl: 'https://gitlab.example.com', selfUsername: 'claude-bot' };
const BOT = { id: 99, name: 'Claude', username: 'claude-bot' };
const OTHER = { id: 7, name: 'Rita', username: 'rita' };

function classify(event: string, payload: unknown, config: Partial<ClassifyConfig> = {}): Classification {
  return classifyWebhook({ eventHeader: event, deliveryId: 'd-1', payload, receivedAt: new Date('2026-12-03T10:00:00Z') }, { ...CONFIG, ...config });
}

function flow(classification: Classification): FlowRequest {
  if (classification.kind !== 'flow') throw new Error(`expected a flow, got ${JSON.stringify(classification)}`);
  return classification.request;
}

/** The documented MR hook with only `changes.reviewers` changed (the rest of its changes removed). */
function reviewersChanged(previous: unknown[], current: unknown[]): Record<string, unknown> {
  return withField(fixture('merge-request'), 'changes', { reviewers: { previous, current }, updated_at: { previous: '2017-09-15 16:50:55 UTC', current: '2017-09-15 16:52:00 UTC' } });
}

describe('a Merge Request Hook', () => {
  it('asking the bot to review is an assign_reviewer request on the MR, in the MR and event thread', () => {
    const request = flow(classify('Merge Request Hook', reviewersChanged([OTHER], [OTHER, BOT])));
    expect(request.event).toBe('assign_reviewer');
    expect(request.author).toEqual({ id: 1, username: 'root', name: 'Administrator' });
    expect(request.noteable).toMatchObject({ type: 'MergeRequest', iid: 1, sourceBranch: 'ms-viewport', targetBranch: 'master', fork: false });
    expect(request.threadKey).toBe('1:MergeRequest:1:event-assign_reviewer');
    expect(request.note.discussionId).toBeNull();
    expect(isEventNoteId(request.note.id)).toBe(true);
    expect(request.note.createdAt).toBe('2013-12-03T17:23:34.000Z'); // object_attributes.updated_at
  });

  it('a second hook for the same change has the same dedupe key; a later re-request another', () => {
    const first = flow(classify('Merge Request Hook', reviewersChanged([], [BOT])));
    const copy = flow(classify('Merge Request Hook', reviewersChanged([], [BOT])));
    const later = flow(classify('Merge Request Hook', withField(reviewersChanged([], [BOT]), 'object_attributes.updated_at', '2017-09-15 17:01:00 UTC')));
    const key = (request: FlowRequest) => dedupeKeys(undefined, { kind: 'flow', request });
    expect(key(copy)).toEqual(key(first));
    expect(key(first)[0]).toMatch(/^event:/);
    expect(key(later)).not.toEqual(key(first));
    expect(later.threadKey).toBe(first.threadKey);
  });

  it('ignores the bot already a reviewer, removed, or someone else added', () => {
    expect(classify('Merge Request Hook', reviewersChanged([BOT], [BOT, OTHER]))).toMatchObject({ kind: 'ignore' });
    expect(classify('Merge Request Hook', reviewersChanged([BOT], []))).toMatchObject({ kind: 'ignore' });
    expect(classify('Merge Request Hook', reviewersChanged([], [OTHER]))).toMatchObject({ kind: 'ignore' });
  });

  it('never triggers on what the bot (or another bot) did, nor before the bot is known', () => {
    const byBot = withField(reviewersChanged([], [BOT]), 'user', BOT);
    expect(classify('Merge Request Hook', byBot)).toEqual({ kind: 'ignore', reason: "merge request changed by the service's own user claude-bot" });
    const byTokenBot = withField(reviewersChanged([], [BOT]), 'user', { id: 5, name: 'bot', username: 'project_12_bot_abc123' });
    expect(classify('Merge Request Hook', byTokenBot)).toMatchObject({ kind: 'ignore' });
    expect(classify('Merge Request Hook', reviewersChanged([], [BOT]), { selfUsername: null })).toMatchObject({ kind: 'ignore' });
  });

  it('a draft marked ready (the documented hook) is a review only with REVIEW_ON_READY', () => {
    expect(classify('Merge Request Hook', fixture('merge-request'))).toMatchObject({ kind: 'ignore' });
    expect(flow(classify('Merge Request Hook', fixture('merge-request'), { reviewOnReady: true })).event).toBe('ready');
  });

  it('TRIGGER_LABEL newly on it (the documented hook adds Platform) is a label request', () => {
    const request = flow(classify('Merge Request Hook', fixture('merge-request'), { triggerLabel: 'Platform' }));
    expect(request).toMatchObject({ event: 'label', label: 'Platform', threadKey: '1:MergeRequest:1:event-label' });
    expect(classify('Merge Request Hook', fixture('merge-request'), { triggerLabel: 'API' })).toMatchObject({ kind: 'ignore' });
  });

  it('ignores actions other than open, update and reopen', () => {
    const merged = withField(reviewersChanged([], [BOT]), 'object_attributes.action', 'merge');
    expect(classify('Merge Request Hook', merged)).toEqual({ kind: 'ignore', reason: 'merge request action "merge" does not trigger' });
  });
});

describe('an Issue Hook', () => {
  const assigned = (previous: unknown[], current: unknown[]) => withField(fixture('issue'), 'changes', { assignees: { previous, current } });

  it('assigning the bot is an assign request with the issue as the request', () => {
    const request = flow(classify('Issue Hook', assigned([], [BOT])));
    expect(request).toMatchObject({ event: 'assign', threadKey: '1:Issue:23:event-assign', noteable: { type: 'Issue', iid: 23 } });
  });

  it('TRIGGER_LABEL added is a label request', () => {
    expect(flow(classify('Issue Hook', fixture('issue'), { triggerLabel: 'Platform' })).event).toBe('label');
    expect(classify('Issue Hook', fixture('issue'))).toMatchObject({ kind: 'ignore' });
  });

  it('a confidential issue only with ALLOW_CONFIDENTIAL', () => {
    expect(classify('Confidential Issue Hook', assigned([], [BOT]))).toEqual({ kind: 'ignore', reason: 'confidential issue: triggers only with ALLOW_CONFIDENTIAL=true' });
    expect(flow(classify('Confidential Issue Hook', assigned([], [BOT]), { allowConfidential: true })).noteable.confidential).toBe(true);
  });

  it('a payload without what GitLab sends is refused by name', () => {
    expect(classify('Issue Hook', withField(assigned([], [BOT]), 'object_attributes.iid', 'x'))).toMatchObject({ kind: 'invalid', reason: expect.stringContaining('object_attributes.iid') });
  });
});
