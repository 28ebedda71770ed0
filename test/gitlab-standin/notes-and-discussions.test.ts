import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { client, world } from './helpers.js';

let w: Awaited<ReturnType<typeof world>>;
let issue: { id: number; iid: number };
beforeEach(async () => {
  w = await world();
  issue = w.gitlab.addIssue(w.project.id, { title: 'Flaky test', authorId: w.dev.id });
});
afterEach(async () => {
  await w.gitlab.close();
});

const issuePath = () => `/projects/${w.project.id}/issues/${issue.iid}`;

describe('notes', () => {
  it('lists an issue\'s notes newest first by default, with the documented fields', async () => {
    w.gitlab.addNote(w.project.id, { type: 'Issue', iid: issue.iid }, { body: 'first', authorId: w.dev.id, individual: true });
    w.gitlab.addNote(w.project.id, { type: 'Issue', iid: issue.iid }, { body: 'changed the title', authorId: w.dev.id, system: true });
    const reply = await client(w.gitlab, w.bot.token).get(`${issuePath()}/notes`);
    expect(reply.status).toBe(200);
    expect(reply.body.map((n: any) => n.body)).toEqual(['changed the title', 'first']);
    expect(reply.body[1]).toMatchObject({
      type: null,
      system: false,
      noteable_type: 'Issue',
      noteable_id: issue.id,
      noteable_iid: issue.iid,
      project_id: w.project.id,
      internal: false,
      confidential: false,
      resolvable: false,
      author: { id: w.dev.id, username: 'dana', name: 'dana' },
    });
    expect(reply.body[1].author).not.toHaveProperty('bot');
    expect(reply.body[1].created_at).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
    const asc = await client(w.gitlab, w.bot.token).get(`${issuePath()}/notes?sort=asc`);
    expect(asc.body.map((n: any) => n.body)).toEqual(['first', 'changed the title']);
  });

  it('answers 404 "Not found" for an iid that does not exist, and for a global id passed as iid', async () => {
    const api = client(w.gitlab, w.bot.token);
    for (const id of [99, issue.id]) {
      const reply = await api.get(`/projects/${w.project.id}/issues/${id}/notes`);
      expect(reply.status).toBe(404);
      expect(reply.body).toEqual({ message: '404 Not found' });
    }
  });

  it('needs authentication even on public projects', async () => {
    const open = w.gitlab.addProject({ path: 'group/open', visibility: 'public' });
    const openIssue = w.gitlab.addIssue(open.id, { title: 't', authorId: w.dev.id });
    expect((await client(w.gitlab).get(`/projects/${open.id}/issues/${openIssue.iid}/notes`)).status).toBe(401);
    expect((await client(w.gitlab, w.outsider.token).get(`/projects/${open.id}/issues/${openIssue.iid}/notes`)).status).toBe(200);
  });

  it('creates a single comment: 201, type null, an individual discussion', async () => {
    const reply = await client(w.gitlab, w.bot.token).post(`${issuePath()}/notes`, { body: 'hello' });
    expect(reply.status).toBe(201);
    expect(reply.body).toMatchObject({ body: 'hello', type: null, author: { username: 'claude-bot' } });
    expect(w.gitlab.discussions(w.project.id, { type: 'Issue', iid: issue.iid })).toEqual([
      { id: expect.stringMatching(/^[0-9a-f]{40}$/), individual: true, noteIds: [reply.body.id] },
    ]);
  });

  it('rejects a missing body with {"error":"body is missing"} and an empty one with the model error', async () => {
    const api = client(w.gitlab, w.bot.token);
    const missing = await api.post(`${issuePath()}/notes`, {});
    expect(missing.status).toBe(400);
    expect(missing.body).toEqual({ error: 'body is missing' });
    const empty = await api.post(`${issuePath()}/notes`, { body: '   ' });
    expect(empty.status).toBe(400);
    expect(empty.body).toEqual({ message: `400 Bad request - Note {:note=>["can't be blank"]}` });
    expect(w.gitlab.notes(w.project.id, { type: 'Issue', iid: issue.iid })).toHaveLength(0);
  });

  it('edits with PUT: updated_at moves, and an empty body is {"error":"body is empty"}', async () => {
    const note = w.gitlab.addNote(w.project.id, { type: 'Issue', iid: issue.iid }, { body: 'Claude is on it', authorId: w.bot.id, createdAt: new Date('2026-01-01T00:00:00Z') });
    const api = client(w.gitlab, w.bot.token);
    const edited = await api.put(`${issuePath()}/notes/${note.id}`, { body: 'Done' });
    expect(edited.status).toBe(200);
    expect(edited.body.body).toBe('Done');
    expect(edited.body.created_at).toBe('2026-01-01T00:00:00.000Z');
    expect(Date.parse(edited.body.updated_at)).toBeGreaterThan(Date.parse('2026-01-01T00:00:00Z'));
    const empty = await api.put(`${issuePath()}/notes/${note.id}`, { body: '' });
    expect(empty.status).toBe(400);
    expect(empty.body).toEqual({ error: 'body is empty' });
  });

  it('lets only the author (or a Maintainer) edit: 403 for others', async () => {
    const note = w.gitlab.addNote(w.project.id, { type: 'Issue', iid: issue.iid }, { body: 'mine', authorId: w.dev.id });
    const reply = await client(w.gitlab, w.reporter.token).put(`${issuePath()}/notes/${note.id}`, { body: 'hijacked' });
    expect(reply.status).toBe(403);
    expect(reply.body).toEqual({ message: '403 Forbidden' });
    expect(w.gitlab.notes(w.project.id, { type: 'Issue', iid: issue.iid })[0]?.body).toBe('mine');
  });

  it('hides internal notes from Guests and confidential issues from non-authors below Reporter', async () => {
    w.gitlab.addNote(w.project.id, { type: 'Issue', iid: issue.iid }, { body: 'internal', authorId: w.dev.id, internal: true });
    w.gitlab.addNote(w.project.id, { type: 'Issue', iid: issue.iid }, { body: 'public', authorId: w.dev.id });
    const guestView = await client(w.gitlab, w.guest.token).get(`${issuePath()}/notes`);
    expect(guestView.body.map((n: any) => n.body)).toEqual(['public']);
    const reporterView = await client(w.gitlab, w.reporter.token).get(`${issuePath()}/notes`);
    expect(reporterView.body.map((n: any) => n.body)).toEqual(['public', 'internal']);

    const secret = w.gitlab.addIssue(w.project.id, { title: 'secret', authorId: w.dev.id, confidential: true });
    const guest = await client(w.gitlab, w.guest.token).get(`/projects/${w.project.id}/issues/${secret.iid}`);
    expect(guest.status).toBe(404);
    expect((await client(w.gitlab, w.reporter.token).get(`/projects/${w.project.id}/issues/${secret.iid}`)).body.confidential).toBe(true);
  });

  it('gets one note; a note of another issue is 404', async () => {
    const other = w.gitlab.addIssue(w.project.id, { title: 'other', authorId: w.dev.id });
    const note = w.gitlab.addNote(w.project.id, { type: 'Issue', iid: other.iid }, { body: 'x', authorId: w.dev.id });
    const api = client(w.gitlab, w.bot.token);
    expect((await api.get(`/projects/${w.project.id}/issues/${other.iid}/notes/${note.id}`)).status).toBe(200);
    const wrong = await api.get(`${issuePath()}/notes/${note.id}`);
    expect(wrong.status).toBe(404);
    expect(wrong.body).toEqual({ message: '404 Not found' });
  });
});

