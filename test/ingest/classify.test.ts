import { describe, expect, it } from 'vitest';
import { noteDigest } from '../../service/note-digest.js';
import type { FlowRequest } from '../../service/domain.js';
import { classifyWebhook, type Classification, type ClassifyConfig } from '../../service/ingest/classify.js';
import { SERVICE_NOTE_MARKER } from '../../service/tracking-note.js';
import {
  defaultDiffPosition,
  defaultDiscussionId,
  diffNoteOnMergeRequestPayload,
  fixture,
  FIXTURE_EVENT,
  noteHookEvent,
  noteOnCommitPayload,
  noteOnIssuePayload,
  noteOnMergeRequestPayload,
  noteOnSnippetPayload,
  pipelinePayload,
  withField,
  withoutField,
  type FixtureName,
} from '../../devtools/payloads.js';

const CONFIG: ClassifyConfig = { triggerPhrase: '@claude', allowConfidential: false, gitlabUrl: 'https://gitlab.example.com', selfUsername: 'claude-bot' };
const RECEIVED_AT = new Date('2026-11-26T03:00:00.000Z');

function classify(eventHeader: string | undefined, payload: unknown, config: Partial<ClassifyConfig> = {}): Classification {
  return classifyWebhook({ eventHeader, deliveryId: 'delivery-1', payload, receivedAt: RECEIVED_AT }, { ...CONFIG, ...config });
}

/** The FlowRequest, or a failure that shows what came back instead. */
function flow(classification: Classification): FlowRequest {
  if (classification.kind !== 'flow') throw new Error(`expected a flow, got ${JSON.stringify(classification)}`);
  return classification.request;
}

/** A documented fixture with only its comment text changed. */
function mentioning(name: FixtureName, body = '@claude please fix this'): Record<string, unknown> {
  return withField(fixture(name), 'object_attributes.note', body);
}

