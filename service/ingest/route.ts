// Which classifier a delivery goes to, from `X-Gitlab-Event` cross-checked with `object_kind`. Not
// `event_type`: it says `confidential_note` for a comment on a confidential issue, where `object_kind` is
// still `note` (https://docs.gitlab.com/user/project/integrations/webhook_events/#comment-events).

export type Route =
  | { kind: 'note'; confidentialHook: boolean }
  | { kind: 'pipeline' }
  /** A Merge Request Hook or Issue Hook: an event trigger, perhaps (classify-issuable.ts). */
  | { kind: 'issuable'; confidentialHook: boolean }
  | { kind: 'ignore'; reason: string }
  | { kind: 'invalid'; reason: string };

const OBJECT_KIND_OF: Record<string, 'note' | 'pipeline' | 'issue' | 'merge_request'> = {
  'Note Hook': 'note',
  'Confidential Note Hook': 'note',
  'Pipeline Hook': 'pipeline',
  'Issue Hook': 'issue',
  'Confidential Issue Hook': 'issue',
  'Merge Request Hook': 'merge_request',
};

const NOT_ACTED_ON: Record<string, string> = {
  'Emoji Hook': 'emoji reactions do not trigger',
  'Push Hook': 'push events do not trigger',
  'Tag Push Hook': 'tag push events do not trigger',
  'Job Hook': 'job events are not used (pipeline events close runs out)',
};

export function routeOf(eventHeader: string | undefined, payload: unknown): Route {
  const event = eventHeader?.trim() ?? '';
  if (event === '') return { kind: 'ignore', reason: 'no X-Gitlab-Event header' };
  const expectedKind = OBJECT_KIND_OF[event];
  if (expectedKind === undefined) return { kind: 'ignore', reason: NOT_ACTED_ON[event] ?? `event ${JSON.stringify(event)} is not handled` };
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) return { kind: 'invalid', reason: `${event} payload is not a JSON object` };
  const objectKind = (payload as Record<string, unknown>)['object_kind'];
  if (typeof objectKind !== 'string' || objectKind === '') return { kind: 'invalid', reason: `object_kind: missing in a ${event} payload` };
  // A mismatch is not something GitLab sends, but a 4xx counts towards disabling the hook and cannot tell
  // which of the two is wrong; acting on neither and saying why is the safe answer.
  if (objectKind !== expectedKind) return { kind: 'ignore', reason: `X-Gitlab-Event ${JSON.stringify(event)} does not match object_kind ${JSON.stringify(objectKind)}` };
  if (expectedKind === 'note') return { kind: 'note', confidentialHook: event === 'Confidential Note Hook' };
  if (expectedKind === 'pipeline') return { kind: 'pipeline' };
  return { kind: 'issuable', confidentialHook: event === 'Confidential Issue Hook' };
}
