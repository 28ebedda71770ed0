import { findCommit } from '../repo/refs.js';
import type { State } from '../state.js';
import type { Note } from '../types.js';
import type { HookSender } from './deliver.js';
import { isConfidentialNote, noteHookPayload } from './note-payload.js';

// Sends Note Hooks for comments, as GitLab does for every comment a user (or a bot, through the API)
// writes or edits, so a receiver sees its own replies come back and must ignore them. System notes send
// none. Hooks subscribe to note events and, separately, to confidential note events.

export function sendNoteHook(state: State, sender: HookSender, note: Note, action: 'create' | 'update'): void {
  if (note.system) return;
  const confidential = isConfidentialNote(state, note);
  const hooks = state.webhooks.filter(
    (hook) => hook.projectId === note.noteable.projectId && (confidential ? hook.confidentialNoteEvents : hook.noteEvents),
  );
  if (hooks.length === 0) return;
  const project = state.project(note.noteable.projectId);
  const snapshot: Note = { ...note, noteable: { ...note.noteable } };
  const payload = (note.noteable.type === 'Commit' ? findCommit(project, note.noteable.sha).catch(() => null) : Promise.resolve(null))
    .then((commit) => noteHookPayload(state, snapshot, action, commit));
  void sender.send(hooks, confidential ? 'Confidential Note Hook' : 'Note Hook', payload, `notes:${project.id}`);
}