describe('GitLab documented note payloads', () => {
  it('ignores the documented issue comment: it does not mention @claude', () => {
    expect(classify('Note Hook', fixture('note-issue'))).toEqual({ kind: 'ignore', reason: 'no @claude mention' });
  });

  it.each(['note-merge-request', 'note-commit', 'note-snippet'] as const)('ignores the documented %s comment without a mention', (name) => {
    expect(classify('Note Hook', fixture(name))).toEqual({ kind: 'ignore', reason: 'no @claude mention' });
  });

  it('turns a mention on an issue into a FlowRequest', () => {
    expect(classify('Note Hook', mentioning('note-issue'))).toEqual({
      kind: 'flow',
      request: {
        version: 1,
        event: 'mention',
        deliveryId: 'delivery-1',
        receivedAt: '2026-11-26T03:00:00.000Z',
        project: { id: 5, path: 'gitlab-org/gitlab-test', defaultBranch: 'master', webUrl: 'http://example.com/gitlab-org/gitlab-test' },
        noteable: {
          type: 'Issue',
          iid: 17,
          id: 92,
          title: 'test',
          url: 'http://example.com/gitlab-org/gitlab-test/-/issues/17',
          state: 'closed',
          sourceBranch: null,
          targetBranch: null,
          sourceProjectId: null,
          targetProjectId: null,
          fork: false,
          commitSha: null,
          confidential: false,
        },
        note: {
          id: 1241,
          // At rest only a digest of the text travels; the worker reads the text from GitLab.
          body: null,
          bodyDigest: noteDigest('@claude please fix this'),
          createdAt: '2015-05-17T17:06:40.000Z',
          updatedAt: '2015-05-17T17:06:40.000Z',
          action: 'create',
          internal: false,
          type: null,
          discussionId: null,
          position: null,
          url: 'http://example.com/gitlab-org/gitlab-test/issues/17#note_1241',
        },
        author: { id: 1, username: 'root', name: 'Administrator' },
        threadKey: '5:Issue:17:note-1241',
      },
    });
  });

  it('turns a mention on a merge request into a FlowRequest with iid, branches and derived URL', () => {
    // Also shows the fixture's malformed `last_commit.timestamp` ("2015-04-08T21: 00:25-07:00") is not read.
    const request = flow(classify('Note Hook', mentioning('note-merge-request')));
    expect(request.noteable).toEqual({
      type: 'MergeRequest',
      iid: 1,
      id: 7,
      title: 'Tempora et eos debitis quae laborum et.',
      url: 'http://example.com/gitlab-org/gitlab-test/-/merge_requests/1',
      state: 'opened',
      sourceBranch: 'master',
      targetBranch: 'markdown',
      sourceProjectId: 5,
      targetProjectId: 5,
      fork: false,
      commitSha: null,
      confidential: false,
    });
    expect(request.note.createdAt).toBe('2015-05-17T18:21:36.000Z');
    expect(request.note.url).toBe('http://example.com/gitlab-org/gitlab-test/merge_requests/1#note_1244');
    expect(request.threadKey).toBe('5:MergeRequest:1:note-1244');
  });

  it('turns a mention on a commit into a FlowRequest keyed by the commit SHA', () => {
    const request = flow(classify('Note Hook', mentioning('note-commit')));
    expect(request.project).toEqual({ id: 5, path: 'gitlabhq/gitlab-test', defaultBranch: 'master', webUrl: 'http://example.com/gitlabhq/gitlab-test' });
    expect(request.noteable).toEqual({
      type: 'Commit',
      iid: null,
      id: null,
      title: 'Add submodule',
      url: 'http://example.com/gitlab-org/gitlab-test/commit/cfe32cf61b73a0d5e9f13e774abde7ff789b1660',
      state: null,
      sourceBranch: null,
      targetBranch: null,
      sourceProjectId: null,
      targetProjectId: null,
      fork: false,
      commitSha: 'cfe32cf61b73a0d5e9f13e774abde7ff789b1660',
      confidential: false,
    });
    expect(request.note.createdAt).toBe('2015-05-17T18:08:09.000Z');
    expect(request.threadKey).toBe('5:Commit:cfe32cf61b73a0d5e9f13e774abde7ff789b1660:note-1243');
  });

  it('turns a mention on a snippet into a FlowRequest with the snippet id as iid', () => {
    const request = flow(classify('Note Hook', mentioning('note-snippet')));
    expect(request.noteable).toEqual({
      type: 'Snippet',
      iid: 53,
      id: 53,
      title: 'test',
      url: 'http://example.com/gitlab-org/gitlab-test/-/snippets/53',
      state: null,
      sourceBranch: null,
      targetBranch: null,
      sourceProjectId: null,
      targetProjectId: null,
      fork: false,
      commitSha: null,
      confidential: false,
    });
    expect(request.threadKey).toBe('5:Snippet:53:note-1245');
  });
});

describe('routing on X-Gitlab-Event and object_kind', () => {
  it.each([
    ['issue', 'issue update is not a trigger (bot not newly assigned)'],
    ['merge-request', 'merge request update is not a trigger (bot not newly a reviewer)'],
    ['emoji-award-on-issue-note', 'emoji reactions do not trigger'],
  ] as const)('ignores the documented %s event', (name, reason) => {
    expect(classify(FIXTURE_EVENT[name], fixture(name))).toEqual({ kind: 'ignore', reason });
  });

  it.each([
    ['Push Hook', 'push events do not trigger'],
    ['Tag Push Hook', 'tag push events do not trigger'],
    ['Job Hook', 'job events are not used (pipeline events close runs out)'],
    ['Deployment Hook', 'event "Deployment Hook" is not handled'],
    ['', 'no X-Gitlab-Event header'],
    [undefined, 'no X-Gitlab-Event header'],
  ])('ignores %j without looking at the payload', (header, reason) => {
    expect(classify(header, null)).toEqual({ kind: 'ignore', reason });
  });

  it('routes on object_kind, not event_type', () => {
    const payload = withField(mentioning('note-issue'), 'event_type', 'something_new');
    expect(flow(classify('Note Hook', payload)).note.id).toBe(1241);
  });

  it('ignores a header that does not match object_kind (a 4xx could disable the hook)', () => {
    expect(classify('Note Hook', fixture('pipeline'))).toEqual({ kind: 'ignore', reason: 'X-Gitlab-Event "Note Hook" does not match object_kind "pipeline"' });
    expect(classify('Pipeline Hook', mentioning('note-issue'))).toEqual({ kind: 'ignore', reason: 'X-Gitlab-Event "Pipeline Hook" does not match object_kind "note"' });
    expect(classify('Confidential Note Hook', fixture('issue'))).toEqual({ kind: 'ignore', reason: 'X-Gitlab-Event "Confidential Note Hook" does not match object_kind "issue"' });
  });

  it.each([[null], [[]], ['a string'], [42]])('refuses a note event whose payload is %j', (payload) => {
    expect(classify('Note Hook', payload)).toEqual({ kind: 'invalid', reason: 'Note Hook payload is not a JSON object' });
  });

  it('refuses a recognised event without object_kind', () => {
    expect(classify('Note Hook', withoutField(mentioning('note-issue'), 'object_kind'))).toEqual({ kind: 'invalid', reason: 'object_kind: missing in a Note Hook payload' });
    expect(classify('Pipeline Hook', withField(fixture('pipeline'), 'object_kind', 7))).toEqual({ kind: 'invalid', reason: 'object_kind: missing in a Pipeline Hook payload' });
  });

  it('accepts the header with surrounding whitespace', () => {
    expect(classify(' Note Hook ', mentioning('note-issue')).kind).toBe('flow');
  });
});

