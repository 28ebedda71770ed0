import { z } from 'zod';
import type { FlowContextV1, FlowRequest, NoteableRef } from './domain.js';

// AI_FLOW_*, the pipeline variables that carry a request from the service to its runner (design §4), are
// built and read here only: the worker builds them, the close-out and the reconciliation read them back
// from GitLab, and the runner reads them strictly. Field names are the public contract: snake_case.

export const PIPELINE_VARIABLE_NAMES = ['AI_FLOW_INPUT', 'AI_FLOW_CONTEXT', 'AI_FLOW_EVENT', 'AI_FLOW_THREAD'] as const;
export type FlowVariables = Record<(typeof PIPELINE_VARIABLE_NAMES)[number], string>;

/** Every pipeline we trigger carries it; other pipelines are not ours to track. */
export const EVENT_VARIABLE = 'AI_FLOW_EVENT';
export const CONTEXT_VARIABLE = 'AI_FLOW_CONTEXT';

/** One mention of a run, in note order: its note id and the request that carried it. */
export interface FlowMention {
  noteId: number;
  request: FlowRequest;
}

/** The four variables, from a run's mentions (already in note order). */
export function pipelineVariables(
  mentions: FlowMention[],
  trackingNoteId: number,
  gitlabUrl: string,
  trackingDiscussionId: string | null = null,
): FlowVariables {
  const last = mentions.at(-1);
  if (!last) throw new Error('a run without mentions has nothing to send');
  const request = last.request;
  const context: FlowContextV1 = {
    version: 1,
    gitlab_url: gitlabUrl,
    project: { id: request.project.id, path: request.project.path, default_branch: request.project.defaultBranch },
    noteable: contextNoteable(request.noteable),
    // A note without a discussion (only in GitLab's documented examples) is answered in a new one.
    discussion_id: request.note.discussionId ?? trackingDiscussionId,
    // An event has no trigger note (its id is synthetic): the tracking note, in the event's own new
    // discussion, is what the runner reads and answers in.
    trigger_note_ids: request.event === 'mention' ? mentions.map((mention) => mention.noteId) : [trackingNoteId],
    tracking_note_id: trackingNoteId,
    author: { id: request.author.id, username: request.author.username },
    triggered_at: request.note.createdAt,
    position: request.note.position ?? null,
  };
  return {
    // Verified mentions carry GitLab's text (verify-mentions.ts).
    AI_FLOW_INPUT: boundedInput(mentions.map((mention) => mention.request.note.body ?? '')),
    AI_FLOW_CONTEXT: JSON.stringify(context),
    AI_FLOW_EVENT: request.event,
    AI_FLOW_THREAD: threadSlug(request, context.discussion_id),
  };
}

function contextNoteable(noteable: NoteableRef): FlowContextV1['noteable'] {
  return {
    type: noteable.type,
    iid: noteable.iid,
    title: noteable.title,
    url: noteable.url,
    state: noteable.state,
    source_branch: noteable.sourceBranch,
    target_branch: noteable.targetBranch,
    source_project_id: noteable.sourceProjectId,
    fork: noteable.fork,
    commit_sha: noteable.commitSha,
    // From GitLab's API (the worker read it): the runner answers a confidential issue in the thread only.
    confidential: noteable.confidential,
    head_sha: noteable.headSha ?? null,
  };
}

/** The noteable a context names, as the service's GitLab client takes it (what the context does not say is unknown). */
export function noteableOfContext(context: Pick<FlowContextV1, 'noteable'>): NoteableRef {
  const { noteable } = context;
  return {
    type: noteable.type,
    iid: noteable.iid,
    id: null,
    title: noteable.title,
    url: noteable.url,
    state: noteable.state,
    sourceBranch: noteable.source_branch,
    targetBranch: noteable.target_branch,
    sourceProjectId: noteable.source_project_id,
    targetProjectId: null,
    fork: noteable.fork,
    commitSha: noteable.commit_sha,
    confidential: false,
  };
}

/**
 * A short `[a-z0-9-]` key per thread, for the template's `resource_group` (runs in one thread never
 * overlap, a second guard behind the service's own) and the pipeline's name. An addition to design §4.
 */
export function threadSlug(request: FlowRequest, discussionId: string | null): string {
  const { noteable } = request;
  const kind = { Issue: 'issue', MergeRequest: 'mr', Commit: 'commit', Snippet: 'snippet' }[noteable.type];
  const which =
    noteable.type === 'Commit' ? (noteable.commitSha ?? '').slice(0, 12) : String(noteable.iid ?? noteable.id ?? 0);
  const thread = (discussionId ?? `note${request.note.id}`)
    .toLowerCase()
    .replace(/[^a-z0-9]/g, '')
    .slice(0, 12);
  return `${kind}-${which}-${thread}`;
}

