import { z } from 'zod';
import type { FlowContextV1 } from '../domain.js';

// AI_FLOW_CONTEXT, read strictly: it is the one place where the runner learns which thread to answer and
// which note to edit, so a context it does not fully understand is refused rather than guessed at
// (docs/architecture.md, "The pipeline contract": a runner refuses a version it does not know).

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
  if (version !== 1) return { ok: false, error: `AI_FLOW_CONTEXT version ${JSON.stringify(version)} is not supported (this runner reads version 1)` };
  const parsed = contextSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return { ok: false, error: `AI_FLOW_CONTEXT is malformed at ${issue?.path.join('.') || '(root)'}: ${issue?.message ?? 'invalid'}` };
  }
  const context = { ...parsed.data, position: parsed.data.position ?? null } as FlowContextV1;
  const { noteable } = context;
  if ((noteable.type === 'Issue' || noteable.type === 'MergeRequest' || noteable.type === 'Snippet') && noteable.iid === null) {
    return { ok: false, error: `AI_FLOW_CONTEXT noteable ${noteable.type} has no iid` };
  }
  if (noteable.type === 'Commit' && !noteable.commit_sha) return { ok: false, error: 'AI_FLOW_CONTEXT commit noteable has no commit_sha' };
  return { ok: true, context };
}

/** Just enough of the context to edit the tracking note, for failures before the full parse succeeds. */
export function noteableApiPath(context: Pick<FlowContextV1, 'noteable'>): string {
  const { noteable } = context;
  switch (noteable.type) {
    case 'Issue':
      return `/issues/${noteable.iid}`;
    case 'MergeRequest':
      return `/merge_requests/${noteable.iid}`;
    case 'Snippet':
      return `/snippets/${noteable.iid}`;
    case 'Commit':
      return `/repository/commits/${encodeURIComponent(noteable.commit_sha ?? '')}`;
  }
}
