import { chown, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isClosedOut, sessionInNote, type KeptSession } from '../../tracking-note.js';
import type { RunnerGitLab } from '../gitlab.js';
import type { ApiNote } from '../gitlab-types.js';
import { messageOf } from '../run-failure.js';
import type { AgentIdentity } from '../workspace/identity.js';
import { MAX_METADATA_BYTES, MAX_TRANSCRIPT_BYTES, METADATA_FILE, parseMetadata, projectDirName, sha256, TRANSCRIPT_FILE } from './artifact.js';

// Resuming a thread's session: the previous tracking note of this discussion (written by the bot, as
// the API says, not as its text says) names the job that kept the session and the hash of its metadata;
// the artifact is downloaded with the bot's token, checked against that hash and this thread, and put
// where the agent's Claude Code looks for it. The transcript is data from earlier runs of this thread:
// it only ever becomes `projects/<cwd>/<id>.jsonl`, never CLAUDE.md or settings. Anything wrong → a
// fresh start, with one line in the note saying why.

export type PreviousSession =
  | { kind: 'none' }
  | { kind: 'fresh'; reason: string }
  | { kind: 'resume'; sessionId: string; transcript: Buffer; jobId: number; /** The previous tracking note's creation: what was said after it is new. */ since: string };

/**
 * The previous run's closed tracking note: the newest note of the discussion before this run's that the bot
 * wrote and closed out, with the session it kept (null: it kept none, e.g. Claude Code never started). Only
 * that run's session may be resumed: an older one would skip the last exchange, and a session that could
 * not be loaded once is not tried again.
 */
export function previousTrackingNote(notes: readonly ApiNote[], botUserId: number, trackingNoteId: number): { note: ApiNote; session: KeptSession | null } | null {
  const current = notes.find((note) => note.id === trackingNoteId);
  const before = (note: ApiNote) => (current ? Date.parse(note.created_at) <= Date.parse(current.created_at) : true) && note.id !== trackingNoteId;
  const closed = notes.filter((note) => note.author.id === botUserId && !note.system && before(note) && isClosedOut(note.body));
  const newest = closed.sort((a, b) => Date.parse(b.created_at) - Date.parse(a.created_at) || b.id - a.id)[0];
  return newest ? { note: newest, session: sessionInNote(newest.body) } : null;
}

export interface FindPreviousInput {
  gitlab: RunnerGitLab;
  projectId: number;
  /** This run's thread key (session/artifact.ts); null: nothing to continue. */
  thread: string | null;
  discussionNotes: readonly ApiNote[];
  trackingNoteId: number;
  /** This request is internal: it may resume a session that saw internal notes. */
  internal: boolean;
  log: (message: string) => void;
}

export async function findPreviousSession(input: FindPreviousInput): Promise<PreviousSession> {
  const { gitlab, projectId, thread, log } = input;
  if (!thread || !input.discussionNotes.some((note) => note.id !== input.trackingNoteId && sessionInNote(note.body))) return { kind: 'none' };
  const fresh = (reason: string): PreviousSession => {
    log(`session: starting fresh (${reason})`);
    return { kind: 'fresh', reason };
  };
  try {
    const previous = previousTrackingNote(input.discussionNotes, await gitlab.currentUserId(), input.trackingNoteId);
    if (!previous) {
      log('session: a session marker in a note the bot did not write is ignored');
      return { kind: 'none' };
    }
    if (!previous.session) return fresh(`the previous run, note ${previous.note.id}, kept none`);
    const { jobId, sha256: expected } = previous.session;
    const gone = `the artifact of job ${jobId} is gone: expired or removed`;
    const metaBytes = await gitlab.jobArtifactFile(projectId, jobId, METADATA_FILE, MAX_METADATA_BYTES);
    if (!metaBytes) return fresh(gone);
    if (sha256(metaBytes) !== expected) return fresh(`the artifact of job ${jobId} does not match the hash in note ${previous.note.id}`);
    const meta = parseMetadata(metaBytes);
    if (!meta) return fresh(`the artifact of job ${jobId} has unreadable metadata`);
    if (meta.thread !== thread) return fresh(`the session of job ${jobId} belongs to another thread`);
    if (meta.internal && !input.internal) return fresh(`the session of job ${jobId} saw internal notes and this request is not internal`);
    const transcript = await gitlab.jobArtifactFile(projectId, jobId, TRANSCRIPT_FILE, MAX_TRANSCRIPT_BYTES);
    if (!transcript) return fresh(gone);
    if (sha256(transcript) !== meta.transcriptSha256) return fresh(`the transcript of job ${jobId} does not match its hash`);
    log(`session: resuming ${meta.sessionId} from job ${jobId} (note ${previous.note.id})`);
    return { kind: 'resume', sessionId: meta.sessionId, transcript, jobId, since: previous.note.created_at };
  } catch (error) {
    return fresh(`it could not be read: ${messageOf(error)}`);
  }
}

/** The note's one line when an earlier session existed but could not be used. */
export function sessionNotice(previous: PreviousSession): string | null {
  return previous.kind === 'fresh' ? `Started fresh: the previous session could not be used (${previous.reason}).` : null;
}

/**
 * Puts the transcript where Claude Code, started in `workspace` with CLAUDE_CONFIG_DIR `configDir`,
 * finds it for `--resume`: a file of the agent's, in directories of the agent's. Done before the agent
 * starts, in a home that is still as prepareWorkspace made it.
 */
export async function installSession(configDir: string, workspace: string, identity: AgentIdentity, previous: Extract<PreviousSession, { kind: 'resume' }>): Promise<void> {
  const projects = join(configDir, 'projects');
  const dir = join(projects, projectDirName(workspace));
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const file = join(dir, `${previous.sessionId}.jsonl`);
  await writeFile(file, previous.transcript, { mode: 0o600, flag: 'wx' });
  if (identity.kind === 'isolated') {
    for (const path of [configDir, projects, dir, file]) await chown(path, identity.uid, identity.gid);
  }
}
