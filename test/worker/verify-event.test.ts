import { describe, expect, it } from 'vitest';
import type { FlowRequest, NoteableRef } from '../../service/domain.js';
import { pipelineVariables, parseFlowContext } from '../../service/flow-variables.js';
import { classifyWebhook } from '../../service/ingest/classify.js';
import { verifyEvent } from '../../service/worker/verify-event.js';
import type { ThreadFacts } from '../../service/worker/thread-facts.js';
import { fixture, withField } from '../../devtools/payloads.js';

// An event checked against what GitLab's API says now (pure), and the variables its pipeline gets.

const BOT = { id: 99, name: 'Claude', username: 'claude-bot' };

function eventRequest(): FlowRequest {
  const payload = withField(fixture('merge-request'), 'changes', { reviewers: { previous: [], current: [BOT] } });
  const result = classifyWebhook(
    { eventHeader: 'Merge Request Hook', deliveryId: 'd', payload, receivedAt: new Date('2026-12-03T10:00:00Z') },
    { triggerPhrase: '@claude', allowConfidential: false, gitlabUrl: 'https://gitlab.example.com', selfUsername: 'claude-bot' },
  );
  if (result.kind !== 'flow') throw new Error(JSON.stringify(result));
  return result.request;
}

function factsOf(request: FlowRequest, noteable: Partial<NoteableRef>): ThreadFacts {
  return {
    project: { id: request.project.id, path_with_namespace: request.project.path, default_branch: 'master', web_url: request.project.webUrl },
    noteable: { ...request.noteable, state: 'opened', targetProjectId: request.project.id, reviewerIds: [BOT.id], draft: false, ...noteable },
    notes: new Map(),
  };
}

const OPTIONS = { selfId: BOT.id, allowConfidential: false, triggerLabel: null };

describe('verifyEvent', () => {
  it('runs when GitLab lists the bot as a reviewer, with a sentence for the instruction', () => {
    const request = eventRequest();
    const verdict = verifyEvent({ noteId: request.note.id, request }, factsOf(request, {}), OPTIONS);
    expect(verdict.ok && verdict.mention.request.note.body).toBe('Review this merge request: you were added as a reviewer.');
  });

  it.each<[string, Partial<NoteableRef>, string]>([
    ['the bot no longer a reviewer', { reviewerIds: [7] }, 'GitLab does not list the bot as a reviewer'],
    ['a merged MR', { state: 'merged' }, 'the merge request is merged'],
    ['another source branch', { sourceBranch: 'elsewhere' }, "the merge request's source project or branch differs from the webhook's"],
  ])('drops %s', (_what, noteable, reason) => {
    const request = eventRequest();
    expect(verifyEvent({ noteId: request.note.id, request }, factsOf(request, noteable), OPTIONS)).toEqual({ ok: false, noteId: request.note.id, reason });
  });

  it("gives the pipeline the event, and the tracking note as the thread's note", () => {
    const request = eventRequest();
    const verdict = verifyEvent({ noteId: request.note.id, request }, factsOf(request, {}), OPTIONS);
    if (!verdict.ok) throw new Error(verdict.reason);
    const variables = pipelineVariables([verdict.mention], 555, 'https://gitlab.example.com', 'disc-1');
    expect(variables.AI_FLOW_EVENT).toBe('assign_reviewer');
    const parsed = parseFlowContext(variables.AI_FLOW_CONTEXT);
    expect(parsed.ok && parsed.context).toMatchObject({ trigger_note_ids: [555], tracking_note_id: 555, discussion_id: 'disc-1', author: { username: 'root' } });
  });
});
