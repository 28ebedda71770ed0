import type { ThreadSelection } from '../thread.js';

// What a resumed run shows the model: the notes of its thread written after the previous run's tracking
// note (the session holds everything before it); other discussions are left to the session as well.

export function notesSince(selection: ThreadSelection, since: string): ThreadSelection {
  const limit = Date.parse(since);
  return { ...selection, thread: selection.thread.filter((note) => Date.parse(note.createdAt) > limit), others: [] };
}