describe('note actions and authors', () => {
  it('classifies an edit like a new comment, carrying action update', () => {
    const request = flow(classify('Note Hook', noteOnIssuePayload({ action: 'update', updatedAt: new Date('2026-11-26T02:59:00Z'), createdAt: new Date('2026-11-26T02:58:00Z') })));
    expect(request.note.action).toBe('update');
    expect(request.note.createdAt).toBe('2026-11-26T02:58:00.000Z');
    expect(request.note.updatedAt).toBe('2026-11-26T02:59:00.000Z');
  });

  it('ignores an edit that no longer mentions @claude', () => {
    expect(classify('Note Hook', noteOnIssuePayload({ action: 'update', body: 'never mind' }))).toEqual({ kind: 'ignore', reason: 'no @claude mention' });
  });

  it('treats a missing action as create', () => {
    expect(flow(classify('Note Hook', noteOnIssuePayload({ action: null }))).note.action).toBe('create');
  });

  it('ignores other actions', () => {
    expect(classify('Note Hook', noteOnIssuePayload({ action: 'delete' }))).toEqual({ kind: 'ignore', reason: 'note action "delete" is neither create nor update' });
  });

  it('never triggers on system notes', () => {
    expect(classify('Note Hook', noteOnMergeRequestPayload({ system: true, body: '@claude added 1 commit' }))).toEqual({ kind: 'ignore', reason: 'system notes never trigger' });
  });

  it("never triggers on the service's own notes, whatever the case of the username", () => {
    for (const username of ['claude-bot', 'Claude-Bot']) {
      const payload = noteOnIssuePayload({ author: { id: 99, username }, body: '@claude is on it' });
      expect(classify('Note Hook', payload)).toEqual({ kind: 'ignore', reason: `note by the service's own user ${username}` });
    }
  });

  it('accepts selfUsername written as a mention', () => {
    const payload = noteOnIssuePayload({ author: { id: 99, username: 'claude-bot' } });
    expect(classify('Note Hook', payload, { selfUsername: '@claude-bot' })).toEqual({ kind: 'ignore', reason: "note by the service's own user claude-bot" });
  });

  it('lets a user named like the bot trigger when no selfUsername is configured', () => {
    const payload = noteOnIssuePayload({ author: { id: 99, username: 'claude-bot' } });
    expect(flow(classify('Note Hook', payload, { selfUsername: null })).author).toEqual({ id: 99, username: 'claude-bot', name: 'claude-bot' });
  });

  it('never triggers on a note carrying the service marker, whoever posted it', () => {
    const payload = noteOnIssuePayload({ body: `${SERVICE_NOTE_MARKER}\n@claude is working on it: pipeline #12` });
    expect(classify('Note Hook', payload, { selfUsername: null })).toEqual({ kind: 'ignore', reason: 'note carries the claude-gitlab-flow marker' });
  });

  it.each(['project_5_bot_3f2a1b9c', 'project_5_bot', 'project_12_bot2', 'group_7_bot_ab12', 'service_account_group_9_1a2b', 'support-bot', 'Alert-Bot', 'ghost'])(
    'never triggers on bot user %s',
    (username) => {
      expect(classify('Note Hook', noteOnIssuePayload({ author: { id: 50, username } }))).toEqual({ kind: 'ignore', reason: `note by bot user ${username}` });
    },
  );

  it.each(['robot', 'project_bot', 'botanist', 'project_5_robot'])('lets human user %s trigger', (username) => {
    expect(flow(classify('Note Hook', noteOnIssuePayload({ author: { id: 50, username } }))).author.username).toBe(username);
  });

  it('ignores a note edited by someone other than its author', () => {
    const payload = noteOnIssuePayload({ action: 'update', author: { id: 1, username: 'root' }, noteAuthorId: 7 });
    expect(classify('Note Hook', payload)).toEqual({ kind: 'ignore', reason: 'note by user 7 was edited by user 1' });
  });

  it('takes the author from the event user', () => {
    const payload = noteOnIssuePayload({ author: { id: 31, username: 'dana', name: 'Dana Scully' } });
    expect(flow(classify('Note Hook', payload)).author).toEqual({ id: 31, username: 'dana', name: 'Dana Scully' });
  });

  it('uses a configured trigger phrase instead of @claude', () => {
    expect(classify('Note Hook', noteOnIssuePayload({ body: '@claude fix' }), { triggerPhrase: '@ai' })).toEqual({ kind: 'ignore', reason: 'no @ai mention' });
    expect(flow(classify('Note Hook', noteOnIssuePayload({ body: 'please @AI fix' }), { triggerPhrase: '@ai' })).note.bodyDigest).toBe(noteDigest('please @AI fix'));
  });

  it('ignores a mention that is only quoted or in code', () => {
    for (const body of ['> @claude fix this\n\nI disagree', 'run `@claude` like this', '```\n@claude\n```']) {
      expect(classify('Note Hook', noteOnIssuePayload({ body }))).toEqual({ kind: 'ignore', reason: 'no @claude mention' });
    }
  });
});

