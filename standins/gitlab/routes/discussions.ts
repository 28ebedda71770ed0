import { accessLevel, canCreateNote, canEditNote, canReadNote } from '../access.js';
import { discussionEntity, isResolvable, noteEntity } from '../entities/notes.js';
import { badRequest, forbidden, notFound, paramErrors } from '../http/errors.js';
import { paginate } from '../http/pagination.js';
import { isPlainObject, ParamCheck } from '../http/params.js';
import { json, requireUser, type Ctx, type Router } from '../http/router.js';
import { requirePositionOnDiff } from '../ops/diff-position.js';
import { discussionsOf, reply, sameNoteable, startDiscussion } from '../ops/notes.js';
import { AccessLevel, type Discussion, type Note } from '../types.js';
import { findNoteable, NOTEABLE_PATHS, type FoundNoteable } from './noteables.js';
import { deleteNote, findNote, noteBodyError, requireIntegers, updateNoteBody } from './notes.js';

// Threads on issues, merge requests, snippets and commits (https://docs.gitlab.com/api/discussions/,
// lib/api/discussions.rb). A discussion id is 40 hex characters. Replying to a single comment on an
// issue or merge request turns it into a thread; on snippets and commits GitLab refuses with
// 400 "Discussion can not be replied to.".

const REPLYABLE_INDIVIDUAL = new Set(['Issue', 'MergeRequest']);

function visibleNotes(ctx: Ctx, found: FoundNoteable, discussion: Discussion): Note[] {
  const { state } = ctx.services;
  return discussion.noteIds
    .map((id) => state.notes.get(id))
    .filter((note): note is Note => note !== undefined && canReadNote(found.project, note, ctx.user));
}

function findDiscussion(ctx: Ctx, found: FoundNoteable, resource: 'Discussion' | 'Notes'): { discussion: Discussion; notes: Note[] } {
  const discussion = ctx.services.state.discussions.get(ctx.pathParams.discussion_id as string);
  const notes = discussion && sameNoteable(discussion.noteable, found.key) ? visibleNotes(ctx, found, discussion) : [];
  if (!discussion || notes.length === 0) throw notFound(resource);
  return { discussion, notes };
}

/** `position` for diff threads on merge requests and commits (required keys as in lib/api/discussions.rb). */
export function readPosition(raw: unknown, allowed: boolean): Record<string, unknown> | null {
  if (raw === undefined || raw === null || !allowed) return null;
  if (!isPlainObject(raw)) throw paramErrors(['position is invalid']);
  const missing = ['base_sha', 'start_sha', 'head_sha', 'position_type'].filter((key) => raw[key] === undefined || raw[key] === null);
  if (missing.length > 0) throw paramErrors(missing.map((key) => `position[${key}] is missing`));
  if (!['text', 'image', 'file'].includes(String(raw.position_type))) throw paramErrors(['position[position_type] does not have a valid value']);
  return { ...raw };
}

/** `:resolve_note`: Developers and up, and the author of the merge request or issue thread's note. */
function canResolve(found: FoundNoteable, note: Note, ctx: Ctx): boolean {
  return accessLevel(found.project, ctx.user) >= AccessLevel.developer || note.authorId === ctx.user?.id;
}

