import type { QueuedWork } from '../../domain.js';

// A queued work item travels as UTF-8 JSON; its kind is copied into an attribute so the console and a
// dead-letter subscription can tell messages apart without decoding them.

export function encodeWork(work: QueuedWork): { data: Buffer; attributes: Record<string, string> } {
  return { data: Buffer.from(JSON.stringify(work), 'utf8'), attributes: { kind: work.kind } };
}

/** The work item, or null when the bytes are not one (such a message can never succeed). */
export function decodeWork(data: Buffer): QueuedWork | null {
  try {
    const work = JSON.parse(data.toString('utf8')) as unknown;
    if (typeof work !== 'object' || work === null) return null;
    const kind = (work as { kind?: unknown }).kind;
    return kind === 'flow' || kind === 'pipeline' || kind === 'wake' || kind === 'run' ? (work as QueuedWork) : null;
  } catch {
    return null;
  }
}
