import { createHash } from 'node:crypto';
import { eventKeyOf, eventNoteId, eventThreadKeyOf, type FlowRequest, type NoteableRef } from '../domain.js';
import { noteDigest } from '../note-digest.js';
import { ignore, invalid, type Classification, type ClassifyConfig } from './classification.js';
import { isGitlabBotUsername } from './gitlab-bots.js';
import { eventOfIssuableHook } from './issuable-event.js';
import { issuablePayloadSchema, parsePayload } from './schemas.js';

// A Merge Request Hook or Issue Hook to an event FlowRequest (AI_FLOW_EVENT `assign_reviewer`, `ready`,
// `assign`, `label`), or why not. An event has no trigger note: the request's note is synthetic (an id
// from the event's key, no discussion), its thread is the noteable's and the event's, and the worker
// re-reads the MR or issue to confirm the bot is (still) reviewer or assignee, or the label is there.

export interface IssuableDelivery {
  payload: unknown;
  /** Delivered as `Confidential Issue Hook`. */
  confidentialHook: boolean;
  deliveryId: string;
  receivedAt: Date;
}

const ACTED_ON = new Set(['open', 'update', 'reopen']);

export function classifyIssuable(delivery: IssuableDelivery, config: ClassifyConfig): Classification {
  const parsed = parsePayload(issuablePayloadSchema, delivery.payload);
  if (!parsed.ok) return invalid(parsed.reason);
  const payload = parsed.data;
  const { user, project, object_attributes: attributes } = payload;
  const kind = payload.object_kind === 'merge_request' ? 'merge request' : 'issue';
  const action = attributes.action ?? 'update';
  if (!ACTED_ON.has(action)) return ignore(`${kind} action ${JSON.stringify(action)} does not trigger`);

  // The loop guard: what the service, its runner or another bot does to an MR or issue never starts a run.
  const selfUsername = config.selfUsername?.replace(/^@/, '').toLowerCase();
  if (!selfUsername) return ignore(`${kind} events need the bot's username, not known yet (GET /user at start-up)`);
  if (user.username.toLowerCase() === selfUsername) return ignore(`${kind} changed by the service's own user ${user.username}`);
  if (isGitlabBotUsername(user.username)) return ignore(`${kind} changed by bot user ${user.username}`);

  const choice = eventOfIssuableHook(payload, { selfUsername, triggerLabel: config.triggerLabel ?? null, reviewOnReady: config.reviewOnReady === true });
  if (!choice.ok) return ignore(choice.reason);

  const confidential = payload.object_kind === 'issue' && (attributes.confidential === true || delivery.confidentialHook);
  if (confidential && !config.allowConfidential) return ignore('confidential issue: triggers only with ALLOW_CONFIDENTIAL=true');
  const defaultBranch = project.default_branch ?? '';
  if (defaultBranch === '') return ignore(`project ${project.path_with_namespace} has no default branch (empty repository)`);

  const projectWebUrl = (project.web_url ?? `${config.gitlabUrl.replace(/\/+$/, '')}/${project.path_with_namespace}`).replace(/\/+$/, '');
  const noteable = noteableOf(payload.object_kind, attributes, projectWebUrl, confidential);
  if (!noteable) return invalid('object_attributes: a merge request needs source_branch, target_branch, source_project_id and target_project_id');
  const key = eventKeyOf(project.id, noteable, choice.event, attributes.updated_at);
  const request: FlowRequest = {
    version: 1,
    event: choice.event,
    ...(choice.label ? { label: choice.label } : {}),
    deliveryId: delivery.deliveryId,
    receivedAt: delivery.receivedAt.toISOString(),
    project: { id: project.id, path: project.path_with_namespace, defaultBranch, webUrl: projectWebUrl },
    noteable,
    note: {
      id: eventNoteId(key, (text) => createHash('sha256').update(text).digest('hex')),
      body: null,
      bodyDigest: noteDigest(key),
      createdAt: attributes.updated_at,
      updatedAt: attributes.updated_at,
      action: 'create',
      internal: false,
      type: null,
      discussionId: null,
      position: null,
      url: noteable.url,
    },
    author: { id: user.id, username: user.username, name: user.name },
    threadKey: eventThreadKeyOf(project.id, noteable, choice.event),
  };
  return { kind: 'flow', request };
}

function noteableOf(
  kind: 'issue' | 'merge_request',
  attributes: ReturnType<typeof issuablePayloadSchema.parse>['object_attributes'],
  projectWebUrl: string,
  confidential: boolean,
): NoteableRef | null {
  const base = { iid: attributes.iid, id: attributes.id, title: attributes.title, state: attributes.state, commitSha: null, confidential };
  if (kind === 'issue') {
    return { ...base, type: 'Issue', url: attributes.url ?? `${projectWebUrl}/-/issues/${attributes.iid}`, sourceBranch: null, targetBranch: null, sourceProjectId: null, targetProjectId: null, fork: false };
  }
  const { source_branch: sourceBranch, target_branch: targetBranch, source_project_id: sourceProjectId, target_project_id: targetProjectId } = attributes;
  if (!sourceBranch || !targetBranch || !sourceProjectId || !targetProjectId) return null;
  return {
    ...base,
    type: 'MergeRequest',
    url: attributes.url ?? `${projectWebUrl}/-/merge_requests/${attributes.iid}`,
    sourceBranch,
    targetBranch,
    sourceProjectId,
    targetProjectId,
    fork: sourceProjectId !== targetProjectId,
  };
}