describe('snippet and merge request notes', () => {
  it('addresses snippets by id and merge requests by iid', async () => {
    const snippet = w.gitlab.addSnippet(w.project.id, { title: 's', authorId: w.dev.id });
    const mr = w.gitlab.addMergeRequest(w.project.id, { sourceBranch: 'feature', targetBranch: 'main', title: 'F', authorId: w.dev.id });
    w.gitlab.addNote(w.project.id, { type: 'Snippet', id: snippet.id }, { body: 'on snippet', authorId: w.dev.id });
    const mrNote = w.gitlab.addNote(w.project.id, { type: 'MergeRequest', iid: mr.iid }, { body: 'on mr', authorId: w.bot.id });
    const api = client(w.gitlab, w.bot.token);
    const onSnippet = await api.get(`/projects/${w.project.id}/snippets/${snippet.id}/notes`);
    expect(onSnippet.body).toMatchObject([{ body: 'on snippet', noteable_type: 'Snippet', noteable_id: snippet.id, noteable_iid: null }]);
    expect((await api.get(`/projects/${w.project.id}/snippets/${snippet.id + 1}/notes`)).status).toBe(404);
    const edited = await api.put(`/projects/${w.project.id}/merge_requests/${mr.iid}/notes/${mrNote.id}`, { body: 'edited' });
    expect(edited.body).toMatchObject({ body: 'edited', noteable_type: 'MergeRequest', noteable_iid: mr.iid });
    expect((await api.get(`/projects/${w.project.id}/merge_requests/${mr.id}/notes`)).body).toEqual({ message: '404 Not found' });
  });
});

