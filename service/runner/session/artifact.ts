import { createHash } from 'node:crypto';
import { threadKeyOf, type FlowContextV1 } from '../../domain.js';
import { noteableOfContext } from '../../flow-variables.js';

// The session artifact: what a run keeps of Claude Code's session so a later mention in the same thread
// can resume it. Two files in the checkout, which the templates declare as the job's artifact
// (`artifacts:access: developer`):
//   .claude-gitlab-flow/session/transcript.jsonl  Claude Code's transcript of the session, as it wrote it
//   .claude-gitlab-flow/session/session.json      metadata: session id, thread key, the transcript's sha256
// The tracking note's hidden marker records the job id and the sha256 of session.json, so the chain
// note (bot-authored) → metadata → transcript is checked end to end before anything is resumed.

export const SESSION_DIR = '.claude-gitlab-flow/session';
export const METADATA_FILE = `${SESSION_DIR}/session.json`;
export const TRANSCRIPT_FILE = `${SESSION_DIR}/transcript.jsonl`;
export const MAX_METADATA_BYTES = 4_096;
/** A longer session is not kept (and a larger download is refused). */
export const MAX_TRANSCRIPT_BYTES = 32 * 1024 * 1024;

/** Claude Code's session ids are UUIDs; the id becomes a file name and a `--resume` argument. */
export const SESSION_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export interface SessionMetadata {
  version: 1;
  sessionId: string;
  /** The thread the session answered (project, noteable, discussion), as the service keys threads. */
  thread: string;
  transcriptSha256: string;
  transcriptBytes: number;
  /** The session saw internal notes: a public request may not resume it. */
  internal: boolean;
  createdAt: string;
}

export const sha256 = (bytes: Buffer | string): string => createHash('sha256').update(bytes).digest('hex');

/** The thread's key from the context's ids (trusted), or null when there is no discussion to continue. */
export function sessionThreadKey(context: FlowContextV1): string | null {
  if (!context.discussion_id) return null;
  return threadKeyOf(context.project.id, noteableOfContext(context), context.discussion_id, context.trigger_note_ids[0] ?? 0);
}

/** Where Claude Code keeps a working directory's sessions: `projects/<cwd with every non-alphanumeric as ->`. */
export function projectDirName(cwd: string): string {
  return cwd.replace(/[^a-zA-Z0-9]/g, '-');
}

export function parseMetadata(bytes: Buffer): SessionMetadata | null {
  let value: unknown;
  try {
    value = JSON.parse(bytes.toString('utf8'));
  } catch {
    return null;
  }
  if (!value || typeof value !== 'object') return null;
  const meta = value as Record<string, unknown>;
  const ok =
    meta.version === 1 &&
    typeof meta.sessionId === 'string' &&
    SESSION_ID.test(meta.sessionId) &&
    typeof meta.thread === 'string' &&
    typeof meta.transcriptSha256 === 'string' &&
    /^[0-9a-f]{64}$/.test(meta.transcriptSha256) &&
    typeof meta.transcriptBytes === 'number' &&
    typeof meta.internal === 'boolean';
  return ok ? (meta as unknown as SessionMetadata) : null;
}
