import type { FlowContextV1 } from '../domain.js';
import type { NoteableDetails } from './gitlab.js';
import type { ApiNote } from './gitlab-types.js';

// AI_FLOW_CONTEXT names the thread; it is not evidence. GitLab expands `$VAR` inside pipeline variables,
// so any string in it may carry a CI variable's value, and a forged trigger can say anything. The run
// therefore uses the context's ids only, and takes every other fact from the API (title, state,
// branches, who asked and what they wrote) or from GitLab's predefined CI variables.

export interface JobFacts {
  serverUrl: string;
  projectPath: string;
  defaultBranch: string;
}

/** The context with every string replaced by what GitLab's API and the job's own variables say. */
export function trustedContext(context: FlowContextV1, details: NoteableDetails, triggerNotes: readonly ApiNote[], job: JobFacts): FlowContextV1 {
  const mr = details.mergeRequest;
  const requester = triggerNotes.findLast((note) => note.author.id === context.author.id);
  return {
    ...context,
    gitlab_url: job.serverUrl,
    project: { id: context.project.id, path: job.projectPath, default_branch: job.defaultBranch },
    noteable: {
      ...context.noteable,
      title: details.title,
      url: details.webUrl,
      state: details.state,
      source_branch: mr?.sourceBranch ?? null,
      target_branch: mr?.targetBranch ?? null,
      source_project_id: mr?.sourceProjectId ?? null,
      fork: mr !== null && mr.sourceProjectId !== context.project.id,
    },
    author: { id: context.author.id, username: requester?.author.username ?? context.author.username.replace(/[^\w.-]/g, '') },
  };
}

export type InstructionSource = { from: 'notes'; text: string } | { from: 'variable'; text: string; reason: string };

/**
 * The request, from the trigger notes as GitLab has them: written by the requester and not edited after
 * the trigger (an edit after it is text the service never accepted). AI_FLOW_INPUT only when that fails.
 */
export function chooseInstruction(context: FlowContextV1, triggerNotes: readonly ApiNote[], fallback: string): InstructionSource {
  const limit = Date.parse(context.triggered_at);
  if (triggerNotes.length !== context.trigger_note_ids.length) return { from: 'variable', text: fallback, reason: 'a trigger note could not be read' };
  // A burst may hold several members' notes; the last one is the requester's.
  const last = triggerNotes.at(-1);
  if (last && last.author.id !== context.author.id) return { from: 'variable', text: fallback, reason: `note ${last.id} is by someone else` };
  for (const note of triggerNotes) {
    if (note.system) return { from: 'variable', text: fallback, reason: `note ${note.id} is a system note` };
    const updated = Date.parse(note.updated_at);
    if (Number.isNaN(updated) || updated > limit) return { from: 'variable', text: fallback, reason: `note ${note.id} was edited after the trigger` };
  }
  return { from: 'notes', text: triggerNotes.map((note) => note.body).join('\n\n') };
}
