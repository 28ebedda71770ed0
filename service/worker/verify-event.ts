import type { FlowEvent, FlowRequest } from '../domain.js';
import type { PendingMention } from '../store/types.js';
import type { MentionVerdict } from './verify-mentions.js';
import type { ThreadFacts } from './thread-facts.js';

// An event (the bot asked to review, an MR marked ready, the bot assigned, TRIGGER_LABEL added) checked
// against what GitLab's API says now: the bot IS a reviewer or assignee, the MR is not a draft, the label
// IS on it. The payload only said so. Who acted (the hook's `user`) cannot be read back from the API; it is
// authorised like a mention's author (authorise.ts). Pure: the facts come in, the verdict goes out.

export interface EventOptions {
  selfId: number;
  allowConfidential: boolean;
  triggerLabel: string | null;
}

export function verifyEvent(mention: PendingMention, facts: ThreadFacts, options: EventOptions): MentionVerdict {
  const drop = (reason: string): MentionVerdict => ({ ok: false, noteId: mention.noteId, reason });
  const claimed = mention.request;
  const { project, noteable } = facts;
  if (project.id !== claimed.project.id) return drop(`GitLab answered for project ${project.id}`);
  if (!project.default_branch) return drop(`project ${project.path_with_namespace} has no default branch (empty repository)`);
  if (noteable.confidential && !options.allowConfidential) return drop('confidential issue: triggers only with ALLOW_CONFIDENTIAL=true');
  if (noteable.state !== 'opened') return drop(`the ${noteable.type === 'Issue' ? 'issue' : 'merge request'} is ${noteable.state ?? 'not open'}`);
  if (noteable.type === 'MergeRequest') {
    if (noteable.targetProjectId !== project.id) return drop('the merge request targets another project');
    if (noteable.sourceProjectId !== claimed.noteable.sourceProjectId || noteable.sourceBranch !== claimed.noteable.sourceBranch) {
      return drop("the merge request's source project or branch differs from the webhook's");
    }
  }
  const refused = stillTrue(claimed, facts, options);
  if (refused) return drop(refused);
  const request: FlowRequest = {
    ...claimed,
    project: { id: project.id, path: project.path_with_namespace, defaultBranch: project.default_branch, webUrl: project.web_url },
    noteable,
    note: { ...claimed.note, body: eventInstruction(claimed.event, noteable.type, claimed.label), url: noteable.url },
  };
  return { ok: true, mention: { noteId: mention.noteId, request } };
}

/** Why GitLab no longer shows what the event said, or null when it does. */
function stillTrue(claimed: FlowRequest, facts: ThreadFacts, options: EventOptions): string | null {
  const { noteable } = facts;
  switch (claimed.event) {
    case 'assign_reviewer':
      return noteable.type === 'MergeRequest' && noteable.reviewerIds?.includes(options.selfId) ? null : 'GitLab does not list the bot as a reviewer';
    case 'ready':
      return noteable.type === 'MergeRequest' && noteable.draft === false ? null : 'GitLab says the merge request is a draft';
    case 'assign':
      return noteable.type === 'Issue' && noteable.assigneeIds?.includes(options.selfId) ? null : 'GitLab does not list the bot as an assignee';
    case 'label':
      if (!claimed.label || claimed.label !== options.triggerLabel) return `the label ${JSON.stringify(claimed.label)} is not TRIGGER_LABEL`;
      return noteable.labels?.includes(claimed.label) ? null : `GitLab does not show the label ${claimed.label}`;
    case 'mention':
      return 'a mention is not an event';
  }
}

/**
 * AI_FLOW_INPUT for an event, which has no note to quote: what was asked, in words. The runner reads the
 * MR or issue itself (AI_FLOW_CONTEXT); `assign_reviewer` and `ready` are reviews.
 */
export function eventInstruction(event: FlowEvent, type: string, label?: string): string {
  const what = type === 'MergeRequest' ? 'merge request' : 'issue';
  switch (event) {
    case 'assign_reviewer':
      return 'Review this merge request: you were added as a reviewer.';
    case 'ready':
      return 'Review this merge request: it was marked ready.';
    case 'assign':
      return `Work on this ${what}: you were assigned to it. Do what its description asks.`;
    case 'label':
      return `Work on this ${what}: it was labelled ${label ?? ''}. Do what its description asks.`.replace('  ', ' ');
    case 'mention':
      return '';
  }
}
