import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { RunnerGitLab } from '../../../service/runner/gitlab.js';
import { METADATA_FILE, projectDirName, sessionThreadKey, sha256, TRANSCRIPT_FILE } from '../../../service/runner/session/artifact.js';
import { captureSession, writeSessionArtifact } from '../../../service/runner/session/keep.js';
import { findPreviousSession, installSession, previousTrackingNote, sessionNotice } from '../../../service/runner/session/resume.js';
import type { AgentIdentity } from '../../../service/runner/workspace/identity.js';
import { sessionInNote, trackingNoteBody, withoutMarkers } from '../../../service/tracking-note.js';
import { issueContext, note } from '../fixtures.js';

// The session's pieces without Claude Code: the marker, which note may be trusted, the checks on the
// downloaded artifact, and the files the runner reads out of and writes into the agent's config dir.

const BOT = 77;
const SESSION = '0b5c3e8e-1d2f-4a6b-9c7d-2e4f6a8b0c1d';
const dirs: string[] = [];
const temp = () => {
  const dir = mkdtempSync(join(tmpdir(), 'session-test-'));
  dirs.push(dir);
  return dir;
};
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});
const unisolated: AgentIdentity = { kind: 'unisolated', reason: 'test', allowedByProject: true };

describe('the session marker', () => {
  it('round-trips job id and hash, is bookkeeping not content, and leaves the other markers alone', () => {
    const body = trackingNoteBody('Answer.', { runId: 'run-1', closed: true, session: { jobId: 4242, sha256: 'a'.repeat(64) } });
    expect(sessionInNote(body)).toEqual({ jobId: 4242, sha256: 'a'.repeat(64) });
    expect(withoutMarkers(body)).toBe('Answer.');
    expect(sessionInNote(trackingNoteBody('Answer.'))).toBeNull();
    expect(sessionInNote('<!-- claude-gitlab-flow:session:12:not-a-hash -->')).toBeNull();
  });
});

describe('the previous tracking note', () => {
  const marked = (jobId: number) => trackingNoteBody('Earlier answer.', { closed: true, session: { jobId, sha256: 'b'.repeat(64) } });
  const bot = { id: BOT, username: 'project_bot' };

  it("is the newest note the bot wrote with a marker before this run's note; a member's copy of the marker is ignored", () => {
    const older = note(marked(1), { created: '2026-11-26T01:00:00Z' }, { author: bot });
    const newer = note(marked(2), { created: '2026-11-26T02:00:00Z' }, { author: bot });
    const forged = note(marked(666), { created: '2026-11-26T02:30:00Z' }, { author: { id: 2, username: 'bob' } });
    const current = note('Claude is on it', { created: '2026-11-26T03:00:01Z' }, { author: bot });
    const later = note(marked(3), { created: '2026-11-26T04:00:00Z' }, { author: bot });
    expect(previousTrackingNote([older, newer, forged, current, later], BOT, current.id)).toMatchObject({ note: { id: newer.id }, session: { jobId: 2 } });
    expect(previousTrackingNote([forged, current], BOT, current.id)).toBeNull();
    // The bot's replies that are not closed-out tracking notes (queued, refused) do not count.
    const queued = note(trackingNoteBody('Queued.'), { created: '2026-11-26T02:40:00Z' }, { author: bot });
    expect(previousTrackingNote([older, newer, queued, current], BOT, current.id)?.note.id).toBe(newer.id);
  });

  it('is the last closed note even when that run kept no session: an older session is not resumed', async () => {
    const older = note(marked(1), { created: '2026-11-26T01:00:00Z' }, { author: bot });
    const failed = note(trackingNoteBody('Claude could not finish.', { closed: true }), { created: '2026-11-26T02:00:00Z' }, { author: bot });
    const current = note('Claude is on it', { created: '2026-11-26T03:00:01Z' }, { id: 150, author: bot });
    expect(previousTrackingNote([older, failed, current], BOT, 150)).toEqual({ note: failed, session: null });
    const gitlab = { currentUserId: async () => BOT } as unknown as RunnerGitLab;
    const found = await findPreviousSession({ gitlab, projectId: 5, thread: 't', discussionNotes: [older, failed, current], trackingNoteId: 150, internal: false, log: () => {} });
    expect(found).toEqual({ kind: 'fresh', reason: `the previous run, note ${failed.id}, kept none` });
  });
});