describe('confidential issues and internal notes', () => {
  it('ignores a comment on a confidential issue unless ALLOW_CONFIDENTIAL', () => {
    const payload = noteOnIssuePayload({ confidential: true });
    expect(noteHookEvent(payload)).toBe('Confidential Note Hook');
    expect(classify('Confidential Note Hook', payload)).toEqual({ kind: 'ignore', reason: 'confidential issue: triggers only with ALLOW_CONFIDENTIAL=true' });
    const request = flow(classify('Confidential Note Hook', payload, { allowConfidential: true }));
    expect(request.noteable.confidential).toBe(true);
    expect(request.note.internal).toBe(false);
  });

  it('reads issue.confidential even when the header and event_type say note', () => {
    const payload = withField(noteOnIssuePayload({ confidential: true }), 'event_type', 'note');
    expect(classify('Note Hook', payload)).toEqual({ kind: 'ignore', reason: 'confidential issue: triggers only with ALLOW_CONFIDENTIAL=true' });
  });

  it('treats event_type confidential_note as confidential under a Note Hook header', () => {
    const payload = withField(noteOnIssuePayload(), 'event_type', 'confidential_note');
    expect(classify('Note Hook', payload)).toEqual({ kind: 'ignore', reason: 'confidential issue: triggers only with ALLOW_CONFIDENTIAL=true' });
  });

  it('ignores an internal note unless ALLOW_CONFIDENTIAL', () => {
    const payload = noteOnMergeRequestPayload({ internal: true });
    expect(classify(noteHookEvent(payload), payload)).toEqual({ kind: 'ignore', reason: 'internal note: triggers only with ALLOW_CONFIDENTIAL=true' });
    const request = flow(classify(noteHookEvent(payload), payload, { allowConfidential: true }));
    expect(request.note.internal).toBe(true);
    expect(request.noteable.confidential).toBe(false);
  });

  it('reads the older `confidential` note attribute as internal', () => {
    const payload = noteOnIssuePayload({ internal: true, legacyConfidentialAttribute: true });
    expect(payload.object_attributes.confidential).toBe(true);
    expect(payload.object_attributes.internal).toBeUndefined();
    expect(classify('Note Hook', payload)).toEqual({ kind: 'ignore', reason: 'internal note: triggers only with ALLOW_CONFIDENTIAL=true' });
    expect(flow(classify('Note Hook', payload, { allowConfidential: true })).note.internal).toBe(true);
  });

  it('treats a Confidential Note Hook without flags as confidential: the issue when on an issue, the note otherwise', () => {
    const onIssue = flow(classify('Confidential Note Hook', mentioning('note-issue'), { allowConfidential: true }));
    expect([onIssue.noteable.confidential, onIssue.note.internal]).toEqual([true, false]);
    const onMergeRequest = flow(classify('Confidential Note Hook', mentioning('note-merge-request'), { allowConfidential: true }));
    expect([onMergeRequest.noteable.confidential, onMergeRequest.note.internal]).toEqual([false, true]);
    expect(classify('Confidential Note Hook', mentioning('note-snippet'))).toEqual({ kind: 'ignore', reason: 'internal note: triggers only with ALLOW_CONFIDENTIAL=true' });
  });

  it('lets an ordinary comment through with both flags false', () => {
    const request = flow(classify('Note Hook', noteOnIssuePayload()));
    expect([request.noteable.confidential, request.note.internal]).toEqual([false, false]);
  });
});

