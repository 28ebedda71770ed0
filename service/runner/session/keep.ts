import { constants } from 'node:fs';
import { mkdir, open, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { KeptSession } from '../../tracking-note.js';
import { messageOf } from '../run-failure.js';
import type { AgentIdentity } from '../workspace/identity.js';
import { MAX_TRANSCRIPT_BYTES, METADATA_FILE, SESSION_DIR, SESSION_ID, sha256, TRANSCRIPT_FILE, type SessionMetadata } from './artifact.js';

// Keeping the session: after the agent's processes are killed, the runner (root) copies the transcript
// out of the agent's config dir, and after delivery (so `git add --all` never sees it) writes it into the
// checkout as the job's artifact. The agent owned that directory: the file must be a regular file of the
// agent's own, not a symlink or a hard link to someone else's, and bounded in size.

export interface CapturedSession {
  sessionId: string;
  transcript: Buffer;
}

export async function captureSession(configDir: string, identity: AgentIdentity, sessionId: string | null, log: (message: string) => void): Promise<CapturedSession | null> {
  if (!sessionId || !SESSION_ID.test(sessionId)) return null;
  const owner = identity.kind === 'isolated' ? identity.uid : process.getuid?.();
  try {
    const projects = join(configDir, 'projects');
    for (const dirent of await readdir(projects, { withFileTypes: true })) {
      if (!dirent.isDirectory()) continue;
      const transcript = await readOwnFile(join(projects, dirent.name, `${sessionId}.jsonl`), owner);
      if (transcript) return { sessionId, transcript };
    }
    log(`session ${sessionId}: no transcript found; not kept`);
  } catch (error) {
    log(`session ${sessionId} not kept: ${messageOf(error)}`);
  }
  return null;
}

async function readOwnFile(path: string, owner: number | undefined): Promise<Buffer | null> {
  const handle = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK).catch(() => null);
  if (!handle) return null;
  try {
    const info = await handle.stat();
    if (!info.isFile() || info.nlink !== 1 || (owner !== undefined && info.uid !== owner)) throw new Error('the transcript is not a plain file of the agent');
    if (info.size > MAX_TRANSCRIPT_BYTES) throw new Error(`the transcript is larger than ${MAX_TRANSCRIPT_BYTES} bytes`);
    const bytes = Buffer.alloc(info.size);
    const { bytesRead } = await handle.read(bytes, 0, info.size, 0);
    return bytes.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

/** Writes the artifact into the checkout; returns what the tracking note's marker records. */
export async function writeSessionArtifact(input: { projectDir: string; captured: CapturedSession; thread: string; internal: boolean; jobId: number; now: Date }): Promise<KeptSession> {
  const { projectDir, captured } = input;
  const metadata: SessionMetadata = {
    version: 1,
    sessionId: captured.sessionId,
    thread: input.thread,
    transcriptSha256: sha256(captured.transcript),
    transcriptBytes: captured.transcript.length,
    internal: input.internal,
    createdAt: input.now.toISOString(),
  };
  const metaBytes = Buffer.from(`${JSON.stringify(metadata, null, 2)}\n`);
  await mkdir(join(projectDir, SESSION_DIR), { recursive: true });
  await writeFile(join(projectDir, TRANSCRIPT_FILE), captured.transcript, { mode: 0o600 });
  await writeFile(join(projectDir, METADATA_FILE), metaBytes, { mode: 0o600 });
  return { jobId: input.jobId, sha256: sha256(metaBytes) };
}
