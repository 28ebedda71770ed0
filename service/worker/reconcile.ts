import type { FlowRequest } from '../domain.js';
import { CONTEXT_VARIABLE, trackingNoteIdOf } from '../flow-variables.js';
import type { GitLabApi, GitLabPipeline } from '../gitlab/api.js';
import type { RunRecord } from '../store/types.js';
import { runMarker } from '../tracking-note.js';

// After an attempt died between "about to act" and "recorded that it acted", GitLab (the source of
// truth) tells us whether the action happened, so a redelivery never posts or triggers twice.

/** The tracking note an earlier attempt posted, found by the run marker it carries. */
export async function findTrackingNote(gitlab: GitLabApi, runId: string, request: FlowRequest): Promise<{ noteId: number; discussionId: string | null } | null> {
  const discussionId = request.note.discussionId;
  // Without a discussion the note went into a new thread we cannot find cheaply; posting again is the lesser harm.
  if (!discussionId) return null;
  const notes = await gitlab.threadNotes(request.project.id, request.noteable, discussionId);
  const marker = runMarker(runId);
  const found = notes.find((note) => note.body.includes(marker));
  return found ? { noteId: found.id, discussionId } : null;
}

/** The pipeline an earlier attempt started for this run, recognised by its AI_FLOW_CONTEXT. */
export async function findRunPipeline(gitlab: GitLabApi, run: RunRecord, ref: string): Promise<GitLabPipeline | null> {
  if (run.trackingNoteId == null) return null;
  // Nothing of this run can be older than the run; a minute of slack for clock skew between us and GitLab.
  const updatedAfter = new Date((run.triggerStartedAt ?? run.createdAt) - 60_000).toISOString();
  const candidates = await gitlab.recentPipelines(run.projectId, { ref, updatedAfter });
  for (const pipeline of candidates) {
    const variables = await gitlab.pipelineVariables(run.projectId, pipeline.id);
    if (trackingNoteIdOf(variables[CONTEXT_VARIABLE]) === run.trackingNoteId) return pipeline;
  }
  return null;
}
