import { canCreateNote, canEditNote, canReadNote } from '../access.js';
import { noteEntity } from '../entities/notes.js';
import { badRequest, forbidden, notFound, paramErrors, recordNotFound, type ApiError } from '../http/errors.js';
import { paginate } from '../http/pagination.js';
import { ParamCheck } from '../http/params.js';
import { json, requireUser, type Ctx, type Router } from '../http/router.js';
import { notesOf, sameNoteable, startDiscussion } from '../ops/notes.js';
import type { Note } from '../types.js';
import { findNoteable, NOTEABLE_PATHS, type FoundNoteable } from './noteables.js';

// The notes API for issues, merge requests and snippets (https://docs.gitlab.com/api/notes/,
// lib/api/notes.rb): `before { authenticate! }`; lists default to created_at, newest first.
//
// Body rules, from the Grape declarations: POST `requires :body` (missing → {"error":"body is missing"});
// an empty one passes Grape and fails the Note model, which the API reports as
// 400 {"message":"400 Bad request - Note {:note=>[\"can't be blank\"]}"}. PUT declares
// `optional :body, allow_blank: false`: an empty body is {"error":"body is empty"}.

const MAX_NOTE_LENGTH = 1_000_000;

/** The Note model's validation of `note`, in the API's words. */
export function noteBodyError(body: string): ApiError | null {
  if (body.trim() === '') return badRequest(`Note {:note=>["can't be blank"]}`);
  if (body.length > MAX_NOTE_LENGTH) return badRequest(`Note {:note=>["is too long (maximum is ${MAX_NOTE_LENGTH} characters)"]}`);
  return null;
}

/** Grape's `type: Integer` path parameters, checked before anything is looked up. */
export function requireIntegers(ctx: Ctx, names: string[]): void {
  const invalid = names.filter((name) => !/^\d+$/.test(ctx.pathParams[name] ?? ''));
  if (invalid.length > 0) throw paramErrors(invalid.map((name) => `${name} is invalid`));
}

/** A note of this noteable, by id (`noteable.notes.find`), that the user may read. */
export function findNote(ctx: Ctx, found: FoundNoteable, rawNoteId: string): Note {
  const note = ctx.services.state.notes.get(Number(rawNoteId));
  if (!note || !sameNoteable(note.noteable, found.key)) throw recordNotFound();
  if (!canReadNote(found.project, note, ctx.user)) throw notFound('Note');
  return note;
}

/** Updates a note's body as Notes::UpdateService does: updated_at moves only when the text changes. */
export function updateNoteBody(ctx: Ctx, found: FoundNoteable, note: Note, body: string | undefined): Note {
  if (!canEditNote(found.project, note, ctx.user)) throw forbidden();
  if (body === undefined || body === note.body) return note;
  const invalid = noteBodyError(body);
  if (invalid) throw invalid;
  note.body = body;
  note.updatedAt = ctx.services.state.now();
  ctx.services.state.onNoteChanged(note, 'update');
  return note;
}

export function registerNoteRoutes(router: Router): void {
  for (const { type, segment } of NOTEABLE_PATHS) {
    if (type === 'Commit') continue; // Commit comments have their own API; commits have discussions.
    const base = `/projects/:id/${segment}/:noteable_id/notes`;

    router.get(base, async (ctx) => {
      requireUser(ctx);
      const check = new ParamCheck(ctx.params);
      const orderBy = check.optionalEnum('order_by', ['created_at', 'updated_at'] as const) ?? 'created_at';
      const sort = check.optionalEnum('sort', ['asc', 'desc'] as const) ?? 'desc';
      const filter = check.optionalEnum('activity_filter', ['all_notes', 'only_comments', 'only_activity'] as const) ?? 'all_notes';
      check.done();
      const found = await findNoteable(ctx, type, ctx.pathParams.noteable_id as string, 'noteable_id');
      const { state } = ctx.services;
      const notes = notesOf(state, found.key)
        .filter((note) => filter === 'all_notes' || (filter === 'only_comments' ? !note.system : note.system))
        .sort((a, b) => {
          const delta = (orderBy === 'updated_at' ? a.updatedAt.getTime() - b.updatedAt.getTime() : a.createdAt.getTime() - b.createdAt.getTime()) || a.id - b.id;
          return sort === 'asc' ? delta : -delta;
        });
      // Like GitLab, unreadable notes are dropped after paginating, so a page can come back short.
      const page = paginate(notes, ctx.params, ctx.url);
      const visible = page.items.filter((note) => canReadNote(found.project, note, ctx.user));
      return json(200, visible.map((note) => noteEntity(state, note)), page.headers);
    });

    router.get(`${base}/:note_id`, async (ctx) => {
      requireUser(ctx);
      requireIntegers(ctx, ['note_id']);
      const found = await findNoteable(ctx, type, ctx.pathParams.noteable_id as string, 'noteable_id');
      return json(200, noteEntity(ctx.services.state, findNote(ctx, found, ctx.pathParams.note_id as string)));
    });

    router.post(base, async (ctx) => {
      const user = requireUser(ctx);
      const check = new ParamCheck(ctx.params);
      const body = check.requiredString('body');
      const internal = check.optionalBoolean('internal') ?? check.optionalBoolean('confidential') ?? false;
      check.done();
      const found = await findNoteable(ctx, type, ctx.pathParams.noteable_id as string, 'noteable_id');
      if (!canCreateNote(found.project, user)) throw forbidden();
      const invalid = noteBodyError(body);
      if (invalid) throw invalid;
      const note = startDiscussion(ctx.services.state, { noteable: found.key, authorId: user.id, body, type: null, internal });
      return json(201, noteEntity(ctx.services.state, note));
    });

    router.put(`${base}/:note_id`, async (ctx) => {
      requireUser(ctx);
      requireIntegers(ctx, ['note_id']);
      const check = new ParamCheck(ctx.params);
      const body = check.optionalString('body', { allowBlank: false });
      check.done();
      const found = await findNoteable(ctx, type, ctx.pathParams.noteable_id as string, 'noteable_id');
      const note = updateNoteBody(ctx, found, findNote(ctx, found, ctx.pathParams.note_id as string), body);
      return json(200, noteEntity(ctx.services.state, note));
    });

    router.delete(`${base}/:note_id`, async (ctx) => {
      requireUser(ctx);
      requireIntegers(ctx, ['note_id']);
      const found = await findNoteable(ctx, type, ctx.pathParams.noteable_id as string, 'noteable_id');
      const note = findNote(ctx, found, ctx.pathParams.note_id as string);
      if (!canEditNote(found.project, note, ctx.user)) throw forbidden();
      deleteNote(ctx, note);
      return { status: 204 };
    });
  }
}

export function deleteNote(ctx: Ctx, note: Note): void {
  const { state } = ctx.services;
  state.notes.delete(note.id);
  const discussion = state.discussions.get(note.discussionId);
  if (!discussion) return;
  discussion.noteIds = discussion.noteIds.filter((id) => id !== note.id);
  if (discussion.noteIds.length === 0) state.discussions.delete(discussion.id);
}
