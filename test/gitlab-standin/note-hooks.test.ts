import { afterEach, describe, expect, it } from 'vitest';
import { fixture, type NotePayload } from '../../devtools/payloads.js';
import { client, hookReceiver, world } from './helpers.js';

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

async function setUp(noteEvents = true) {
  const w = await world();
  closers.push(() => w.gitlab.close());
  const receiver = await hookReceiver();
  closers.push(receiver.close);
  w.gitlab.registerWebhook(w.project.id, { url: receiver.url, token: 'hook-secret', noteEvents });
  return { ...w, receiver };
}

describe('Note Hooks', () => {
  it('sends a Note Hook for a seeded comment, with every field of GitLab\'s example and the thread fields', async () => {
    const { gitlab, project, dev, receiver } = await setUp();
    const issue = gitlab.addIssue(project.id, { title: 'Flaky', authorId: dev.id });
    const note = gitlab.addNote(project.id, { type: 'Issue', iid: issue.iid }, { body: '@claude fix it', authorId: dev.id });
    await gitlab.whenHooksIdle();
    expect(receiver.received).toHaveLength(1);
    const { headers, body } = receiver.received[0]!;
    expect(headers['x-gitlab-event']).toBe('Note Hook');
    expect(headers['x-gitlab-token']).toBe('hook-secret');
    const example = fixture<NotePayload>('note-issue');
    expect(Object.keys(body)).toEqual(expect.arrayContaining(Object.keys(example)));
    expect(Object.keys(body.object_attributes)).toEqual(expect.arrayContaining(Object.keys(example.object_attributes)));
    expect(body).toMatchObject({
      object_kind: 'note',
      event_type: 'note',
      user: { id: dev.id, username: 'dana' },
      project: { id: project.id, path_with_namespace: 'group/project', default_branch: 'main' },
      object_attributes: {
        id: note.id,
        note: '@claude fix it',
        noteable_type: 'Issue',
        noteable_id: issue.id,
        action: 'create',
        discussion_id: note.discussionId,
        type: 'DiscussionNote',
        system: false,
        url: `${gitlab.url}/group/project/-/issues/${issue.iid}#note_${note.id}`,
      },
      issue: { id: issue.id, iid: issue.iid, title: 'Flaky' },
    });
    expect(body.object_attributes.created_at).toMatch(/ UTC$/);
  });

  it('sends hooks for notes written through the API too, and an update action for edits', async () => {
    const { gitlab, project, dev, bot, receiver } = await setUp();
    const issue = gitlab.addIssue(project.id, { title: 'Flaky', authorId: dev.id });
    const api = client(gitlab, bot.token);
    const created = await api.post(`/projects/${project.id}/issues/${issue.iid}/notes`, { body: 'Claude is on it' });
    await api.put(`/projects/${project.id}/issues/${issue.iid}/notes/${created.body.id}`, { body: 'Done' });
    await gitlab.whenHooksIdle();
    expect(receiver.received.map((hook) => [hook.body.user.username, hook.body.object_attributes.action, hook.body.object_attributes.note])).toEqual([
      ['claude-bot', 'create', 'Claude is on it'],
      ['claude-bot', 'update', 'Done'],
    ]);
  });

  it('marks comments on confidential issues and internal notes as confidential', async () => {
    const { gitlab, project, dev, receiver } = await setUp();
    const secret = gitlab.addIssue(project.id, { title: 'Secret', authorId: dev.id, confidential: true });
    gitlab.addNote(project.id, { type: 'Issue', iid: secret.iid }, { body: '@claude look', authorId: dev.id });
    await gitlab.whenHooksIdle();
    expect(receiver.received[0]?.headers['x-gitlab-event']).toBe('Confidential Note Hook');
    expect(receiver.received[0]?.body.event_type).toBe('confidential_note');
  });

  it('sends internal notes as confidential, and only to hooks subscribed to confidential note events', async () => {
    const { gitlab, project, dev, receiver } = await setUp();
    const plain = await hookReceiver();
    closers.push(plain.close);
    gitlab.registerWebhook(project.id, { url: plain.url, token: 't', noteEvents: true, confidentialNoteEvents: false });
    const issue = gitlab.addIssue(project.id, { title: 'Open', authorId: dev.id });
    gitlab.addNote(project.id, { type: 'Issue', iid: issue.iid }, { body: 'internal @claude', authorId: dev.id, internal: true });
    await gitlab.whenHooksIdle();
    expect(receiver.received.map((hook) => [hook.headers['x-gitlab-event'], hook.body.object_attributes.internal])).toEqual([['Confidential Note Hook', true]]);
    expect(plain.received).toHaveLength(0);
  });

  it('describes merge request and commit notes like GitLab\'s examples', async () => {
    const { gitlab, project, dev, receiver } = await setUp();
    const mr = gitlab.addMergeRequest(project.id, { sourceBranch: 'feature', targetBranch: 'main', title: 'Draft: F', authorId: dev.id });
    gitlab.addNote(project.id, { type: 'MergeRequest', iid: mr.iid }, { body: 'a', authorId: dev.id });
    const sha = gitlab.addCommit(project.id, { title: 'Fix' });
    gitlab.addNote(project.id, { type: 'Commit', sha }, { body: 'b', authorId: dev.id });
    await gitlab.whenHooksIdle();
    const [onMr, onCommit] = receiver.received.map((hook) => hook.body);
    expect(Object.keys(onMr.merge_request)).toEqual(expect.arrayContaining(['id', 'iid', 'source_branch', 'target_branch', 'source_project_id', 'target_project_id', 'state']));
    expect(onMr.merge_request).toMatchObject({ iid: mr.iid, draft: true, source_project_id: project.id });
    expect(onCommit.object_attributes).toMatchObject({ noteable_type: 'Commit', commit_id: sha, noteable_id: null });
    expect(onCommit.commit).toMatchObject({ id: sha, title: 'Fix' });
  });

  it('sends nothing to hooks without note events, for system notes, or when seeding with hook: false', async () => {
    const { gitlab, project, dev, receiver } = await setUp(false);
    const issue = gitlab.addIssue(project.id, { title: 'x', authorId: dev.id });
    gitlab.addNote(project.id, { type: 'Issue', iid: issue.iid }, { body: 'a', authorId: dev.id });
    const other = await hookReceiver();
    closers.push(other.close);
    gitlab.registerWebhook(project.id, { url: other.url, token: 't', noteEvents: true });
    gitlab.addNote(project.id, { type: 'Issue', iid: issue.iid }, { body: 'changed the title', authorId: dev.id, system: true });
    gitlab.addNote(project.id, { type: 'Issue', iid: issue.iid }, { body: 'history', authorId: dev.id, hook: false });
    await gitlab.whenHooksIdle();
    expect(receiver.received).toHaveLength(0);
    expect(other.received).toHaveLength(0);
  });
});
