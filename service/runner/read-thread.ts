import type { FlowContextV1 } from '../domain.js';
import { runIdInNote } from '../tracking-note.js';
import type { RunnerGitLab } from './gitlab.js';
import type { ApiDiff } from './gitlab-types.js';
import { gitlabHint } from './hints.js';
import { messageOf, RunFailure } from './run-failure.js';
import { selectThread, type ThreadSelection } from './thread.js';

// Everything the prompt is built from, read from GitLab in one go, and the run id the service put on
// its tracking note (every edit keeps it).

export interface ThreadData {
  selection: ThreadSelection;
  description: string | null;
  diffs: ApiDiff[];
  runId: string | undefined;
}

export async function readThread(gitlab: RunnerGitLab, context: FlowContextV1): Promise<ThreadData> {
  try {
    const discussions = await gitlab.discussions(context);
    const { description } = await gitlab.noteable(context);
    const diffs = context.noteable.type === 'MergeRequest' ? await gitlab.mergeRequestDiffs(context) : [];
    const tracking = discussions.flatMap((discussion) => discussion.notes).find((note) => note.id === context.tracking_note_id);
    return { selection: selectThread(discussions, context), description, diffs, runId: tracking ? runIdInNote(tracking.body) ?? undefined : undefined };
  } catch (error) {
    throw new RunFailure({ what: 'the runner could not read the thread from GitLab.', detail: messageOf(error), hint: gitlabHint(error) });
  }
}
