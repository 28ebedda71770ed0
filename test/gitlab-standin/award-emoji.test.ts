import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { client, world } from './helpers.js';

let w: Awaited<ReturnType<typeof world>>;
let issue: { id: number; iid: number };
let note: { id: number; discussionId: string };
beforeEach(async () => {
  w = await world();
  issue = w.gitlab.addIssue(w.project.id, { title: 'Flaky test', authorId: w.dev.id });
  note = w.gitlab.addNote(w.project.id, { type: 'Issue', iid: issue.iid }, { body: '@claude fix it', authorId: w.dev.id, individual: true });
});
afterEach(async () => {
  await w.gitlab.close();
});

const awards = () => `/projects/${w.project.id}/issues/${issue.iid}/notes/${note.id}/award_emoji`;

describe('award emoji on notes', () => {
  it('awards an emoji: 201 with the award', async () => {
    const reply = await client(w.gitlab, w.bot.token).post(awards(), { name: 'eyes' });
    expect(reply.status).toBe(201);
    expect(reply.body).toMatchObject({ name: 'eyes', awardable_id: note.id, awardable_type: 'Note', user: { username: 'claude-bot' } });
    expect(w.gitlab.awardEmoji(w.project.id, { type: 'Issue', iid: issue.iid }, note.id)).toMatchObject([{ name: 'eyes', username: 'claude-bot' }]);
  });

  it('refuses the same name twice by the same user with GitLab\'s 404', async () => {
    const api = client(w.gitlab, w.bot.token);
    await api.post(awards(), { name: 'eyes' });
    const again = await api.post(awards(), { name: 'eyes' });
    expect(again.status).toBe(404);
    expect(again.body).toEqual({ message: '404 Award Emoji Name has already been taken Not Found' });
    expect((await client(w.gitlab, w.dev.token).post(awards(), { name: 'eyes' })).status).toBe(201);
    expect(w.gitlab.awardEmoji(w.project.id, { type: 'Issue', iid: issue.iid }, note.id)).toHaveLength(2);
  });

  it('refuses names that are not emoji (colons included) and a missing name', async () => {
    const api = client(w.gitlab, w.bot.token);
    const colons = await api.post(awards(), { name: ':eyes:' });
    expect(colons.status).toBe(404);
    expect(colons.body).toEqual({ message: '404 Award Emoji Name is not a valid emoji name Not Found' });
    expect((await api.post(awards(), {})).body).toEqual({ error: 'name is missing' });
  });

  it('lists awards and lets only the owner delete one (401 for others)', async () => {
    const api = client(w.gitlab, w.bot.token);
    const award = await api.post(awards(), { name: 'eyes' });
    const list = await api.get(awards());
    expect(list.body.map((a: any) => a.name)).toEqual(['eyes']);
    const stranger = await client(w.gitlab, w.dev.token).delete(`${awards()}/${award.body.id}`);
    expect(stranger.status).toBe(401);
    expect((await api.delete(`${awards()}/${award.body.id}`)).status).toBe(204);
    expect((await api.get(awards())).body).toEqual([]);
  });

  it('answers 404 "Not found" for a note that is not on that issue, and works on merge request notes', async () => {
    const other = w.gitlab.addIssue(w.project.id, { title: 'other', authorId: w.dev.id });
    const reply = await client(w.gitlab, w.bot.token).post(`/projects/${w.project.id}/issues/${other.iid}/notes/${note.id}/award_emoji`, { name: 'eyes' });
    expect(reply.status).toBe(404);
    expect(reply.body).toEqual({ message: '404 Not found' });
    const mr = w.gitlab.addMergeRequest(w.project.id, { sourceBranch: 'feature', targetBranch: 'main', title: 'F', authorId: w.dev.id });
    const mrNote = w.gitlab.addNote(w.project.id, { type: 'MergeRequest', iid: mr.iid }, { body: '@claude', authorId: w.dev.id });
    const onMr = await client(w.gitlab, w.bot.token).post(`/projects/${w.project.id}/merge_requests/${mr.iid}/notes/${mrNote.id}/award_emoji`, { name: 'thumbsup' });
    expect(onMr.status).toBe(201);
  });

  it('needs a user: 401 anonymously, 404 "Project Not Found" for outsiders', async () => {
    expect((await client(w.gitlab).post(awards(), { name: 'eyes' })).status).toBe(401);
    expect((await client(w.gitlab, w.outsider.token).post(awards(), { name: 'eyes' })).body).toEqual({ message: '404 Project Not Found' });
  });
});