/** GitLab limits a variable's value (gitlab.com: 120 KiB); the runner reads full notes by id anyway. */
export const MAX_INPUT_CHARS = 60_000;

function boundedInput(bodies: string[]): string {
  const joined = bodies.join('\n\n');
  if (joined.length <= MAX_INPUT_CHARS) return joined;
  const notice = `\n\n[claude-gitlab-flow: ${
    joined.length - MAX_INPUT_CHARS
  } more characters cut; the runner reads the notes in full]`;
  return joined.slice(0, MAX_INPUT_CHARS - notice.length) + notice;
}

// Read strictly: AI_FLOW_CONTEXT is where the runner learns which thread to answer and which note to
// edit, so a context it does not fully understand is refused rather than guessed at (design §4: "a runner
// must refuse a context whose version it does not know"). Fields added within version 1 are optional.

const noteableSchema = z.object({
  type: z.enum(['Issue', 'MergeRequest', 'Commit', 'Snippet']),
  iid: z.number().int().positive().nullable(),
  title: z.string().nullable(),
  url: z.string().nullable(),
  state: z.string().nullable(),
  source_branch: z.string().nullable(),
  target_branch: z.string().nullable(),
  source_project_id: z.number().int().nullable(),
  fork: z.boolean(),
  commit_sha: z.string().nullable(),
  confidential: z.boolean().optional(),
  head_sha: z.string().nullable().optional(),
});

const contextSchema = z.object({
  version: z.literal(1),
  gitlab_url: z.string().min(1),
  project: z.object({ id: z.number().int().positive(), path: z.string().min(1), default_branch: z.string().min(1) }),
  noteable: noteableSchema,
  discussion_id: z.string().min(1).nullable(),
  trigger_note_ids: z.array(z.number().int().positive()).min(1),
  tracking_note_id: z.number().int().positive(),
  author: z.object({ id: z.number().int(), username: z.string().min(1) }),
  triggered_at: z.string().refine((value) => !Number.isNaN(Date.parse(value)), 'not a timestamp'),
  position: z.unknown(),
});

export type ContextResult = { ok: true; context: FlowContextV1 } | { ok: false; error: string };

export function parseFlowContext(raw: string | undefined): ContextResult {
  if (!raw) return { ok: false, error: 'AI_FLOW_CONTEXT is not set' };
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    return { ok: false, error: 'AI_FLOW_CONTEXT is not valid JSON' };
  }
  const version = json && typeof json === 'object' ? (json as { version?: unknown }).version : undefined;
  if (version !== 1) {
    return {
      ok: false,
      error: `AI_FLOW_CONTEXT version ${JSON.stringify(version)} is not supported (this runner reads version 1)`,
    };
  }
  const parsed = contextSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue?.path.join('.') || '(root)';
    return { ok: false, error: `AI_FLOW_CONTEXT is malformed at ${where}: ${issue?.message ?? 'invalid'}` };
  }
  const context = { ...parsed.data, position: parsed.data.position ?? null } as FlowContextV1;
  const { noteable } = context;
  if (noteable.type !== 'Commit' && noteable.iid === null) {
    return { ok: false, error: `AI_FLOW_CONTEXT noteable ${noteable.type} has no iid` };
  }
  if (noteable.type === 'Commit' && !noteable.commit_sha)
    return { ok: false, error: 'AI_FLOW_CONTEXT commit noteable has no commit_sha' };
  return { ok: true, context };
}

/** The service reading a context back from GitLab (a Pipeline Hook's variables): null when not one of ours. */
export function readFlowContext(raw: string | undefined): FlowContextV1 | null {
  const parsed = parseFlowContext(raw);
  return parsed.ok ? parsed.context : null;
}

/**
 * The tracking note a pipeline's context names, which is how reconciliation recognises a run's pipeline.
 * Only this field, read leniently: a context this reader would refuse must still stop a second trigger.
 */
export function trackingNoteIdOf(raw: string | undefined): number | null {
  if (!raw) return null;
  try {
    const parsed = JSON.parse(raw) as { tracking_note_id?: unknown } | null;
    return typeof parsed?.tracking_note_id === 'number' ? parsed.tracking_note_id : null;
  } catch {
    return null;
  }
}
