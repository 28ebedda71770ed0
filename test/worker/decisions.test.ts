import { describe, expect, it } from 'vitest';
import type { FlowRequest } from '../../service/domain.js';
import { classifyWebhook } from '../../service/ingest/classify.js';
import { pipelineVariables } from '../../service/flow-variables.js';
import { backoffMs, chooseRef, decideAuthor } from '../../service/worker/decisions.js';
import { diffNoteOnMergeRequestPayload, noteOnCommitPayload, noteOnIssuePayload, noteOnMergeRequestPayload, noteOnSnippetPayload } from '../../devtools/payloads.js';

// The worker's pure decisions, on requests classified from GitLab's own payloads.

function requestOf(payload: unknown): FlowRequest {
  const result = classifyWebhook(
    { eventHeader: 'Note Hook', deliveryId: 'd', payload, receivedAt: new Date('2026-11-26T03:00:00Z') },
    { triggerPhrase: '@claude', allowConfidential: true, gitlabUrl: 'https://gitlab.example.com' },
  );
  if (result.kind !== 'flow') throw new Error(`fixture did not classify as a flow: ${JSON.stringify(result)}`);
  // As the worker has it after reading the note from GitLab: with its text.
  const body = (payload as { object_attributes: { note: string } }).object_attributes.note;
  return { ...result.request, note: { ...result.request.note, body } };
}

describe('chooseRef', () => {
  it.each([
    ['issue comment', noteOnIssuePayload(), 'master'],
    ['commit comment', noteOnCommitPayload(), 'master'],
    ['snippet comment', noteOnSnippetPayload(), 'master'],
    ['open same-project MR', noteOnMergeRequestPayload({ sourceBranch: 'feature', state: 'opened' }), 'feature'],
    ['diff comment on an open MR', diffNoteOnMergeRequestPayload({ sourceBranch: 'feature' }), 'feature'],
    ['closed MR', noteOnMergeRequestPayload({ sourceBranch: 'feature', state: 'closed' }), 'master'],
    ['merged MR', noteOnMergeRequestPayload({ sourceBranch: 'feature', state: 'merged' }), 'master'],
    ['MR from a fork', noteOnMergeRequestPayload({ sourceBranch: 'feature', fork: true }), 'master'],
  ])('%s runs on %s', (_label, payload, ref) => {
    expect(chooseRef(requestOf(payload)).ref).toBe(ref);
  });
});

describe('decideAuthor', () => {
  const self = { id: 99, username: 'claude-bot', bot: false, state: 'active' };
  const human = { id: 7, username: 'dana', bot: false, state: 'active' };
  const developer = { id: 7, username: 'dana', access_level: 30, state: 'active', membership_state: 'active' };
  it.each([
    ['a Developer', { authorId: 7, user: human, member: developer }, true],
    ['the service itself', { authorId: 99, user: self, member: { ...developer, id: 99 } }, false],
    ['a bot', { authorId: 7, user: { ...human, bot: true }, member: developer }, false],
    ['a blocked user', { authorId: 7, user: { ...human, state: 'blocked' }, member: developer }, false],
    ['a non-member', { authorId: 7, user: human, member: null }, false],
    ['a Reporter', { authorId: 7, user: human, member: { ...developer, access_level: 20 } }, false],
    ['an awaiting membership', { authorId: 7, user: human, member: { ...developer, membership_state: 'awaiting' } }, false],
    ['a membership without membership_state', { authorId: 7, user: human, member: { ...developer, membership_state: undefined } }, false],
    ['a user record without bot', { authorId: 7, user: { ...human, bot: null }, member: developer }, false],
    ['a user record without state', { authorId: 7, user: { ...human, state: null }, member: developer }, false],
    ['a Maintainer', { authorId: 7, user: human, member: { ...developer, access_level: 40 } }, true],
  ])('%s: allowed=%s', (_label, input, allowed) => {
    expect(decideAuthor({ ...input, self, minAccessLevel: 30 }).allowed).toBe(allowed);
  });
});

describe('pipelineVariables', () => {
  it('joins coalesced inputs with a blank line and lists every note id, context from the last', () => {
    const first = requestOf(noteOnIssuePayload({ noteId: 1, body: '@claude one', createdAt: new Date('2026-11-26T03:00:00Z') }));
    const last = requestOf(noteOnIssuePayload({ noteId: 2, body: "@claude two $(rm -rf /) `x` \"q\"\nline", createdAt: new Date('2026-11-26T03:00:02Z') }));
    const variables = pipelineVariables([{ noteId: 1, request: first }, { noteId: 2, request: last }], 555, 'https://gitlab.example.com');
    expect(variables.AI_FLOW_INPUT).toBe("@claude one\n\n@claude two $(rm -rf /) `x` \"q\"\nline");
    expect(variables.AI_FLOW_EVENT).toBe('mention');
    const context = JSON.parse(variables.AI_FLOW_CONTEXT);
    expect(context).toEqual({
      version: 1,
      gitlab_url: 'https://gitlab.example.com',
      project: { id: 5, path: 'gitlab-org/gitlab-test', default_branch: 'master' },
      noteable: expect.objectContaining({ type: 'Issue', iid: 17, fork: false, commit_sha: null, source_branch: null, confidential: false }),
      discussion_id: last.note.discussionId,
      trigger_note_ids: [1, 2],
      tracking_note_id: 555,
      author: { id: 1, username: 'root' },
      triggered_at: '2026-11-26T03:00:02.000Z',
      position: null,
    });
    expect(variables.AI_FLOW_THREAD).toMatch(/^issue-17-[0-9a-f]{12}$/);
    expect(Object.values(variables).every((value) => typeof value === 'string')).toBe(true);
    expect(variables.AI_FLOW_CONTEXT.length).toBeLessThan(2048);
  });

  it('carries the commit sha for commit comments', () => {
    const request = requestOf(noteOnCommitPayload());
    const context = JSON.parse(pipelineVariables([{ noteId: request.note.id, request }], 1, 'https://g').AI_FLOW_CONTEXT);
    expect(context.noteable.type).toBe('Commit');
    expect(context.noteable.commit_sha).toMatch(/^[0-9a-f]{40}$/);
  });
});

describe('AI_FLOW_INPUT bound', () => {
  it('cuts a huge input with a notice and stays under GitLab variable limits', () => {
    const request = requestOf(noteOnIssuePayload({ body: `@claude ${'y'.repeat(200_000)}` }));
    const input = pipelineVariables([{ noteId: request.note.id, request }], 1, 'https://g').AI_FLOW_INPUT;
    expect(input.length).toBe(60_000);
    expect(input).toMatch(/more characters cut; the runner reads the notes in full\]$/);
  });
});

describe('backoffMs', () => {
  it('grows with the attempt and stays under the cap', () => {
    expect(backoffMs(1, 500, 60_000, () => 1)).toBe(500);
    expect(backoffMs(4, 500, 60_000, () => 1)).toBe(4000);
    expect(backoffMs(20, 500, 60_000, () => 1)).toBe(60_000);
    expect(backoffMs(3, 500, 60_000, () => 0)).toBe(0);
  });
});
