import type { State } from '../state.js';
import type { Discussion, Note, NoteableKey } from '../types.js';

// Creating notes and threads, shared by the API routes and the seeding API so both follow one set of
// rules: a single comment is its own (individual) discussion; a reply turns it into a thread.

export function sameNoteable(a: NoteableKey, b: NoteableKey): boolean {
  if (a.type !== b.type || a.projectId !== b.projectId) return false;
  if (a.type === 'Commit' || b.type === 'Commit') return a.type === 'Commit' && b.type === 'Commit' && a.sha === b.sha;
  return a.id === b.id;
}

/** The noteable's notes, oldest first. */
export function notesOf(state: State, key: NoteableKey): Note[] {
  return [...state.notes.values()].filter((note) => sameNoteable(note.noteable, key)).sort((a, b) => a.id - b.id);
}

export function discussionsOf(state: State, key: NoteableKey): Discussion[] {
  const firstNote = (discussion: Discussion) => discussion.noteIds[0] ?? 0;
  return [...state.discussions.values()].filter((d) => sameNoteable(d.noteable, key)).sort((a, b) => firstNote(a) - firstNote(b));
}

export interface NewNote {
  noteable: NoteableKey;
  authorId: number;
  body: string;
  /** A thread (`DiscussionNote`), a single comment (null) or a diff thread. */
  type: Note['type'];
  internal?: boolean;
  system?: boolean;
  position?: Record<string, unknown> | null;
  createdAt?: Date;
  id?: number;
  /** Seeding can create history without sending Note Hooks. */
  silent?: boolean;
}

/** A new note that starts its own discussion. */
export function startDiscussion(state: State, input: NewNote): Note {
  const discussion: Discussion = {
    id: state.hex40('discussion'),
    noteable: input.noteable,
    individual: input.type === null,
    noteIds: [],
  };
  state.discussions.set(discussion.id, discussion);
  return addToDiscussion(state, discussion, input);
}

/**
 * A reply. Replying to a single comment converts it into a thread (its type becomes DiscussionNote and
 * the discussion keeps its id), as GitLab does for issues and merge requests.
 */
export function reply(state: State, discussion: Discussion, input: Omit<NewNote, 'noteable' | 'type'>): Note {
  if (discussion.individual) {
    discussion.individual = false;
    for (const id of discussion.noteIds) {
      const note = state.notes.get(id);
      if (note && note.type === null) note.type = 'DiscussionNote';
    }
  }
  // Notes::BuildService: a reply takes the thread's confidentiality, whatever the caller asked for.
  const first = state.notes.get(discussion.noteIds[0] ?? -1);
  const internal = first?.internal ?? input.internal ?? false;
  return addToDiscussion(state, discussion, { ...input, noteable: discussion.noteable, type: 'DiscussionNote', internal });
}

function addToDiscussion(state: State, discussion: Discussion, input: NewNote): Note {
  const now = input.createdAt ?? state.now();
  const note: Note = {
    id: state.nextId('note', input.id, (id) => state.notes.has(id)),
    discussionId: discussion.id,
    type: input.type,
    body: input.body,
    authorId: input.authorId,
    createdAt: now,
    updatedAt: now,
    system: input.system ?? false,
    internal: input.internal ?? false,
    noteable: input.noteable,
    position: input.position ?? null,
    resolved: false,
    resolvedById: null,
    resolvedAt: null,
  };
  state.notes.set(note.id, note);
  discussion.noteIds.push(note.id);
  if (!input.silent) state.onNoteChanged(note, 'create');
  return note;
}
