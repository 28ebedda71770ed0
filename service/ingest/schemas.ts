import { z } from 'zod';
import { parseGitlabTimestamp } from './timestamps.js';

// What we read from GitLab's note and pipeline hooks. Lenient on everything else (zod objects strip
// unknown keys, and GitLab adds fields every release); strict on the fields a decision or the pipeline
// context depends on, so that a payload that is not what GitLab sends is refused by name, not half-used.

const gitlabId = z.number().int().positive();
const sha = z.string().regex(/^[0-9a-f]{7,64}$/i, 'expected a commit SHA');

export const gitlabTimestamp = z.string().transform((value, ctx) => {
  const iso = parseGitlabTimestamp(value);
  if (iso === null) {
    ctx.addIssue({ code: 'custom', message: `expected a GitLab timestamp, got ${JSON.stringify(value)}` });
    return z.NEVER;
  }
  return iso;
});

const userSchema = z.object({
  id: gitlabId,
  username: z.string().min(1),
  name: z.string(),
});

const projectSchema = z.object({
  id: gitlabId,
  path_with_namespace: z.string().min(1),
  // null (or empty) for a project whose repository is still empty: a real case, not a malformed payload.
  default_branch: z.string().nullable(),
  web_url: z.string().min(1).nullish(),
});

const noteAttributesSchema = z.object({
  id: gitlabId,
  note: z.string(),
  noteable_type: z.string().min(1),
  noteable_id: gitlabId.nullish(),
  author_id: gitlabId.nullish(),
  created_at: gitlabTimestamp,
  updated_at: gitlabTimestamp,
  system: z.boolean(),
  action: z.string().nullish(),
  discussion_id: z.string().min(1).nullish(),
  type: z.string().nullish(),
  position: z.unknown().optional(),
  internal: z.boolean().nullish(),
  // The pre-15.x name of `internal` on note attributes.
  confidential: z.boolean().nullish(),
  commit_id: z.string().nullish(),
  url: z.string().nullish(),
});

export const notePayloadSchema = z.object({
  object_kind: z.literal('note'),
  event_type: z.string().nullish(),
  user: userSchema,
  project: projectSchema,
  object_attributes: noteAttributesSchema,
});
export type NotePayload = z.infer<typeof notePayloadSchema>;

export const issueNoteSchema = z.object({
  issue: z.object({
    id: gitlabId,
    iid: gitlabId,
    title: z.string(),
    state: z.string().min(1),
    url: z.string().nullish(),
    confidential: z.boolean().nullish(),
  }),
});

export const mergeRequestNoteSchema = z.object({
  merge_request: z.object({
    id: gitlabId,
    iid: gitlabId,
    title: z.string(),
    state: z.string().min(1),
    url: z.string().nullish(),
    source_branch: z.string().min(1),
    target_branch: z.string().min(1),
    source_project_id: gitlabId,
    target_project_id: gitlabId,
  }),
});

export const commitNoteSchema = z.object({
  commit: z.object({
    id: sha,
    message: z.string().nullish(),
    url: z.string().nullish(),
  }),
});

export const snippetNoteSchema = z.object({
  snippet: z.object({
    id: gitlabId,
    title: z.string(),
    url: z.string().nullish(),
  }),
});

export const pipelinePayloadSchema = z.object({
  object_kind: z.literal('pipeline'),
  object_attributes: z.object({
    id: gitlabId,
    status: z.string().min(1),
    url: z.string().nullish(),
    // Only string values matter (ours); a pipeline of someone else's with odd variables is not our concern.
    variables: z.array(z.object({ key: z.string(), value: z.unknown() })).nullish(),
  }),
  project: z.object({
    id: gitlabId,
    web_url: z.string().min(1).nullish(),
    path_with_namespace: z.string().nullish(),
  }),
});

// Merge Request Hook and Issue Hook (https://docs.gitlab.com/user/project/integrations/webhook_events/):
// only what an event trigger reads. `changes` holds previous/current pairs of what this update changed.
const changedUsers = z.object({ previous: z.array(userSchema.pick({ id: true, username: true })).nullish(), current: z.array(userSchema.pick({ id: true, username: true })).nullish() });
const changedLabels = z.object({ previous: z.array(z.object({ title: z.string() })).nullish(), current: z.array(z.object({ title: z.string() })).nullish() });

export const issuablePayloadSchema = z.object({
  object_kind: z.enum(['issue', 'merge_request']),
  event_type: z.string().nullish(),
  user: userSchema,
  project: projectSchema,
  object_attributes: z.object({
    id: gitlabId,
    iid: gitlabId,
    title: z.string(),
    state: z.string().min(1),
    url: z.string().nullish(),
    action: z.string().nullish(),
    updated_at: gitlabTimestamp,
    confidential: z.boolean().nullish(),
    source_branch: z.string().nullish(),
    target_branch: z.string().nullish(),
    source_project_id: gitlabId.nullish(),
    target_project_id: gitlabId.nullish(),
  }),
  changes: z
    .object({
      reviewers: changedUsers.nullish(),
      assignees: changedUsers.nullish(),
      labels: changedLabels.nullish(),
      draft: z.object({ previous: z.boolean().nullish(), current: z.boolean().nullish() }).nullish(),
    })
    .nullish(),
});
export type IssuablePayload = z.infer<typeof issuablePayloadSchema>;

export type Parsed<T> = { ok: true; data: T } | { ok: false; reason: string };

const SAY_MISSING = {
  error: (issue: z.core.$ZodRawIssue) => (issue.code === 'invalid_type' && issue.input === undefined ? 'missing' : undefined),
};

/** Parses `value`, or says why not as "field.path: problem" for the first few issues, so a 400 names what the payload lacked. */
export function parsePayload<S extends z.ZodType>(schema: S, value: unknown): Parsed<z.output<S>> {
  const result = schema.safeParse(value, SAY_MISSING);
  if (result.success) return { ok: true, data: result.data };
  const reason = result.error.issues
    .slice(0, 3)
    .map((issue) => `${issue.path.length > 0 ? issue.path.join('.') : 'payload'}: ${issue.message}`)
    .join('; ');
  return { ok: false, reason };
}
