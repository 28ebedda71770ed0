import { trackingNoteBody } from '../tracking-note.js';

// What a thread is told, once per pause, when a mention arrives while the operator has paused the service.

export function pausedNote(): string {
  return trackingNoteBody(
    '⏸️ Claude is paused by the operator of this service. Your request is kept and will run when it resumes; no need to ask again.',
    { closed: true },
  );
}
