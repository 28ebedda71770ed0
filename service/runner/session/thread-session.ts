import type { FlowContextV1 } from '../../domain.js';
import type { KeptSession } from '../../tracking-note.js';
import { agentConfigDir } from '../agent-env.js';
import type { ClaudeProcessOutcome } from '../claude-process.js';
import type { RunnerGitLab } from '../gitlab.js';
import type { ThreadData } from '../read-thread.js';
import { messageOf } from '../run-failure.js';
import type { AgentIdentity } from '../workspace/identity.js';
import type { AgentWorkspace } from '../workspace/prepare.js';
import { sessionThreadKey } from './artifact.js';
import { captureSession, writeSessionArtifact, type CapturedSession } from './keep.js';
import { findPreviousSession, installSession, sessionNotice, type PreviousSession } from './resume.js';

// One run's part in its thread's session, for run.ts and agent-run.ts: find the previous session before
// the prompt is built, install it before Claude Code starts, note the new session id from the stream,
// copy the transcript out once the agent is stopped, and write the artifact after delivery.

export class ThreadSession {
  previous: PreviousSession = { kind: 'none' };
  private sessionId: string | null = null;
  private captured: CapturedSession | null = null;
  private readonly thread: string | null;
  private readonly internal: boolean;

  constructor(
    private readonly input: { gitlab: RunnerGitLab; context: FlowContextV1; data: ThreadData; env: NodeJS.ProcessEnv; projectDir: string; now: () => Date; log: (message: string) => void },
  ) {
    this.thread = sessionThreadKey(input.context);
    this.internal = input.data.triggerNotes.some((note) => note.internal === true);
  }

  /** Looks for the thread's previous session; returns the note's line when it cannot be used. */
  async find(): Promise<string | null> {
    const { gitlab, context, data, log } = this.input;
    this.previous = await findPreviousSession({ gitlab, projectId: context.project.id, thread: this.thread, discussionNotes: data.discussionNotes, trackingNoteId: context.tracking_note_id, internal: this.internal, log });
    return sessionNotice(this.previous);
  }

  /** When resuming: the creation time of the previous tracking note (the prompt shows what came after). */
  get since(): string | null {
    return this.previous.kind === 'resume' ? this.previous.since : null;
  }

  get resumeId(): string | null {
    return this.previous.kind === 'resume' ? this.previous.sessionId : null;
  }

  async install(layout: AgentWorkspace, identity: AgentIdentity): Promise<void> {
    if (this.previous.kind === 'resume') await installSession(agentConfigDir(layout.home), layout.workspace, identity, this.previous);
  }

  /** Claude Code refused the session before any turn (it found no conversation in the transcript). */
  couldNotResume(outcome: ClaudeProcessOutcome): boolean {
    const result = outcome.result;
    return this.previous.kind === 'resume' && result !== null && result.isError && result.numTurns === 0 && result.subtype === 'error_during_execution';
  }

  /** Gives the previous session up for this run; returns the note's line. */
  startFresh(reason: string): string | null {
    this.input.log(`session: starting fresh (${reason})`);
    this.previous = { kind: 'fresh', reason };
    this.sessionId = null;
    return sessionNotice(this.previous);
  }

  onInit(sessionId: string): void {
    this.sessionId ??= sessionId;
  }

  /** After the agent's processes are killed, before its home is removed. */
  async capture(layout: AgentWorkspace, identity: AgentIdentity): Promise<void> {
    this.captured = await captureSession(agentConfigDir(layout.home), identity, this.sessionId, this.input.log);
  }

  /** After delivery (the checkout's `git add --all` must never see it): the artifact and its marker. */
  async keep(): Promise<KeptSession | null> {
    const { env, projectDir, now, log } = this.input;
    const jobId = /^\d{1,15}$/.test(env.CI_JOB_ID ?? '') ? Number(env.CI_JOB_ID) : null;
    if (!this.captured || !this.thread || jobId === null) return null;
    try {
      const kept = await writeSessionArtifact({ projectDir, captured: this.captured, thread: this.thread, internal: this.internal, jobId, now: now() });
      log(`session ${this.captured.sessionId} kept as job ${jobId}'s artifact (${this.captured.transcript.length} bytes)`);
      return kept;
    } catch (error) {
      log(`session not kept: ${messageOf(error)}`);
      return null;
    }
  }
}
