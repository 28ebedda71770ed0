import { isDraftTitle } from './entities/issuables.js';
import { sameNoteable } from './ops/notes.js';
import { noteableKey, type NoteableSpec } from './seed.js';
import { expandVariables } from './pipelines/expand.js';
import type { State } from './state.js';
import type { AwardableType, Pipeline, PipelineStatus, PipelineVariable } from './types.js';

// What tests read back: plain copies of the stand-in's records, so a test cannot change the state by
// accident and sees the fields it asserts on under stable names.

export interface PipelineRecord {
  id: number;
  iid: number;
  projectId: number;
  ref: string;
  sha: string;
  source: string;
  status: PipelineStatus;
  /** The caller's variables as a map (TRIGGER_PAYLOAD, which GitLab adds for triggers, left out). */
  variables: Record<string, string>;
  /** Every pipeline variable as GitLab stores it, TRIGGER_PAYLOAD included. */
  variableList: PipelineVariable[];
  /**
   * The caller's variables as the job sees them: expanded from the project's CI/CD variables, a few
   * predefined ones and the pipeline's own (`$$` becomes `$`).
   */
  jobVariables: Record<string, string>;
  userId: number;
  username: string;
  triggerId: number | null;
  createdAt: Date;
  updatedAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
}

export interface NoteRecord {
  id: number;
  discussionId: string;
  type: null | 'DiscussionNote' | 'DiffNote';
  body: string;
  authorId: number;
  authorUsername: string;
  system: boolean;
  internal: boolean;
  createdAt: Date;
  updatedAt: Date;
  resolved: boolean;
}

export interface DiscussionRecord {
  id: string;
  individual: boolean;
  noteIds: number[];
}

export interface AwardRecord {
  id: number;
  name: string;
  userId: number;
  username: string;
  awardableType: AwardableType;
  awardableId: number;
}

export interface MergeRequestRecord {
  id: number;
  iid: number;
  projectId: number;
  sourceProjectId: number;
  sourceBranch: string;
  targetBranch: string;
  title: string;
  description: string;
  state: string;
  draft: boolean;
  authorId: number;
  createdAt: Date;
}

function jobVariables(state: State, pipeline: Pipeline, own: Record<string, string>): Record<string, string> {
  const project = state.project(pipeline.projectId);
  const predefined = { CI_PROJECT_ID: String(project.id), CI_PROJECT_PATH: project.path, CI_PIPELINE_ID: String(pipeline.id), CI_COMMIT_REF_NAME: pipeline.ref };
  // Pipeline variables take precedence over project variables; references resolve against the raw values.
  const context = { ...predefined, ...Object.fromEntries(project.ciVariables), ...own };
  return Object.fromEntries(Object.entries(own).map(([key, value]) => [key, expandVariables(value, context)]));
}

export function pipelineRecord(state: State, pipeline: Pipeline): PipelineRecord {
  const own = Object.fromEntries(
    pipeline.variables
      .filter((variable) => !(pipeline.source === 'trigger' && variable.key === 'TRIGGER_PAYLOAD'))
      .map((variable) => [variable.key, variable.value]),
  );
  return {
    id: pipeline.id,
    iid: pipeline.iid,
    projectId: pipeline.projectId,
    ref: pipeline.ref,
    sha: pipeline.sha,
    source: pipeline.source,
    status: pipeline.status,
    variables: own,
    variableList: pipeline.variables.map((variable) => ({ ...variable })),
    jobVariables: jobVariables(state, pipeline, own),
    userId: pipeline.userId,
    username: state.user(pipeline.userId).username,
    triggerId: pipeline.triggerId,
    createdAt: pipeline.createdAt,
    updatedAt: pipeline.updatedAt,
    startedAt: pipeline.startedAt,
    finishedAt: pipeline.finishedAt,
  };
}

export function noteRecords(state: State, projectId: number, noteable: NoteableSpec): NoteRecord[] {
  const key = noteableKey(state, projectId, noteable);
  return [...state.notes.values()]
    .filter((note) => sameNoteable(note.noteable, key))
    .sort((a, b) => a.id - b.id)
    .map((note) => ({
      id: note.id,
      discussionId: note.discussionId,
      type: note.type,
      body: note.body,
      authorId: note.authorId,
      authorUsername: state.user(note.authorId).username,
      system: note.system,
      internal: note.internal,
      createdAt: note.createdAt,
      updatedAt: note.updatedAt,
      resolved: note.resolved,
    }));
}

export function discussionRecords(state: State, projectId: number, noteable: NoteableSpec): DiscussionRecord[] {
  const key = noteableKey(state, projectId, noteable);
  return [...state.discussions.values()]
    .filter((discussion) => sameNoteable(discussion.noteable, key))
    .map((discussion) => ({ id: discussion.id, individual: discussion.individual, noteIds: [...discussion.noteIds] }))
    .sort((a, b) => (a.noteIds[0] ?? 0) - (b.noteIds[0] ?? 0));
}

export function awardRecords(state: State, projectId: number, noteable: NoteableSpec, noteId?: number): AwardRecord[] {
  const key = noteableKey(state, projectId, noteable);
  const [type, id] = noteId !== undefined ? (['Note', noteId] as const) : ([key.type, 'id' in key ? key.id : -1] as const);
  return [...state.awards.values()]
    .filter((award) => award.awardableType === type && award.awardableId === id)
    .sort((a, b) => a.id - b.id)
    .map((award) => ({
      id: award.id,
      name: award.name,
      userId: award.userId,
      username: state.user(award.userId).username,
      awardableType: award.awardableType,
      awardableId: award.awardableId,
    }));
}

export function mergeRequestRecords(state: State, projectId: number): MergeRequestRecord[] {
  return [...state.mergeRequests.values()]
    .filter((mr) => mr.projectId === projectId)
    .sort((a, b) => a.iid - b.iid)
    .map((mr) => ({
      id: mr.id,
      iid: mr.iid,
      projectId: mr.projectId,
      sourceProjectId: mr.sourceProjectId,
      sourceBranch: mr.sourceBranch,
      targetBranch: mr.targetBranch,
      title: mr.title,
      description: mr.description,
      state: mr.state,
      draft: isDraftTitle(mr.title),
      authorId: mr.authorId,
      createdAt: mr.createdAt,
    }));
}