export function registerDiscussionRoutes(router: Router): void {
  for (const { type, segment } of NOTEABLE_PATHS) {
    const base = `/projects/:id/${segment}/:noteable_id/discussions`;
    const idKind = type === 'Commit' ? [] : ['noteable_id'];

    router.get(base, async (ctx) => {
      requireUser(ctx);
      const found = await findNoteable(ctx, type, ctx.pathParams.noteable_id as string, 'noteable_id');
      const page = paginate(discussionsOf(ctx.services.state, found.key), ctx.params, ctx.url);
      const body = page.items
        .map((discussion) => ({ discussion, notes: visibleNotes(ctx, found, discussion) }))
        .filter((entry) => entry.notes.length > 0)
        .map((entry) => discussionEntity(ctx.services.state, entry.discussion, entry.notes));
      return json(200, body, page.headers);
    });

    router.get(`${base}/:discussion_id`, async (ctx) => {
      requireUser(ctx);
      const found = await findNoteable(ctx, type, ctx.pathParams.noteable_id as string, 'noteable_id');
      const { discussion, notes } = findDiscussion(ctx, found, 'Discussion');
      return json(200, discussionEntity(ctx.services.state, discussion, notes));
    });

    router.post(base, async (ctx) => {
      const user = requireUser(ctx);
      const check = new ParamCheck(ctx.params);
      const body = check.requiredString('body');
      check.done();
      const position = readPosition(ctx.params.position, type === 'MergeRequest' || type === 'Commit');
      const found = await findNoteable(ctx, type, ctx.pathParams.noteable_id as string, 'noteable_id');
      if (!canCreateNote(found.project, user)) throw forbidden();
      const invalid = noteBodyError(body);
      if (invalid) throw invalid;
      const mr = found.key.type === 'MergeRequest' ? ctx.services.state.mergeRequests.get(found.key.id) : undefined;
      if (position && mr) await requirePositionOnDiff(ctx.services.state, mr, position);
      // The discussions API declares no `internal` parameter; internal threads start in the notes API.
      const note = startDiscussion(ctx.services.state, {
        noteable: found.key,
        authorId: user.id,
        body,
        type: position ? 'DiffNote' : 'DiscussionNote',
        position,
      });
      const discussion = ctx.services.state.discussions.get(note.discussionId) as Discussion;
      return json(201, discussionEntity(ctx.services.state, discussion, [note]));
    });

    router.get(`${base}/:discussion_id/notes`, async (ctx) => {
      requireUser(ctx);
      const found = await findNoteable(ctx, type, ctx.pathParams.noteable_id as string, 'noteable_id');
      const { notes } = findDiscussion(ctx, found, 'Notes');
      return json(200, notes.map((note) => noteEntity(ctx.services.state, note)));
    });

    router.post(`${base}/:discussion_id/notes`, async (ctx) => {
      const user = requireUser(ctx);
      const check = new ParamCheck(ctx.params);
      const body = check.requiredString('body');
      check.done();
      const found = await findNoteable(ctx, type, ctx.pathParams.noteable_id as string, 'noteable_id');
      const { discussion } = findDiscussion(ctx, found, 'Discussion');
      if (discussion.individual && !REPLYABLE_INDIVIDUAL.has(type)) throw badRequest('Discussion can not be replied to.');
      if (!canCreateNote(found.project, user)) throw forbidden();
      const invalid = noteBodyError(body);
      if (invalid) throw invalid;
      const note = reply(ctx.services.state, discussion, { authorId: user.id, body });
      return json(201, noteEntity(ctx.services.state, note));
    });

    router.get(`${base}/:discussion_id/notes/:note_id`, async (ctx) => {
      requireUser(ctx);
      requireIntegers(ctx, [...idKind, 'note_id']);
      const found = await findNoteable(ctx, type, ctx.pathParams.noteable_id as string, 'noteable_id');
      return json(200, noteEntity(ctx.services.state, findNote(ctx, found, ctx.pathParams.note_id as string)));
    });

    router.put(`${base}/:discussion_id/notes/:note_id`, async (ctx) => {
      requireUser(ctx);
      requireIntegers(ctx, [...idKind, 'note_id']);
      const hasBody = ctx.params.body !== undefined && ctx.params.body !== null;
      const hasResolved = ctx.params.resolved !== undefined && ctx.params.resolved !== null;
      // Grape's `exactly_one_of :body, :resolved`.
      if (!hasBody && !hasResolved) throw paramErrors(['body, resolved are missing, exactly one parameter must be provided']);
      if (hasBody && hasResolved) throw paramErrors(['body, resolved are mutually exclusive']);
      const check = new ParamCheck(ctx.params);
      const body = check.optionalString('body');
      const resolved = check.optionalBoolean('resolved');
      check.done();
      const found = await findNoteable(ctx, type, ctx.pathParams.noteable_id as string, 'noteable_id');
      const note = findNote(ctx, found, ctx.pathParams.note_id as string);
      if (resolved === undefined) {
        // No allow_blank here, so "" reaches the model: "Note {:note=>[\"can't be blank\"]}".
        return json(200, noteEntity(ctx.services.state, updateNoteBody(ctx, found, note, body)));
      }
      if (!canResolve(found, note, ctx)) throw forbidden();
      if (!isResolvable(note)) throw badRequest('Note is not resolvable');
      setResolved(ctx, note, resolved);
      return json(200, noteEntity(ctx.services.state, note));
    });

    router.delete(`${base}/:discussion_id/notes/:note_id`, async (ctx) => {
      requireUser(ctx);
      requireIntegers(ctx, [...idKind, 'note_id']);
      const found = await findNoteable(ctx, type, ctx.pathParams.noteable_id as string, 'noteable_id');
      const note = findNote(ctx, found, ctx.pathParams.note_id as string);
      if (!canEditNote(found.project, note, ctx.user)) throw forbidden();
      deleteNote(ctx, note);
      return { status: 204 };
    });

    if (type === 'MergeRequest' || type === 'Issue') {
      router.put(`${base}/:discussion_id`, async (ctx) => {
        requireUser(ctx);
        const check = new ParamCheck(ctx.params);
        const resolvedRaw = check.raw('resolved');
        if (resolvedRaw === undefined || resolvedRaw === null) check.add('resolved is missing');
        const resolved = check.optionalBoolean('resolved');
        check.done();
        const found = await findNoteable(ctx, type, ctx.pathParams.noteable_id as string, 'noteable_id');
        const { discussion, notes } = findDiscussion(ctx, found, 'Discussion');
        const first = notes[0] as Note;
        if (!canResolve(found, first, ctx)) throw forbidden();
        for (const note of notes) if (isResolvable(note)) setResolved(ctx, note, resolved as boolean);
        return json(200, discussionEntity(ctx.services.state, discussion, notes));
      });
    }
  }
}

function setResolved(ctx: Ctx, note: Note, resolved: boolean): void {
  const now = ctx.services.state.now();
  note.resolved = resolved;
  note.resolvedById = resolved ? (ctx.user?.id ?? null) : null;
  note.resolvedAt = resolved ? now : null;
  // Resolving does not edit the note, but GitLab's updated_at moves with the row.
  note.updatedAt = now;
}
