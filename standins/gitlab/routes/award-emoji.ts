import { canCreateNote, canReadCode, canReadIssue, canReadNote, canReadProject, findProject } from '../access.js';
import { awardEntity } from '../entities/notes.js';
import { notFound, recordNotFound, unauthorized } from '../http/errors.js';
import { paginate } from '../http/pagination.js';
import { ParamCheck } from '../http/params.js';
import { json, requireUser, type Ctx, type Router } from '../http/router.js';
import { sameNoteable } from '../ops/notes.js';
import type { Award, AwardableType, NoteableKey } from '../types.js';
import { requireIntegers } from './notes.js';

// Award emoji on issues, merge requests, snippets and their notes (https://docs.gitlab.com/api/emoji_reactions/,
// lib/api/award_emoji.rb). Everything GitLab refuses here is a 404 built with `not_found!("Award Emoji ...")`:
// an unreadable target is "404 Award Emoji Not Found", a second award of the same name by the same user
// "404 Award Emoji Name has already been taken Not Found" (the uniqueness validation's message), an
// unknown name "404 Award Emoji Name is not a valid emoji name Not Found". Only the award's owner may
// delete it; anyone else gets `unauthorized!` (401).

const AWARDABLES = [
  { type: 'Issue', segment: 'issues', param: 'issue_iid' },
  { type: 'MergeRequest', segment: 'merge_requests', param: 'merge_request_iid' },
  { type: 'Snippet', segment: 'snippets', param: 'snippet_id' },
] as const;

interface Target {
  awardableType: AwardableType;
  awardableId: number;
  readable: boolean;
  canAward: boolean;
}

/** `awardable`: the issue/MR by iid or snippet by id in the project, then the note of it by id. */
function findTarget(ctx: Ctx, kind: (typeof AWARDABLES)[number], withNote: boolean): Target {
  const { state } = ctx.services;
  const project = findProject(state, ctx.pathParams.id as string, ctx.user);
  const number = Number(ctx.pathParams[kind.param]);
  let key: NoteableKey;
  let readable: boolean;
  if (kind.type === 'Issue') {
    const issue = [...state.issues.values()].find((item) => item.projectId === project.id && item.iid === number);
    if (!issue) throw recordNotFound();
    key = { type: 'Issue', projectId: project.id, id: issue.id };
    readable = canReadIssue(project, issue, ctx.user);
  } else if (kind.type === 'MergeRequest') {
    const mr = [...state.mergeRequests.values()].find((item) => item.projectId === project.id && item.iid === number);
    if (!mr) throw recordNotFound();
    key = { type: 'MergeRequest', projectId: project.id, id: mr.id };
    readable = canReadCode(project, ctx.user);
  } else {
    const snippet = state.snippets.get(number);
    if (!snippet || snippet.projectId !== project.id) throw recordNotFound();
    key = { type: 'Snippet', projectId: project.id, id: snippet.id };
    readable = canReadProject(project, ctx.user);
  }
  const canAward = readable && canCreateNote(project, ctx.user);
  if (!withNote) return { awardableType: kind.type, awardableId: key.id, readable, canAward };
  const note = state.notes.get(Number(ctx.pathParams.note_id));
  if (!note || !sameNoteable(note.noteable, key)) throw recordNotFound();
  const noteReadable = readable && canReadNote(project, note, ctx.user);
  return { awardableType: 'Note', awardableId: note.id, readable: noteReadable, canAward: canAward && noteReadable };
}

function awardsOf(ctx: Ctx, target: Target): Award[] {
  return [...ctx.services.state.awards.values()]
    .filter((award) => award.awardableType === target.awardableType && award.awardableId === target.awardableId)
    .sort((a, b) => a.id - b.id);
}

export function registerAwardEmojiRoutes(router: Router): void {
  for (const kind of AWARDABLES) {
    for (const withNote of [false, true]) {
      const base = `/projects/:id/${kind.segment}/:${kind.param}${withNote ? '/notes/:note_id' : ''}/award_emoji`;
      const integers = withNote ? [kind.param, 'note_id'] : [kind.param];

      router.get(base, (ctx) => {
        requireUser(ctx);
        requireIntegers(ctx, integers);
        const target = findTarget(ctx, kind, withNote);
        if (!target.readable) throw notFound('Award Emoji');
        const page = paginate(awardsOf(ctx, target), ctx.params, ctx.url);
        return json(200, page.items.map((award) => awardEntity(ctx.services.state, award)), page.headers);
      });

      router.get(`${base}/:award_id`, (ctx) => {
        requireUser(ctx);
        requireIntegers(ctx, [...integers, 'award_id']);
        const target = findTarget(ctx, kind, withNote);
        if (!target.readable) throw notFound('Award Emoji');
        const award = awardsOf(ctx, target).find((item) => item.id === Number(ctx.pathParams.award_id));
        if (!award) throw recordNotFound();
        return json(200, awardEntity(ctx.services.state, award));
      });

      router.post(base, (ctx) => {
        const user = requireUser(ctx);
        requireIntegers(ctx, integers);
        const check = new ParamCheck(ctx.params);
        const name = check.requiredString('name');
        check.done();
        const target = findTarget(ctx, kind, withNote);
        if (!target.canAward) throw notFound('Award Emoji');
        const { state, emojiNames } = ctx.services;
        if (!emojiNames.has(name)) throw notFound('Award Emoji Name is not a valid emoji name');
        if (awardsOf(ctx, target).some((award) => award.userId === user.id && award.name === name)) {
          throw notFound('Award Emoji Name has already been taken');
        }
        const now = state.now();
        const award: Award = {
          id: state.nextId('award', undefined, (id) => state.awards.has(id)),
          name,
          userId: user.id,
          awardableType: target.awardableType,
          awardableId: target.awardableId,
          createdAt: now,
          updatedAt: now,
        };
        state.awards.set(award.id, award);
        return json(201, awardEntity(state, award));
      });

      router.delete(`${base}/:award_id`, (ctx) => {
        const user = requireUser(ctx);
        requireIntegers(ctx, [...integers, 'award_id']);
        const target = findTarget(ctx, kind, withNote);
        const award = awardsOf(ctx, target).find((item) => item.id === Number(ctx.pathParams.award_id));
        if (!award) throw recordNotFound();
        if (award.userId !== user.id && !user.admin) throw unauthorized();
        ctx.services.state.awards.delete(award.id);
        return { status: 204 };
      });
    }
  }
}
