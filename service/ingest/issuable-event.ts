import type { FlowEvent } from '../domain.js';
import type { IssuablePayload } from './schemas.js';

// Which trigger, if any, an update of a merge request or issue is, from the hook's `changes` (the fields
// this update changed, previous and current). One event per hook, the most specific first: a review asked
// of the bot, then a draft marked ready, then the bot assigned, then TRIGGER_LABEL added. Pure.

export interface EventRules {
  /** The service's own username (without @): who "the bot" is in reviewers and assignees. */
  selfUsername: string;
  triggerLabel: string | null;
  reviewOnReady: boolean;
}

export type EventChoice = { ok: true; event: FlowEvent; label?: string } | { ok: false; reason: string };

export function eventOfIssuableHook(payload: IssuablePayload, rules: EventRules): EventChoice {
  const changes = payload.changes ?? {};
  const mergeRequest = payload.object_kind === 'merge_request';
  const self = rules.selfUsername.toLowerCase();
  const newlyIn = (change: { previous?: Array<{ username: string }> | null; current?: Array<{ username: string }> | null } | null | undefined) =>
    !!change && !(change.previous ?? []).some((user) => user.username.toLowerCase() === self) && (change.current ?? []).some((user) => user.username.toLowerCase() === self);
  if (mergeRequest && newlyIn(changes.reviewers)) return { ok: true, event: 'assign_reviewer' };
  if (mergeRequest && rules.reviewOnReady && changes.draft?.previous === true && changes.draft.current === false) return { ok: true, event: 'ready' };
  // An MR assigned to the bot is not a request of its own: assignment triggers on issues.
  if (!mergeRequest && newlyIn(changes.assignees)) return { ok: true, event: 'assign' };
  const label = rules.triggerLabel;
  if (label && changes.labels) {
    const had = (changes.labels.previous ?? []).some((item) => item.title === label);
    const has = (changes.labels.current ?? []).some((item) => item.title === label);
    if (!had && has) return { ok: true, event: 'label', label };
  }
  return { ok: false, reason: `${mergeRequest ? 'merge request' : 'issue'} update is not a trigger (bot not newly ${mergeRequest ? 'a reviewer' : 'assigned'}${rules.reviewOnReady && mergeRequest ? ', not marked ready' : ''}${label ? `, ${label} not added` : ''})` };
}
