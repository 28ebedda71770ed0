import { threadKeyOf, type FlowRequest } from '../domain.js';
import { noteDigest } from '../note-digest.js';
import { hasServiceMarker } from '../tracking-note.js';
import { ignore, invalid, type Classification, type ClassifyConfig } from './classification.js';
import { isGitlabBotUsername } from './gitlab-bots.js';
import { noteableOf } from './noteable.js';
import { notePayloadSchema, parsePayload } from './schemas.js';
import { containsTriggerPhrase } from './trigger-phrase.js';

export interface NoteDelivery {
  payload: unknown;
  /** Delivered as `Confidential Note Hook`: the note is internal or its issue is confidential. */
  confidentialHook: boolean;
  deliveryId: string;
  receivedAt: Date;
}

/** A comment event (`Note Hook` / `Confidential Note Hook`) to a FlowRequest, or why not (docs/architecture.md, "A message's path"). */
export function classifyNote(delivery: NoteDelivery, config: ClassifyConfig): Classification {
  // Before validating: comments on group-level things (epics, group wiki pages) come without a project,
  // and refusing them with a 400 would count against the group hook.
  const noteableType = noteableTypeOf(delivery.payload);
  if (typeof noteableType === 'string' && !SUPPORTED_NOTEABLES.has(noteableType)) return ignore(`comments on ${noteableType} are not supported`);
  const parsed = parsePayload(notePayloadSchema, delivery.payload);
  if (!parsed.ok) return invalid(parsed.reason);
  const payload = parsed.data;
  const { user, project, object_attributes: attributes } = payload;
  const projectWebUrl = stripTrailingSlash(project.web_url ?? `${stripTrailingSlash(config.gitlabUrl)}/${project.path_with_namespace}`);

  const noteableResult = noteableOf(payload, delivery.payload, projectWebUrl);
  if (!noteableResult.ok) return noteableResult.kind === 'invalid' ? invalid(noteableResult.reason) : ignore(noteableResult.reason);
  const noteable = noteableResult.noteable;

  const action = attributes.action ?? 'create';
  if (action !== 'create' && action !== 'update') return ignore(`note action ${JSON.stringify(action)} is neither create nor update`);
  if (attributes.system) return ignore('system notes never trigger');

  // The loop guard: nothing the service, its runner or another bot writes may start a run.
  const selfUsername = config.selfUsername?.replace(/^@/, '').toLowerCase();
  if (selfUsername && user.username.toLowerCase() === selfUsername) return ignore(`note by the service's own user ${user.username}`);
  if (hasServiceMarker(attributes.note)) return ignore('note carries the claude-gitlab-flow marker');
  if (isGitlabBotUsername(user.username)) return ignore(`note by bot user ${user.username}`);
  // `user` is who caused the event; for an edit by someone else (an admin) the text is no longer the
  // author's, and authorising either one would be a guess.
  if (attributes.author_id != null && attributes.author_id !== user.id) return ignore(`note by user ${attributes.author_id} was ${action === 'update' ? 'edited' : 'sent'} by user ${user.id}`);

  if (!containsTriggerPhrase(attributes.note, config.triggerPhrase)) return ignore(`no ${config.triggerPhrase} mention`);

  let internal = attributes.internal === true || attributes.confidential === true;
  let confidential = noteable.confidential;
  const confidentialEvent = delivery.confidentialHook || payload.event_type === 'confidential_note';
  // GitLab sends the confidential hook for internal notes and for notes on confidential issues; when the
  // payload shows neither flag, assume the one the noteable type allows.
  if (confidentialEvent && !internal && !confidential) {
    if (noteable.type === 'Issue') confidential = true;
    else internal = true;
  }
  if ((internal || confidential) && !config.allowConfidential) {
    return ignore(`${internal ? 'internal note' : 'confidential issue'}: triggers only with ALLOW_CONFIDENTIAL=true`);
  }

  const defaultBranch = project.default_branch ?? '';
  if (defaultBranch === '') return ignore(`project ${project.path_with_namespace} has no default branch (empty repository)`);

  const discussionId = attributes.discussion_id ?? null;
  const request: FlowRequest = {
    version: 1,
    event: 'mention',
    deliveryId: delivery.deliveryId,
    receivedAt: delivery.receivedAt.toISOString(),
    project: { id: project.id, path: project.path_with_namespace, defaultBranch, webUrl: projectWebUrl },
    noteable: { ...noteable, confidential },
    note: {
      id: attributes.id,
      body: null,
      bodyDigest: noteDigest(attributes.note),
      createdAt: attributes.created_at,
      updatedAt: attributes.updated_at,
      action,
      internal,
      type: attributes.type ?? null,
      discussionId,
      position: attributes.position ?? null,
      url: attributes.url ?? (noteable.url ? `${noteable.url}#note_${attributes.id}` : null),
    },
    author: { id: user.id, username: user.username, name: user.name },
    threadKey: threadKeyOf(project.id, noteable, discussionId, attributes.id),
  };
  return { kind: 'flow', request };
}

const SUPPORTED_NOTEABLES = new Set(['Issue', 'MergeRequest', 'Commit', 'Snippet']);

function noteableTypeOf(payload: unknown): unknown {
  const attributes = (payload as { object_attributes?: unknown }).object_attributes;
  return typeof attributes === 'object' && attributes !== null ? (attributes as { noteable_type?: unknown }).noteable_type : undefined;
}

function stripTrailingSlash(url: string): string {
  return url.replace(/\/+$/, '');
}
