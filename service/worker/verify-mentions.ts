import type { FlowRequest } from '../domain.js';
import type { GitLabNote } from '../gitlab/api.js';
import { parseGitlabTimestamp } from '../ingest/timestamps.js';
import { containsTriggerPhrase } from '../ingest/trigger-phrase.js';
import { noteDigest } from '../note-digest.js';
import type { PendingMention } from '../store/types.js';
import type { ThreadFacts } from './thread-facts.js';

// Each mention of a run, checked against what GitLab's API says (thread-facts.ts), and rebuilt from it:
// the instruction is the API's body, the author the API's author, the noteable and project the API's.
// Pure: the facts come in, the verdicts go out.

export interface VerifyOptions {
  triggerPhrase: string;
  allowConfidential: boolean;
  /** When the run took the mentions: an edit before it is the mention's text, one after is not. */
  claimedAt: number;
}

export type MentionVerdict = { ok: true; mention: PendingMention } | { ok: false; noteId: number; reason: string };

export function verifyMention(mention: PendingMention, facts: ThreadFacts, options: VerifyOptions): MentionVerdict {
  const drop = (reason: string): MentionVerdict => ({ ok: false, noteId: mention.noteId, reason });
  const claimed = mention.request;
  const note = facts.notes.get(mention.noteId);
  if (!note) return drop('GitLab has no such note in this thread');
  if (note.system) return drop('GitLab says it is a system note');
  if (note.author.id !== claimed.author.id) return drop(`GitLab says user ${note.author.id} wrote it, not user ${claimed.author.id}`);
  const body = confirmedBody(claimed, note, options);
  if (body === null) return drop('the note reads differently in GitLab than in the webhook, and was not edited before the claim');
  if (!containsTriggerPhrase(body, options.triggerPhrase)) return drop(`the note no longer mentions ${options.triggerPhrase}`);
  const internal = note.internal ?? note.confidential ?? false;
  const confidential = facts.noteable.confidential;
  if ((internal || confidential) && !options.allowConfidential) {
    return drop(`${internal ? 'internal note' : 'confidential issue'}: triggers only with ALLOW_CONFIDENTIAL=true`);
  }
  const { project, noteable } = facts;
  if (project.id !== claimed.project.id) return drop(`GitLab answered for project ${project.id}`);
  if (!project.default_branch) return drop(`project ${project.path_with_namespace} has no default branch (empty repository)`);
  if (noteable.type === 'MergeRequest') {
    if (noteable.targetProjectId !== project.id) return drop('the merge request targets another project');
    // A merge request's source never changes: a webhook that says otherwise was not sent by GitLab.
    if (noteable.sourceProjectId !== claimed.noteable.sourceProjectId || noteable.sourceBranch !== claimed.noteable.sourceBranch) {
      return drop("the merge request's source project or branch differs from the webhook's");
    }
  }
  const request: FlowRequest = {
    ...claimed,
    project: { id: project.id, path: project.path_with_namespace, defaultBranch: project.default_branch, webUrl: project.web_url },
    noteable,
    note: {
      ...claimed.note,
      body,
      bodyDigest: noteDigest(body),
      createdAt: isoOf(note.created_at) ?? claimed.note.createdAt,
      updatedAt: isoOf(note.updated_at) ?? claimed.note.updatedAt,
      internal,
      type: note.type ?? null,
      position: note.position ?? null,
      url: noteable.url ? `${noteable.url}#note_${note.id}` : claimed.note.url,
    },
    author: { id: note.author.id, username: note.author.username, name: note.author.name ?? claimed.author.name },
  };
  return { ok: true, mention: { noteId: mention.noteId, request } };
}

/**
 * The text to run: GitLab's. When it differs from the webhook's, it counts only as an edit whose own hook
 * had not arrived by the claim: the webhook's version is dated within the note's life (not before GitLab
 * created it, as a made-up payload would be), and GitLab dates the last edit after it and no later than the
 * claim. Otherwise the webhook said something GitLab never had. Whole seconds, as hooks carry them.
 */
function confirmedBody(claimed: FlowRequest, note: GitLabNote, options: VerifyOptions): string | null {
  // Work queued by versions before the digest carried the text itself.
  const announced = claimed.note.bodyDigest ?? (typeof claimed.note.body === 'string' ? noteDigest(claimed.note.body) : null);
  if (noteDigest(note.body) === announced) return note.body;
  const createdAt = secondsOf(note.created_at);
  const editedAt = secondsOf(note.updated_at);
  const hookSaw = secondsOf(claimed.note.updatedAt);
  if (createdAt === null || editedAt === null || hookSaw === null) return null;
  const editedBeforeClaim = editedAt > hookSaw && editedAt <= Math.floor(options.claimedAt / 1000);
  return hookSaw >= createdAt && editedBeforeClaim ? note.body : null;
}

function isoOf(value: string): string | null {
  return parseGitlabTimestamp(value);
}

function secondsOf(value: string): number | null {
  const iso = parseGitlabTimestamp(value);
  return iso === null ? null : Math.floor(Date.parse(iso) / 1000);
}
