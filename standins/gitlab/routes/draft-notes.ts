import { canCreateNote, findProject } from '../access.js';
import { forbidden, notFound, paramErrors } from '../http/errors.js';
import { ParamCheck } from '../http/params.js';
import { json, requireUser, type Ctx, type Router } from '../http/router.js';
import { requirePositionOnDiff } from '../ops/diff-position.js';
import { reply, sameNoteable, startDiscussion } from '../ops/notes.js';
import type { DraftNote, MergeRequest } from '../types.js';
import { readPosition } from './discussions.js';
import { findMergeRequestByIid } from './issuables.js';
import { noteBodyError, requireIntegers } from './notes.js';

// Draft notes (https://docs.gitlab.com/api/draft_notes/, lib/api/draft_notes.rb): pending review comments
// on a merge request, visible only to their author until published. Publishing all of them at once
// (`bulk_publish`) turns each into a note (a diff thread when it has a position), as one review: GitLab
// sends participants one notification for it. The position is checked against the diff like a diff
// thread's (ops/diff-position.ts).

function draftEntity(draft: DraftNote) {
  const position = draft.position ?? { base_sha: null, start_sha: null, head_sha: null, old_path: null, new_path: null, position_type: 'text', old_line: null, new_line: null, line_range: null };
  return {
    id: draft.id,
    author_id: draft.authorId,
    merge_request_id: draft.mergeRequestId,
    resolve_discussion: draft.resolveDiscussion,
    discussion_id: draft.discussionId,
    note: draft.note,
    commit_id: null,
    line_code: null,
    position: { line_range: null, old_line: null, new_line: null, ...position },
  };
}

function context(ctx: Ctx): { mr: MergeRequest; userId: number } {
  const user = requireUser(ctx);
  requireIntegers(ctx, ['merge_request_iid']);
  const project = findProject(ctx.services.state, ctx.pathParams.id as string, ctx.user);
  const mr = findMergeRequestByIid(ctx, project);
  if (!canCreateNote(project, user)) throw forbidden();
  return { mr, userId: user.id };
}

function ownDrafts(ctx: Ctx, mr: MergeRequest, userId: number): DraftNote[] {
  return [...ctx.services.state.draftNotes.values()].filter((draft) => draft.mergeRequestId === mr.id && draft.authorId === userId).sort((a, b) => a.id - b.id);
}

function findDraft(ctx: Ctx, mr: MergeRequest, userId: number): DraftNote {
  const id = Number(ctx.pathParams.draft_note_id);
  const draft = ownDrafts(ctx, mr, userId).find((candidate) => candidate.id === id);
  if (!draft) throw notFound('Draft Note');
  return draft;
}

/** DraftNotes::PublishService: the draft becomes a note, in its thread or a new one. */
function publish(ctx: Ctx, mr: MergeRequest, draft: DraftNote): void {
  const { state } = ctx.services;
  const noteable = { type: 'MergeRequest' as const, projectId: mr.projectId, id: mr.id };
  const thread = draft.discussionId ? state.discussions.get(draft.discussionId) : undefined;
  if (thread && sameNoteable(thread.noteable, noteable)) reply(state, thread, { authorId: draft.authorId, body: draft.note });
  else startDiscussion(state, { noteable, authorId: draft.authorId, body: draft.note, type: draft.position ? 'DiffNote' : 'DiscussionNote', position: draft.position });
  state.draftNotes.delete(draft.id);
}

export function registerDraftNoteRoutes(router: Router): void {
  const base = '/projects/:id/merge_requests/:merge_request_iid/draft_notes';

  router.get(base, (ctx) => {
    const { mr, userId } = context(ctx);
    return json(200, ownDrafts(ctx, mr, userId).map(draftEntity));
  });

  router.get(`${base}/:draft_note_id`, (ctx) => {
    const { mr, userId } = context(ctx);
    requireIntegers(ctx, ['draft_note_id']);
    return json(200, draftEntity(findDraft(ctx, mr, userId)));
  });

  router.post(base, async (ctx) => {
    const check = new ParamCheck(ctx.params);
    const note = check.requiredString('note');
    const inReply = check.optionalString('in_reply_to_discussion_id');
    const resolveDiscussion = check.optionalBoolean('resolve_discussion') ?? false;
    check.done();
    const { mr, userId } = context(ctx);
    const invalid = noteBodyError(note);
    if (invalid) throw invalid;
    const position = readPosition(ctx.params.position, true);
    if (position) await requirePositionOnDiff(ctx.services.state, mr, position);
    if (inReply && !ctx.services.state.discussions.has(inReply)) throw paramErrors(['in_reply_to_discussion_id is invalid']);
    const { state } = ctx.services;
    const draft: DraftNote = {
      id: state.nextId('draftNote'),
      mergeRequestId: mr.id,
      authorId: userId,
      note,
      position,
      discussionId: inReply ?? null,
      resolveDiscussion,
    };
    state.draftNotes.set(draft.id, draft);
    return json(201, draftEntity(draft));
  });

  router.put(`${base}/:draft_note_id/publish`, (ctx) => {
    const { mr, userId } = context(ctx);
    requireIntegers(ctx, ['draft_note_id']);
    publish(ctx, mr, findDraft(ctx, mr, userId));
    return { status: 204 };
  });

  router.post(`${base}/bulk_publish`, (ctx) => {
    const { mr, userId } = context(ctx);
    for (const draft of ownDrafts(ctx, mr, userId)) publish(ctx, mr, draft);
    return { status: 204 };
  });

  router.delete(`${base}/:draft_note_id`, (ctx) => {
    const { mr, userId } = context(ctx);
    requireIntegers(ctx, ['draft_note_id']);
    ctx.services.state.draftNotes.delete(findDraft(ctx, mr, userId).id);
    return { status: 204 };
  });
}
