import type { FlowContextV1 } from '../domain.js';
import { runIdInNote } from '../tracking-note.js';
import type { NoteableDetails, RunnerGitLab } from './gitlab.js';
import type { ApiDiff, ApiNote } from './gitlab-types.js';
import { gitlabHint } from './hints.js';
import { messageOf, RunFailure } from './run-failure.js';
import { selectThread, type ThreadSelection } from './thread.js';

// Everything the prompt is built from, read from GitLab in one go, and the run id the service put on
// its tracking note (every edit keeps it). The API is the source of truth; AI_FLOW_CONTEXT only names
// which thread and notes to read.

export interface ThreadData {
  selection: ThreadSelection;
  details: NoteableDetails;
  description: string | null;
  diffs: ApiDiff[];
  /** The trigger notes as GitLab has them, in the context's order (missing ones left out). */
  triggerNotes: ApiNote[];
  runId: string | undefined;
  /** Every note of the request's discussion as GitLab has them (for an earlier run's session: session/). */
  discussionNotes: ApiNote[];
}

export async function readThread(gitlab: RunnerGitLab, context: FlowContextV1): Promise<ThreadData> {
  try {
    const discussions = await gitlab.discussions(context);
    const details = await gitlab.noteable(context);
    const diffs = context.noteable.type === 'MergeRequest' ? await gitlab.mergeRequestDiffs(context) : [];
    const notes = discussions.flatMap((discussion) => discussion.notes);
    const tracking = notes.find((note) => note.id === context.tracking_note_id);
    const triggerNotes = context.trigger_note_ids.map((id) => notes.find((note) => note.id === id)).filter((note): note is ApiNote => note !== undefined);
    // Internal notes are for members only; they are context only when the request itself was internal.
    const includeInternal = triggerNotes.some((note) => note.internal === true);
    return {
      selection: selectThread(discussions, context, includeInternal),
      details,
      description: details.description,
      diffs,
      triggerNotes,
      runId: tracking ? runIdInNote(tracking.body) ?? undefined : undefined,
      discussionNotes: context.discussion_id ? (discussions.find((discussion) => discussion.id === context.discussion_id)?.notes ?? []) : [],
    };
  } catch (error) {
    throw new RunFailure({ what: 'the runner could not read the thread from GitLab.', detail: messageOf(error), hint: gitlabHint(error) });
  }
}
