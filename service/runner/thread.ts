import type { FlowContextV1 } from '../domain.js';
import { hasServiceMarker, withoutMarkers } from '../tracking-note.js';
import type { ApiDiscussion, ApiNote } from './gitlab-types.js';

// Which notes the prompt may show, decided from the discussions GitLab returned and nothing else. The
// thread is frozen at the trigger: a note written or edited after `triggered_at` could not have been
// read by the person who wrote @claude, so it could smuggle in an instruction they never saw.

export interface DataNote {
  id: number;
  author: string;
  createdAt: string;
  body: string;
  /** Posted by claude-gitlab-flow (an earlier run's answer). */
  fromService: boolean;
}

export interface ThreadSelection {
  /** The discussion the trigger note belongs to, without the trigger notes themselves. */
  thread: DataNote[];
  /** Every other discussion on the same issue, merge request, commit or snippet. */
  others: DataNote[];
  createdAfterTrigger: number;
  editedAfterTrigger: number;
  /** GitLab records a description edit as a system note "changed the description". */
  descriptionEditedAfterTrigger: boolean;
}

function after(timestamp: string, limit: number): boolean {
  const time = Date.parse(timestamp);
  // An unreadable timestamp cannot prove the note is old enough: treat it as late.
  return Number.isNaN(time) || time > limit;
}

export function selectThread(discussions: readonly ApiDiscussion[], context: FlowContextV1, includeInternal = false): ThreadSelection {
  const limit = Date.parse(context.triggered_at);
  const triggerIds = new Set(context.trigger_note_ids);
  const selection: ThreadSelection = { thread: [], others: [], createdAfterTrigger: 0, editedAfterTrigger: 0, descriptionEditedAfterTrigger: false };

  for (const discussion of discussions) {
    const inThread = context.discussion_id !== null && discussion.id === context.discussion_id;
    for (const note of discussion.notes) {
      if (note.system) {
        if (/^changed the description\b/.test(note.body) && after(note.created_at, limit)) selection.descriptionEditedAfterTrigger = true;
        continue;
      }
      if (triggerIds.has(note.id) || note.id === context.tracking_note_id) continue;
      if (note.internal === true && !includeInternal) continue;
      if (after(note.created_at, limit)) {
        selection.createdAfterTrigger += 1;
        continue;
      }
      if (after(note.updated_at, limit)) {
        selection.editedAfterTrigger += 1;
        continue;
      }
      (inThread ? selection.thread : selection.others).push(toDataNote(note));
    }
  }
  const byTime = (a: DataNote, b: DataNote) => Date.parse(a.createdAt) - Date.parse(b.createdAt) || a.id - b.id;
  selection.thread.sort(byTime);
  selection.others.sort(byTime);
  return selection;
}

function toDataNote(note: ApiNote): DataNote {
  const fromService = hasServiceMarker(note.body);
  return {
    id: note.id,
    author: note.author.username,
    createdAt: note.created_at,
    body: fromService ? withoutMarkers(note.body) : note.body,
    fromService,
  };
}