describe('merge requests: forks, states, review threads', () => {
  it('marks a merge request from a fork', () => {
    const request = flow(classify('Note Hook', noteOnMergeRequestPayload({ fork: true, sourceBranch: 'patch-1' })));
    expect(request.noteable).toMatchObject({ fork: true, sourceProjectId: 1005, targetProjectId: 5, sourceBranch: 'patch-1', targetBranch: 'master' });
  });

  it('does not mark a same-project merge request as a fork', () => {
    const request = flow(classify('Note Hook', noteOnMergeRequestPayload({ sourceBranch: 'feature-x' })));
    expect(request.noteable).toMatchObject({ fork: false, sourceProjectId: 5, targetProjectId: 5, sourceBranch: 'feature-x' });
  });

  it.each(['opened', 'closed', 'merged', 'locked'] as const)('records merge request state %s', (state) => {
    expect(flow(classify('Note Hook', noteOnMergeRequestPayload({ state }))).noteable.state).toBe(state);
  });

  it('carries a diff comment with its type, position and discussion', () => {
    const payload = diffNoteOnMergeRequestPayload({ noteId: 1300, discussionId: '6a9c1750b37d513a43987b574953fceb50b03ce7' });
    const request = flow(classify('Note Hook', payload));
    expect(request.note.type).toBe('DiffNote');
    expect(request.note.position).toEqual(defaultDiffPosition());
    expect(request.note.discussionId).toBe('6a9c1750b37d513a43987b574953fceb50b03ce7');
    expect(request.threadKey).toBe('5:MergeRequest:1:6a9c1750b37d513a43987b574953fceb50b03ce7');
  });

  it('passes a caller-given position through unchanged', () => {
    const position = { position_type: 'image', new_path: 'logo.png', x: 10, y: 20, width: 100, height: 100 };
    expect(flow(classify('Note Hook', diffNoteOnMergeRequestPayload({ position }))).note.position).toEqual(position);
  });

  it('keys a reply in a review thread by its discussion, so replies in one thread share a key', () => {
    const discussionId = defaultDiscussionId(5, 1400);
    const first = flow(classify('Note Hook', noteOnMergeRequestPayload({ noteId: 1400, discussionId })));
    const reply = flow(classify('Note Hook', noteOnMergeRequestPayload({ noteId: 1401, discussionId, type: 'DiscussionNote' })));
    expect(reply.note.type).toBe('DiscussionNote');
    expect(first.threadKey).toBe(`5:MergeRequest:1:${discussionId}`);
    expect(reply.threadKey).toBe(first.threadKey);
  });

  it('keys notes without a discussion id by the note itself', () => {
    expect(flow(classify('Note Hook', noteOnIssuePayload({ noteId: 77, discussionId: null, issueIid: 3 }))).threadKey).toBe('5:Issue:3:note-77');
  });
});