describe('discussions', () => {
  it('replies in a thread: 201 with the note, same discussion', async () => {
    const thread = w.gitlab.addNote(w.project.id, { type: 'Issue', iid: issue.iid }, { body: '@claude fix it', authorId: w.dev.id });
    const reply = await client(w.gitlab, w.bot.token).post(`${issuePath()}/discussions/${thread.discussionId}/notes`, { body: 'Claude is on it' });
    expect(reply.status).toBe(201);
    expect(reply.body).toMatchObject({ type: 'DiscussionNote', body: 'Claude is on it', resolvable: true, resolved: false });
    const discussion = await client(w.gitlab, w.bot.token).get(`${issuePath()}/discussions/${thread.discussionId}`);
    expect(discussion.body.id).toBe(thread.discussionId);
    expect(discussion.body.individual_note).toBe(false);
    expect(discussion.body.notes.map((n: any) => n.body)).toEqual(['@claude fix it', 'Claude is on it']);
  });

  it('replying to a single comment on an issue turns it into a thread with the same id', async () => {
    const single = w.gitlab.addNote(w.project.id, { type: 'Issue', iid: issue.iid }, { body: '@claude hi', authorId: w.dev.id, individual: true });
    const reply = await client(w.gitlab, w.bot.token).post(`${issuePath()}/discussions/${single.discussionId}/notes`, { body: 'on it' });
    expect(reply.status).toBe(201);
    const discussion = await client(w.gitlab, w.bot.token).get(`${issuePath()}/discussions/${single.discussionId}`);
    expect(discussion.body.individual_note).toBe(false);
    expect(discussion.body.notes.map((n: any) => n.type)).toEqual(['DiscussionNote', 'DiscussionNote']);
  });

  it('refuses replies to a single comment on a snippet: 400 "Discussion can not be replied to."', async () => {
    const snippet = w.gitlab.addSnippet(w.project.id, { title: 's', authorId: w.dev.id });
    const single = w.gitlab.addNote(w.project.id, { type: 'Snippet', id: snippet.id }, { body: '@claude', authorId: w.dev.id, individual: true });
    const reply = await client(w.gitlab, w.bot.token).post(`/projects/${w.project.id}/snippets/${snippet.id}/discussions/${single.discussionId}/notes`, { body: 'x' });
    expect(reply.status).toBe(400);
    expect(reply.body).toEqual({ message: '400 Bad request - Discussion can not be replied to.' });
  });

  it('answers 404 "Discussion Not Found" for an unknown id or one of another noteable', async () => {
    const other = w.gitlab.addIssue(w.project.id, { title: 'other', authorId: w.dev.id });
    const thread = w.gitlab.addNote(w.project.id, { type: 'Issue', iid: other.iid }, { body: 'x', authorId: w.dev.id });
    const api = client(w.gitlab, w.bot.token);
    for (const id of ['0'.repeat(40), thread.discussionId]) {
      const reply = await api.post(`${issuePath()}/discussions/${id}/notes`, { body: 'x' });
      expect(reply.status).toBe(404);
      expect(reply.body).toEqual({ message: '404 Discussion Not Found' });
    }
  });

  it('starts a thread with POST .../discussions: 201 with the discussion', async () => {
    const reply = await client(w.gitlab, w.bot.token).post(`${issuePath()}/discussions`, { body: 'new thread' });
    expect(reply.status).toBe(201);
    expect(reply.body).toMatchObject({ id: expect.stringMatching(/^[0-9a-f]{40}$/), individual_note: false, notes: [{ body: 'new thread', type: 'DiscussionNote' }] });
  });

  it('edits a thread note with PUT: exactly one of body or resolved', async () => {
    const thread = w.gitlab.addNote(w.project.id, { type: 'Issue', iid: issue.iid }, { body: 'tracking', authorId: w.bot.id });
    const path = `${issuePath()}/discussions/${thread.discussionId}/notes/${thread.id}`;
    const api = client(w.gitlab, w.bot.token);
    expect((await api.put(path, {})).body).toEqual({ error: 'body, resolved are missing, exactly one parameter must be provided' });
    expect((await api.put(path, { body: 'x', resolved: true })).body).toEqual({ error: 'body, resolved are mutually exclusive' });
    const edited = await api.put(path, { body: 'Done: pipeline #9001' });
    expect(edited.status).toBe(200);
    expect(edited.body.body).toBe('Done: pipeline #9001');
    const other = await client(w.gitlab, w.dev.token).put(path, { body: 'mine now' });
    expect(other.status).toBe(403);
    const blank = await api.put(path, { body: '' });
    expect(blank.status).toBe(400);
    expect(blank.body).toEqual({ message: `400 Bad request - Note {:note=>["can't be blank"]}` });
  });

  it('serves merge request and commit discussions; unknown commits are "404 Commit Not Found"', async () => {
    const mr = w.gitlab.addMergeRequest(w.project.id, { sourceBranch: 'feature', targetBranch: 'main', title: 'Feature', authorId: w.dev.id });
    const api = client(w.gitlab, w.bot.token);
    const onMr = await api.post(`/projects/${w.project.id}/merge_requests/${mr.iid}/discussions`, { body: 'review' });
    expect(onMr.status).toBe(201);
    expect(onMr.body.notes[0]).toMatchObject({ noteable_type: 'MergeRequest', noteable_iid: mr.iid, noteable_id: mr.id });
    const sha = w.gitlab.addCommit(w.project.id, { title: 'Fix' });
    const onCommit = await api.post(`/projects/${w.project.id}/repository/commits/${sha}/discussions`, { body: '@claude explain' });
    expect(onCommit.status).toBe(201);
    expect(onCommit.body.notes[0]).toMatchObject({ noteable_type: 'Commit', noteable_id: null });
    const list = await api.get(`/projects/${w.project.id}/repository/commits/${sha}/discussions`);
    expect(list.body).toHaveLength(1);
    const missing = await api.get(`/projects/${w.project.id}/repository/commits/${'f'.repeat(40)}/discussions`);
    expect(missing.status).toBe(404);
    expect(missing.body).toEqual({ message: '404 Commit Not Found' });
  });

  it('creates a diff thread on a merge request with a position', async () => {
    const mr = w.gitlab.addMergeRequest(w.project.id, { sourceBranch: 'feature', targetBranch: 'main', title: 'Feature', authorId: w.dev.id });
    const position = { base_sha: 'a'.repeat(40), start_sha: 'a'.repeat(40), head_sha: 'b'.repeat(40), position_type: 'text', new_path: 'x.ts', new_line: 3 };
    const reply = await client(w.gitlab, w.bot.token).post(`/projects/${w.project.id}/merge_requests/${mr.iid}/discussions`, { body: 'here', position });
    expect(reply.status).toBe(201);
    expect(reply.body.notes[0]).toMatchObject({ type: 'DiffNote', position: { new_line: 3 } });
    const incomplete = await client(w.gitlab, w.bot.token).post(`/projects/${w.project.id}/merge_requests/${mr.iid}/discussions`, { body: 'here', position: { new_line: 3 } });
    expect(incomplete.status).toBe(400);
    expect(incomplete.body.error).toContain('position[base_sha] is missing');
  });

  it('paginates discussions', async () => {
    for (let i = 0; i < 3; i += 1) w.gitlab.addNote(w.project.id, { type: 'Issue', iid: issue.iid }, { body: `n${i}`, authorId: w.dev.id });
    const reply = await client(w.gitlab, w.bot.token).get(`${issuePath()}/discussions?per_page=2&page=2`);
    expect(reply.body.map((d: any) => d.notes[0].body)).toEqual(['n2']);
    expect(reply.headers.get('x-total')).toBe('3');
    expect(reply.headers.get('x-page')).toBe('2');
  });
});
