import type { FlowRequest, NoteableRef } from '../domain.js';
import type { GitLabApi, GitLabNote, GitLabProject } from '../gitlab/api.js';
import { GitLabApiError } from '../gitlab/errors.js';

// What GitLab itself says about a run's thread, read with the bot's token before anything visible
// happens: the project, the noteable, and the trigger notes. A webhook payload may be forged by anyone
// who knows a webhook secret, and a queue message by anyone holding a replayed push token, so the run
// acts on these facts only (verify-mentions.ts compares them with what the payload claimed).
//
// Three reads per run, in parallel, whatever the number of mentions: the project, the noteable, and the
// trigger notes' discussion (`GET …/discussions/:id`). The discussion, rather than each note by id,
// proves that every note is in that thread (a forged discussion id would send the answer elsewhere), and
// it is the only way to read a commit note (commits have no note-by-id endpoint). A note without a
// discussion id (only in GitLab's documented examples) is read by id.

export interface ThreadFacts {
  project: GitLabProject;
  noteable: NoteableRef;
  /** The trigger notes GitLab has in this thread, by id; a note missing here is gone or elsewhere. */
  notes: Map<number, GitLabNote>;
}

export type ThreadFactsResult = { found: true; facts: ThreadFacts } | { found: false; reason: string };

export async function readThreadFacts(gitlab: GitLabApi, request: FlowRequest, noteIds: number[]): Promise<ThreadFactsResult> {
  const projectId = request.project.id;
  const [project, noteable, notes] = await Promise.all([
    gitlab.project(projectId).catch(nullWhenRefused),
    gitlab.noteable(projectId, request.noteable).catch(nullWhenRefused),
    readNotes(gitlab, request, noteIds),
  ]);
  if (!project) return { found: false, reason: `project ${projectId} does not exist or the bot cannot see it` };
  if (!noteable) return { found: false, reason: `${request.noteable.type} ${request.noteable.iid ?? request.noteable.commitSha} is not in project ${projectId}` };
  return { found: true, facts: { project, noteable, notes } };
}

async function readNotes(gitlab: GitLabApi, request: FlowRequest, noteIds: number[]): Promise<Map<number, GitLabNote>> {
  const { project, noteable, note } = request;
  let found: GitLabNote[];
  // An event's note is synthetic: there is nothing to read (verify-event.ts checks the noteable instead).
  if (request.event !== 'mention') {
    found = [];
  } else if (note.discussionId) {
    found = (await gitlab.threadNotes(project.id, noteable, note.discussionId).catch(nullWhenRefused)) ?? [];
  } else if (noteable.type === 'Commit') {
    found = [];
  } else {
    const each = await Promise.all(noteIds.map((id) => gitlab.note(project.id, noteable, id).catch(nullWhenRefused)));
    found = each.filter((item): item is GitLabNote => item !== null);
  }
  const wanted = new Set(noteIds);
  return new Map(found.filter((item) => wanted.has(item.id)).map((item) => [item.id, item]));
}

/** 404 (gone, or never there) and 403 (not the bot's to read) mean "GitLab does not confirm it"; the rest is retried. */
function nullWhenRefused(error: unknown): null {
  if (error instanceof GitLabApiError && (error.status === 404 || error.status === 403)) return null;
  throw error;
}