describe('project and noteable fields', () => {
  it('takes project and noteable from the payload, with the iid for API paths and noteable_id as id', () => {
    const payload = noteOnIssuePayload({ projectId: 41, projectPath: 'team/app', defaultBranch: 'main', issueIid: 8, issueId: 900, title: 'Flaky test', noteId: 5001 });
    const request = flow(classify('Note Hook', payload));
    expect(request.project).toEqual({ id: 41, path: 'team/app', defaultBranch: 'main', webUrl: 'http://example.com/team/app' });
    expect(request.noteable).toMatchObject({ type: 'Issue', iid: 8, id: 900, title: 'Flaky test', url: 'http://example.com/team/app/-/issues/8', state: 'opened' });
    expect(request.note.url).toBe('http://example.com/team/app/-/issues/8#note_5001');
    expect(request.threadKey).toBe(`41:Issue:8:${defaultDiscussionId(41, 5001)}`);
  });

  it('ignores a comment in a project whose repository is empty (no default branch)', () => {
    expect(classify('Note Hook', noteOnIssuePayload({ defaultBranch: null }))).toEqual({ kind: 'ignore', reason: 'project gitlab-org/gitlab-test has no default branch (empty repository)' });
    expect(classify('Note Hook', noteOnIssuePayload({ defaultBranch: '' }))).toEqual({ kind: 'ignore', reason: 'project gitlab-org/gitlab-test has no default branch (empty repository)' });
  });

  it('derives URLs from the configured GitLab URL when the project has no web_url', () => {
    const payload = withoutField(withoutField(mentioning('note-merge-request'), 'project.web_url'), 'object_attributes.url');
    const request = flow(classify('Note Hook', payload, { gitlabUrl: 'https://gitlab.example.com/' }));
    expect(request.project.webUrl).toBe('https://gitlab.example.com/gitlab-org/gitlab-test');
    expect(request.noteable.url).toBe('https://gitlab.example.com/gitlab-org/gitlab-test/-/merge_requests/1');
    expect(request.note.url).toBe('https://gitlab.example.com/gitlab-org/gitlab-test/-/merge_requests/1#note_1244');
  });

  it('takes the commit SHA from commit_id, falling back to commit.id', () => {
    const sha = '0123456789abcdef0123456789abcdef01234567';
    expect(flow(classify('Note Hook', noteOnCommitPayload({ sha, message: 'Fix the build\n\nLong text' }))).noteable).toMatchObject({ commitSha: sha, title: 'Fix the build', url: `http://example.com/gitlabhq/gitlab-test/-/commit/${sha}` });
    const withoutCommitId = withField(mentioning('note-commit'), 'object_attributes.commit_id', '');
    expect(flow(classify('Note Hook', withoutCommitId)).noteable.commitSha).toBe('cfe32cf61b73a0d5e9f13e774abde7ff789b1660');
  });

  it('classifies the builders for every noteable type', () => {
    expect(flow(classify('Note Hook', noteOnSnippetPayload({ snippetId: 60, title: 'script' }))).noteable).toMatchObject({ type: 'Snippet', iid: 60, id: 60, title: 'script' });
    expect(flow(classify('Note Hook', noteOnCommitPayload())).noteable.type).toBe('Commit');
  });

  it('parses ISO timestamps as well as the UTC form', () => {
    const payload = noteOnIssuePayload({ createdAt: '2016-08-12T17:23:21+02:00', updatedAt: '2019-06-05T14:32:20.211Z' });
    const request = flow(classify('Note Hook', payload));
    expect([request.note.createdAt, request.note.updatedAt]).toEqual(['2016-08-12T15:23:21.000Z', '2019-06-05T14:32:20.211Z']);
  });

  it('ignores comments on noteables it does not support, even without a project', () => {
    const onEpic = withoutField(withField(mentioning('note-issue'), 'object_attributes.noteable_type', 'Epic'), 'project');
    expect(classify('Note Hook', onEpic)).toEqual({ kind: 'ignore', reason: 'comments on Epic are not supported' });
    const onDesign = withField(mentioning('note-issue'), 'object_attributes.noteable_type', 'DesignManagement::Design');
    expect(classify('Note Hook', onDesign)).toEqual({ kind: 'ignore', reason: 'comments on DesignManagement::Design are not supported' });
  });
});

