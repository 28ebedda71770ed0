// The tracking note is the one reply per run that the service posts and the runner edits to its end.
// Hidden markers let every party recognise it without a database: the classifier ignores notes that
// carry SERVICE_NOTE_MARKER (loop guard: a note of ours that quotes the trigger phrase never starts a
// run, even if the bot user is renamed), and the service sees from CLOSED_MARKER that the runner
// already closed a note out, so a failed-pipeline hook does not overwrite the runner's answer. The
// markers are built and read here only.

export const SERVICE_NOTE_MARKER = '<!-- claude-gitlab-flow -->';
export const CLOSED_MARKER = '<!-- claude-gitlab-flow:closed -->';

export function runMarker(runId: string): string {
  return `<!-- claude-gitlab-flow:run:${runId} -->`;
}

/**
 * Where the run kept Claude Code's session: the CI job whose artifact holds it, and the sha256 of the
 * artifact's metadata file (which carries the transcript's own sha256). Only the runner writes it, on
 * close-out; a later run trusts it only in a note the bot wrote (checked through the API).
 */
export interface KeptSession {
  jobId: number;
  sha256: string;
}

export function sessionMarker(session: KeptSession): string {
  return `<!-- claude-gitlab-flow:session:${session.jobId}:${session.sha256} -->`;
}

export function sessionInNote(body: string): KeptSession | null {
  const match = /<!-- claude-gitlab-flow:session:(\d{1,15}):([0-9a-f]{64}) -->/.exec(body);
  return match ? { jobId: Number(match[1]), sha256: match[2]! } : null;
}

/** Posted by the service or its runner. */
export function hasServiceMarker(body: string): boolean {
  return body.includes(SERVICE_NOTE_MARKER);
}

/** The note's text without our markers, which are bookkeeping, not content. */
export function withoutMarkers(body: string): string {
  return body.replace(/<!-- claude-gitlab-flow[^>]*-->/g, '').trim();
}

export function isClosedOut(body: string): boolean {
  return body.includes(CLOSED_MARKER);
}

export function runIdInNote(body: string): string | null {
  return /<!-- claude-gitlab-flow:run:([A-Za-z0-9_.:-]+) -->/.exec(body)?.[1] ?? null;
}

/** Wraps visible text with the markers every tracking note carries. */
export function trackingNoteBody(text: string, options: { runId?: string; closed?: boolean; session?: KeptSession | null } = {}): string {
  // The closed marker stays last: a closed note ends with it.
  const markers = [SERVICE_NOTE_MARKER, options.runId ? runMarker(options.runId) : null, options.session ? sessionMarker(options.session) : null, options.closed ? CLOSED_MARKER : null];
  return `${text}\n\n${markers.filter(Boolean).join('\n')}`;
}
