import { within, type Bounded } from '../deadline.js';
import type { Logger } from '../log.js';

// GitLab waits 10 s for an answer and does not resend by itself after a timeout; it disables a hook after
// 4 failures in a row: https://docs.gitlab.com/user/project/integrations/webhooks/#auto-disabled-webhooks

/**
 * Ingest answers within this, counted from the request's start, whatever its store calls and the publish
 * do: GitLab gives up at 10 s and does not resend by itself, so a late 202 beats an early 503, and a 503
 * (which a person or a retrying proxy may resend) beats GitLab's timeout. A contended store transaction on
 * the Firestore emulator under load was seen to take several seconds.
 */
export const ANSWER_WITHIN_MS = 8500;

/** The milliseconds left until the answer is due. Real time, not a test's fixed clock: GitLab's 10 s are real. */
export function answerBudget(ms: number): () => number {
  const answerBy = performance.now() + ms;
  return () => Math.max(0, answerBy - performance.now());
}

export type InTime<T> = { ok: true; value: T } | { ok: false; reason: string };

/**
 * `promise`'s value, or why not (it failed, or was not done within `ms`): the caller answers 503, and
 * GitLab (or whoever resends) tries again. `failed` and `late` undo what must not outlive that answer.
 */
export async function inTime<T>(
  promise: Promise<T>,
  ms: number,
  what: string,
  log: () => Logger,
  undo: { failed?: () => Promise<unknown>; late: () => unknown }
): Promise<InTime<T>> {
  let result: Bounded<T>;
  try {
    result = await within(promise, ms);
  } catch (error) {
    await undo.failed?.();
    log().error({ err: error }, `${what} failed`);
    return { ok: false, reason: `${what} failed; GitLab will retry` };
  }
  if (result.settled) return { ok: true, value: result.value };
  promise.catch(() => undefined);
  await undo.late();
  log().warn({ waitedMs: Math.round(ms) }, `${what} did not answer in time`);
  return { ok: false, reason: `${what} did not answer in time; GitLab will retry` };
}