describe('payloads that are not what GitLab sends', () => {
  it.each([
    ['object_attributes', 'object_attributes: missing'],
    ['object_attributes.id', 'object_attributes.id: missing'],
    ['object_attributes.note', 'object_attributes.note: missing'],
    ['object_attributes.noteable_type', 'object_attributes.noteable_type: missing'],
    ['object_attributes.system', 'object_attributes.system: missing'],
    ['object_attributes.created_at', 'object_attributes.created_at: missing'],
    ['object_attributes.updated_at', 'object_attributes.updated_at: missing'],
    ['user', 'user: missing'],
    ['user.id', 'user.id: missing'],
    ['user.username', 'user.username: missing'],
    ['user.name', 'user.name: missing'],
    ['project', 'project: missing'],
    ['project.id', 'project.id: missing'],
    ['project.path_with_namespace', 'project.path_with_namespace: missing'],
    ['project.default_branch', 'project.default_branch: missing'],
    ['issue', 'issue: missing'],
    ['issue.iid', 'issue.iid: missing'],
    ['issue.id', 'issue.id: missing'],
    ['issue.title', 'issue.title: missing'],
    ['issue.state', 'issue.state: missing'],
  ])('refuses an issue comment without %s', (path, reason) => {
    expect(classify('Note Hook', withoutField(noteOnIssuePayload(), path))).toEqual({ kind: 'invalid', reason });
  });

  it.each([
    ['merge_request', 'merge_request: missing'],
    ['merge_request.iid', 'merge_request.iid: missing'],
    ['merge_request.source_branch', 'merge_request.source_branch: missing'],
    ['merge_request.target_branch', 'merge_request.target_branch: missing'],
    ['merge_request.source_project_id', 'merge_request.source_project_id: missing'],
    ['merge_request.target_project_id', 'merge_request.target_project_id: missing'],
    ['merge_request.state', 'merge_request.state: missing'],
  ])('refuses a merge request comment without %s', (path, reason) => {
    expect(classify('Note Hook', withoutField(noteOnMergeRequestPayload(), path))).toEqual({ kind: 'invalid', reason });
  });

  it('refuses commit and snippet comments without their objects', () => {
    expect(classify('Note Hook', withoutField(noteOnCommitPayload(), 'commit'))).toEqual({ kind: 'invalid', reason: 'commit: missing' });
    expect(classify('Note Hook', withoutField(noteOnSnippetPayload(), 'snippet'))).toEqual({ kind: 'invalid', reason: 'snippet: missing' });
    expect(classify('Note Hook', withoutField(noteOnSnippetPayload(), 'snippet.id'))).toEqual({ kind: 'invalid', reason: 'snippet.id: missing' });
  });

  it.each([
    ['object_attributes.created_at', 'yesterday', 'object_attributes.created_at: expected a GitLab timestamp, got "yesterday"'],
    ['object_attributes.updated_at', '2015-04-08T21: 00:25-07:00', 'object_attributes.updated_at: expected a GitLab timestamp, got "2015-04-08T21: 00:25-07:00"'],
    ['object_attributes.id', 1.5, 'object_attributes.id: Invalid input: expected int, received number'],
    ['object_attributes.id', -3, 'object_attributes.id: Too small: expected number to be >0'],
    ['object_attributes.id', '1241', 'object_attributes.id: Invalid input: expected number, received string'],
    ['object_attributes.system', 'false', 'object_attributes.system: Invalid input: expected boolean, received string'],
    ['object_attributes.discussion_id', '', 'object_attributes.discussion_id: Too small: expected string to have >=1 characters'],
    ['user.username', '', 'user.username: Too small: expected string to have >=1 characters'],
    ['issue.iid', '17', 'issue.iid: Invalid input: expected number, received string'],
  ])('refuses %s = %j', (path, value, reason) => {
    expect(classify('Note Hook', withField(noteOnIssuePayload(), path, value))).toEqual({ kind: 'invalid', reason });
  });

  it('refuses a commit comment whose commit_id is not a SHA', () => {
    expect(classify('Note Hook', withField(noteOnCommitPayload(), 'object_attributes.commit_id', 'not-a-sha'))).toEqual({ kind: 'invalid', reason: 'object_attributes.commit_id: expected a commit SHA' });
    expect(classify('Note Hook', withField(noteOnCommitPayload(), 'commit.id', 'zzz'))).toEqual({ kind: 'invalid', reason: 'commit.id: expected a commit SHA' });
  });

  it('validates before deciding, so a malformed system note is still refused', () => {
    expect(classify('Note Hook', withoutField(noteOnIssuePayload({ system: true }), 'issue.iid'))).toEqual({ kind: 'invalid', reason: 'issue.iid: missing' });
  });

  it('is lenient on fields it does not use', () => {
    const payload = withField(withField(noteOnIssuePayload(), 'object_attributes.brand_new_field', { x: 1 }), 'repository', null);
    expect(classify('Note Hook', payload).kind).toBe('flow');
  });
});