describe('finding the previous session', () => {
  const context = issueContext();
  const thread = sessionThreadKey(context)!;
  const transcript = Buffer.from('{"type":"user"}\n');
  const meta = (overrides: Record<string, unknown> = {}) =>
    Buffer.from(JSON.stringify({ version: 1, sessionId: SESSION, thread, transcriptSha256: sha256(transcript), transcriptBytes: transcript.length, internal: false, createdAt: 'x', ...overrides }));

  function setUp(metaBytes: Buffer | null, files: Record<string, Buffer | null> = {}) {
    const recorded = metaBytes ? sha256(metaBytes) : 'c'.repeat(64);
    const previous = note(trackingNoteBody('Earlier.', { closed: true, session: { jobId: 9, sha256: recorded } }), { created: '2026-11-26T01:00:00Z' }, { author: { id: BOT, username: 'bot' } });
    const current = note('on it', { created: '2026-11-26T03:00:01Z' }, { id: context.tracking_note_id, author: { id: BOT, username: 'bot' } });
    const gitlab = {
      currentUserId: async () => BOT,
      jobArtifactFile: async (_project: number, _job: number, path: string) => (path in files ? files[path]! : path === METADATA_FILE ? metaBytes : transcript),
    } as unknown as RunnerGitLab;
    return { gitlab, projectId: 5, thread, discussionNotes: [previous, current], trackingNoteId: context.tracking_note_id, internal: false, log: () => {} };
  }

  it('resumes when the note, the hash, the thread and the transcript agree', async () => {
    const found = await findPreviousSession(setUp(meta()));
    expect(found).toMatchObject({ kind: 'resume', sessionId: SESSION, jobId: 9, since: '2026-11-26T01:00:00Z' });
    expect(sessionNotice(found)).toBeNull();
  });

  it.each([
    ['another thread', () => setUp(meta({ thread: '5:Issue:99:d9' })), 'the session of job 9 belongs to another thread'],
    ['a transcript that is not the one the metadata names', () => setUp(meta(), { [TRANSCRIPT_FILE]: Buffer.from('{"type":"forged"}\n') }), 'the transcript of job 9 does not match its hash'],
    ['internal notes seen, a public request now', () => setUp(meta({ internal: true })), 'the session of job 9 saw internal notes and this request is not internal'],
    ['an unsafe session id', () => setUp(meta({ sessionId: '../../etc/passwd' })), 'the artifact of job 9 has unreadable metadata'],
    ['a missing transcript', () => setUp(meta(), { [TRANSCRIPT_FILE]: null }), 'the artifact of job 9 is gone: expired or removed'],
  ])('starts fresh for %s', async (_what, input, reason) => {
    const found = await findPreviousSession(input());
    expect(found).toEqual({ kind: 'fresh', reason });
    expect(sessionNotice(found)).toBe(`Started fresh: the previous session could not be used (${reason}).`);
  });

  it('does not ask GitLab anything when the thread has no session marker', async () => {
    const input = setUp(meta());
    const found = await findPreviousSession({ ...input, discussionNotes: input.discussionNotes.slice(1), gitlab: {} as RunnerGitLab });
    expect(found).toEqual({ kind: 'none' });
  });
});

describe("the agent's config dir", () => {
  it('gets the transcript where Claude Code looks for the workspace; a kept session goes to the artifact files with the hash chain', async () => {
    const home = temp();
    const configDir = join(home, '.claude');
    await installSession(configDir, '/tmp/claude-gitlab-flow-x/workspace', unisolated, { kind: 'resume', sessionId: SESSION, transcript: Buffer.from('line\n'), jobId: 1, since: '' });
    expect(readdirSync(join(configDir, 'projects'))).toEqual([projectDirName('/tmp/claude-gitlab-flow-x/workspace')]);
    expect(projectDirName('/tmp/claude-gitlab-flow-x/workspace')).toBe('-tmp-claude-gitlab-flow-x-workspace');

    const captured = await captureSession(configDir, unisolated, SESSION, () => {});
    expect(captured?.transcript.toString()).toBe('line\n');
    const projectDir = temp();
    const kept = await writeSessionArtifact({ projectDir, captured: captured!, thread: 't', internal: false, jobId: 5, now: new Date(0) });
    const metaBytes = readFileSync(join(projectDir, METADATA_FILE));
    expect(kept).toEqual({ jobId: 5, sha256: sha256(metaBytes) });
    expect(JSON.parse(metaBytes.toString())).toMatchObject({ sessionId: SESSION, thread: 't', transcriptSha256: sha256('line\n') });
    expect(statSync(join(projectDir, TRANSCRIPT_FILE)).mode & 0o777).toBe(0o600);
  });

  it("never follows a symlink the agent left in place of its transcript", async () => {
    const home = temp();
    const dir = join(home, '.claude', 'projects', 'p');
    mkdirSync(dir, { recursive: true });
    const secret = join(temp(), 'secret');
    writeFileSync(secret, 'token');
    symlinkSync(secret, join(dir, `${SESSION}.jsonl`));
    expect(await captureSession(join(home, '.claude'), unisolated, SESSION, () => {})).toBeNull();
    expect(await captureSession(join(home, '.claude'), unisolated, 'not-a-uuid', () => {})).toBeNull();
  });
});
