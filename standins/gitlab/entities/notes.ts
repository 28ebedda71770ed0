import type { State } from '../state.js';
import type { Award, Discussion, Note } from '../types.js';
import { userBasic } from './users.js';

// Note, discussion and award emoji entities (lib/api/entities/note.rb, discussion.rb, award_emoji.rb).

/** Threads on merge requests and issues can be resolved; single comments and system notes cannot. */
export function isResolvable(note: Note): boolean {
  return note.type !== null && !note.system && (note.noteable.type === 'MergeRequest' || note.noteable.type === 'Issue');
}

function noteableIds(state: State, note: Note): { id: number | null; iid: number | null } {
  const key = note.noteable;
  switch (key.type) {
    case 'Issue':
      return { id: key.id, iid: state.issues.get(key.id)?.iid ?? null };
    case 'MergeRequest':
      return { id: key.id, iid: state.mergeRequests.get(key.id)?.iid ?? null };
    case 'Snippet':
      return { id: key.id, iid: null };
    case 'Commit':
      return { id: null, iid: null };
  }
}

export function noteEntity(state: State, note: Note) {
  const ids = noteableIds(state, note);
  const resolvable = isResolvable(note);
  const resolvedBy = note.resolvedById !== null ? state.users.get(note.resolvedById) : undefined;
  return {
    id: note.id,
    type: note.type,
    body: note.body,
    attachment: null,
    author: userBasic(state.user(note.authorId), state.baseUrl),
    created_at: note.createdAt.toISOString(),
    updated_at: note.updatedAt.toISOString(),
    system: note.system,
    noteable_id: ids.id,
    noteable_type: note.noteable.type,
    project_id: note.noteable.projectId,
    ...(note.type === 'DiffNote' && note.noteable.type === 'MergeRequest'
      ? { commit_id: (note.position?.head_sha as string | undefined) ?? null }
      : {}),
    ...(note.type === 'DiffNote' ? { position: note.position } : {}),
    resolvable,
    ...(resolvable
      ? {
          resolved: note.resolved,
          resolved_by: resolvedBy ? userBasic(resolvedBy, state.baseUrl) : null,
          resolved_at: note.resolvedAt?.toISOString() ?? null,
        }
      : {}),
    confidential: note.internal,
    internal: note.internal,
    imported: false,
    imported_from: 'none',
    noteable_iid: ids.iid,
    commands_changes: {},
  };
}

export function discussionEntity(state: State, discussion: Discussion, visibleNotes: Note[]) {
  return {
    id: discussion.id,
    individual_note: discussion.individual,
    notes: visibleNotes.map((note) => noteEntity(state, note)),
  };
}

export function awardEntity(state: State, award: Award) {
  return {
    id: award.id,
    name: award.name,
    user: userBasic(state.user(award.userId), state.baseUrl),
    created_at: award.createdAt.toISOString(),
    updated_at: award.updatedAt.toISOString(),
    awardable_id: award.awardableId,
    awardable_type: award.awardableType,
    url: null,
  };
}