describe('pipeline events', () => {
  const ours = { AI_FLOW_EVENT: 'mention', AI_FLOW_INPUT: '@claude fix', AI_FLOW_CONTEXT: '{"version":1}' };

  it('ignores the documented pipeline: its variables are not ours', () => {
    expect(classify('Pipeline Hook', fixture('pipeline'))).toEqual({ kind: 'ignore', reason: 'pipeline 31 was not triggered by claude-gitlab-flow (no AI_FLOW_EVENT)' });
  });

  it('reports a pipeline of ours, keeping only the variables the worker reads, un-escaped', () => {
    const variables = { ...ours, AI_FLOW_CONTEXT: '{"version":1,"t":"$${GITLAB_TOKEN} $$$$"}', OTHER_SECRET: 'x' };
    const payload = pipelinePayload({ projectId: 5, projectPath: 'gitlab-org/gitlab-test', pipelineId: 99, status: 'failed', variables });
    expect(classify('Pipeline Hook', payload)).toEqual({
      kind: 'pipeline',
      event: {
        projectId: 5,
        projectPath: 'gitlab-org/gitlab-test',
        pipelineId: 99,
        status: 'failed',
        url: 'http://example.com/gitlab-org/gitlab-test/-/pipelines/99',
        variables: { AI_FLOW_EVENT: 'mention', AI_FLOW_CONTEXT: '{"version":1,"t":"${GITLAB_TOKEN} $$"}' },
        deliveryId: 'delivery-1',
      },
    });
  });

  it('reports the documented pipeline once it carries AI_FLOW_EVENT', () => {
    const payload = withField(fixture('pipeline'), 'object_attributes.variables', [{ key: 'AI_FLOW_EVENT', value: 'mention' }, { key: 'NESTOR_PROD_ENVIRONMENT', value: 'us-west-1' }]);
    expect(classify('Pipeline Hook', payload)).toEqual({
      kind: 'pipeline',
      event: {
        projectId: 1,
        projectPath: 'gitlab-org/gitlab-test',
        pipelineId: 31,
        status: 'success',
        url: 'http://example.com/gitlab-org/gitlab-test/-/pipelines/31',
        variables: { AI_FLOW_EVENT: 'mention' },
        deliveryId: 'delivery-1',
      },
    });
  });

  it('ignores a pipeline without variables', () => {
    expect(classify('Pipeline Hook', withoutField(fixture('pipeline'), 'object_attributes.variables'))).toEqual({ kind: 'ignore', reason: 'pipeline 31 was not triggered by claude-gitlab-flow (no AI_FLOW_EVENT)' });
  });

  it('keeps only string variable values', () => {
    const payload = withField(pipelinePayload(), 'object_attributes.variables', [{ key: 'AI_FLOW_EVENT', value: 'mention' }, { key: 'ODD', value: null }]);
    const result = classify('Pipeline Hook', payload);
    expect(result.kind === 'pipeline' ? result.event.variables : null).toEqual({ AI_FLOW_EVENT: 'mention' });
  });

  it('derives the pipeline URL from the project when the payload has none', () => {
    const payload = withoutField(pipelinePayload({ pipelineId: 5, variables: ours }), 'object_attributes.url');
    const result = classify('Pipeline Hook', payload);
    expect(result.kind === 'pipeline' ? result.event.url : null).toBe('http://192.168.64.1:3005/gitlab-org/gitlab-test/-/pipelines/5');
    const bare = withoutField(payload, 'project.web_url');
    const bareResult = classify('Pipeline Hook', bare);
    expect(bareResult.kind === 'pipeline' ? bareResult.event.url : 'not a pipeline').toBeNull();
  });

  it.each([
    ['object_attributes.id', 'object_attributes.id: missing'],
    ['object_attributes.status', 'object_attributes.status: missing'],
    ['project', 'project: missing'],
    ['project.id', 'project.id: missing'],
  ])('refuses a pipeline event without %s', (path, reason) => {
    expect(classify('Pipeline Hook', withoutField(pipelinePayload({ variables: ours }), path))).toEqual({ kind: 'invalid', reason });
  });
});
