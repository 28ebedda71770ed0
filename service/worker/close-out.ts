import type { PipelineEvent } from '../domain.js';
import { CONTEXT_VARIABLE, noteableOfContext, readFlowContext } from '../flow-variables.js';
import type { GitLabApi } from '../gitlab/api.js';
import { isTransient } from '../gitlab/errors.js';
import type { Logger } from '../log.js';
import type { CoordinationStore } from '../store/types.js';
import { isClosedOut, runIdInNote } from '../tracking-note.js';
import { stoppedPipelineKey } from './commands.js';
import { pipelineEndedNote } from './messages.js';

// The runner closes its tracking note out itself; when the job never got that far (timeout, lost
// runner, cancel), the Pipeline Hook is the last word, and the service writes it. A hook may be forged
// (its context names any project's note), so the note is edited only when the store recorded this
// pipeline, in this project, for the run whose tracking note it is.

export async function closeOutEndedPipeline(gitlab: GitLabApi, store: CoordinationStore, event: PipelineEvent, log: Logger, now = Date.now()): Promise<void> {
  const context = readFlowContext(event.variables[CONTEXT_VARIABLE]);
  if (!context || context.discussion_id === null) return;
  const refuse = (reason: string) => log.warn({ trackingNoteId: context.tracking_note_id, reason }, 'pipeline hook not ours to close out');
  if (context.project.id !== event.projectId) return refuse(`its context names project ${context.project.id}`);
  const noteable = noteableOfContext(context);
  try {
    const notes = await gitlab.threadNotes(context.project.id, noteable, context.discussion_id);
    const tracking = notes.find((note) => note.id === context.tracking_note_id);
    if (!tracking || isClosedOut(tracking.body)) return;
    // The note names its run; the store says whether that run is this pipeline's.
    const runId = runIdInNote(tracking.body);
    const run = runId ? await store.getRun(runId) : null;
    if (!run || run.projectId !== event.projectId || run.pipelineId !== event.pipelineId || run.trackingNoteId !== tracking.id) {
      return refuse('the store recorded no run of this pipeline with this tracking note');
    }
    // Canceled by `@claude stop`: the stop writes the note (perhaps not yet), saying who stopped it.
    if (await store.isRemembered(stoppedPipelineKey(event.projectId, event.pipelineId), now)) return;
    await gitlab.editThreadNote(context.project.id, noteable, context.discussion_id, context.tracking_note_id, pipelineEndedNote(event.pipelineId, event.url, event.status));
    log.warn({ trackingNoteId: context.tracking_note_id, status: event.status }, 'pipeline ended before the runner answered: tracking note closed out');
  } catch (error) {
    // A transient failure retries the hook; a refusal (the note or thread is gone) is only logged.
    if (isTransient(error)) throw error;
    log.warn({ err: error }, 'could not close out the tracking note of an ended pipeline');
  }
}
