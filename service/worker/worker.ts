import { randomUUID } from 'node:crypto';
import type { Clock } from '../clock.js';
import type { Config } from '../config.js';
import type { FlowRequest, PipelineEvent } from '../domain.js';
import { FINISHED_PIPELINE_STATUSES } from '../domain.js';
import type { GitLabApi, GitLabUser } from '../gitlab/api.js';
import { GitLabApiError, isTransient } from '../gitlab/errors.js';
import type { Logger } from '../log.js';
import type { Delivery, HandlerOutcome, WorkHandler } from '../queue/types.js';
import type { CoordinationStore, PendingMention, RunRecord, SlotResult } from '../store/types.js';
import { TERMINAL_RUN_STATES } from '../store/types.js';
import { describeWork } from '../queue/describe-work.js';
import { closeOutEndedPipeline } from './close-out.js';
import { pipelineVariables } from '../flow-variables.js';
import { backoffMs, chooseRef, decideAuthor, runRequest, withoutBodies, type AuthorDecision } from './decisions.js';
import { returnDailyRun, takeDailyRun } from './daily-budget.js';
import {
  accessRefusedNote,
  budgetNote,
  dailyBudgetNote,
  queuedNote,
  stalledNote,
  startingNote,
  triggeredNote,
  triggerFailedNote,
} from './messages.js';
import { findRunPipeline, findTrackingNote } from './reconcile.js';
import { RunLocks, type RunLockHold } from './run-lock.js';
import { projectRefusal, SHARED_SECRET } from '../project-access.js';
import { readThreadFacts } from './thread-facts.js';
import { verifyMention } from './verify-mentions.js';

// From a queued request to a pipeline (docs/architecture.md). Every step is resumable: the run's state lives in
// the coordination store, so any instance, on any redelivery, continues where the last attempt stopped,
// and the store's atomic operations decide the races (who coalesces, who triggers, who gets a slot).

export type WorkerConfig = Pick<
  Config,
  'gitlabUrl' | 'triggerToken' | 'debounceMs' | 'maxConcurrentPipelines' | 'minAccessLevel' | 'threadRunBudget' | 'threadRunWindowMs' | 'slotLeaseMs'
  | 'triggerPhrase' | 'allowConfidential' | 'allowedProjects' | 'scopedWebhookSecrets' | 'authorRunsPerDay' | 'projectRunsPerDay'
>;

export interface WorkerDeps {
  store: CoordinationStore;
  gitlab: GitLabApi;
  config: WorkerConfig;
  logger: Logger;
  clock: Clock;
  /** Aborts when the process is shutting down: waits end early and hand their message back. */
  shutdown: AbortSignal;
  instanceId?: string;
  newRunId?: () => string;
  /** How long a handler waiting for a project slot keeps its message before handing it back. */
  slotWaitHoldMs?: number;
  /** A run lock not renewed for this long is presumed to belong to a crashed instance (its holder renews it every third of this). */
  runLockStaleMs?: number;
}

class StopRequested extends Error {}

/**
 * A stalled run is given up once the sweep has resumed it more than this often and it is older than
 * MIN_STALLED_AGE_MS: a GitLab outage of a while should delay an answer, not lose it.
 */
export const MAX_STALLED_RESUMES = 3;
const MIN_STALLED_AGE_MS = 3600_000;

/** How long a thread remembers that an author below MIN_ACCESS_LEVEL was told who may ask. */
const ACCESS_REFUSAL_MEMORY_MS = 90 * 24 * 3600_000;

/** Longer than any pipeline's slot lease, so a late attempt still finds the mark. */
const FINISHED_MARK_TTL_MS = 7 * 24 * 3600_000;

/** Set by a pipeline's Pipeline Hook (finished), read by the attempt that attaches the pipeline to its slot. */
function pipelineFinishedKey(projectId: number, pipelineId: number): string {
  return `pipeline-finished:${projectId}:${pipelineId}`;
}

export function createWorker(deps: WorkerDeps): WorkHandler {
  const worker = new Worker(deps);
  return (delivery) => worker.handle(delivery);
}

class Worker {
  private readonly instanceId: string;
  private readonly newRunId: () => string;
  private readonly slotWaitHoldMs: number;
  private readonly runLocks: RunLocks;
  private self: Promise<GitLabUser> | null = null;

  constructor(private readonly deps: WorkerDeps) {
    this.instanceId = deps.instanceId ?? randomUUID();
    this.newRunId = deps.newRunId ?? (() => randomUUID());
    this.slotWaitHoldMs = deps.slotWaitHoldMs ?? 240_000;
    this.runLocks = new RunLocks({
      store: deps.store,
      clock: deps.clock,
      shutdown: deps.shutdown,
      logger: deps.logger,
      instanceId: this.instanceId,
      staleMs: deps.runLockStaleMs ?? 20_000,
    });
  }

  async handle(delivery: Delivery): Promise<HandlerOutcome> {
    const log = this.deps.logger.child({ messageId: delivery.messageId, deliveryAttempt: delivery.deliveryAttempt, ...describeWork(delivery.work) });
    const outcome = await this.handleOnce(delivery, log);
    // A redelivery often finds its work done by another attempt and says nothing else: this line is
    // how the log shows that a message handed back or retried was delivered again and where it ended.
    if (delivery.deliveryAttempt > 1) log.info({ outcome: outcome.kind }, 'redelivered message handled');
    return outcome;
  }

  private async handleOnce(delivery: Delivery, log: Logger): Promise<HandlerOutcome> {
    try {
      switch (delivery.work.kind) {
        case 'flow':
          return await this.handleMention(delivery.work.request, delivery.work.seq, delivery, log);
        case 'pipeline':
          return await this.handlePipelineEvent(delivery.work.event, log);
        case 'wake':
          await this.resumeRunsHoldingSlots(delivery.work.projectId, log);
          await this.drainProject(delivery.work.projectId, log);
          return { kind: 'ack' };
        case 'run':
          return await this.resumeStalledRun(delivery.work.runId, delivery, log);
      }
    } catch (error) {
      if (error instanceof StopRequested) {
        log.info('shutting down: message handed back for redelivery');
        return { kind: 'hand-back', reason: 'shutting down' };
      }
      const retryAfterMs = error instanceof GitLabApiError ? error.retryAfterMs : null;
      const reason = error instanceof Error ? error.message : String(error);
      if (!isTransient(error)) {
        log.error({ err: error }, 'permanent failure outside a run step; acknowledged');
        return { kind: 'ack' };
      }
      log.warn({ err: error, retryAfterMs }, 'transient failure; will retry');
      return { kind: 'retry', reason, delayMs: retryAfterMs ?? backoffMs(delivery.deliveryAttempt) };
    }
  }

  // ── Debounce and coalescing ────────────────────────────────────────────────────────────────────

  private async handleMention(request: FlowRequest, recordedSeq: number | undefined, delivery: Delivery, log: Logger): Promise<HandlerOutcome> {
    const { store, clock, config } = this.deps;
    // The window counts from when ingest accepted the mention, so time spent in the queue does not
    // stretch it (and a late delivery claims at once instead of waiting a whole window again).
    const acceptedAt = Math.min(clock.now(), Date.parse(request.receivedAt) || clock.now());
    // Ingest normally recorded the mention already (its seq travels with it); the claim below finds a
    // note that a run took meanwhile, and the thread's latest quiet time, in the store either way.
    const recorded =
      recordedSeq !== undefined
        ? { status: 'pending' as const, seq: recordedSeq, quietUntil: acceptedAt + config.debounceMs }
        : await store.recordMention({ noteId: request.note.id, request }, acceptedAt, config.debounceMs);
    if (recorded.status === 'claimed') return this.resumeRun(recorded.runId, delivery, log);
    let quietUntil = recorded.quietUntil;
    // The one sign, while a comment waits out its window, that an instance holds its message.
    if (quietUntil > clock.now()) log.info({ quietUntil: new Date(quietUntil).toISOString() }, 'waiting for the thread to be quiet');
    for (;;) {
      await this.sleepUntil(quietUntil);
      const claim = await store.claimThread(request.threadKey, recorded.seq, request.note.id, this.newRunId(), clock.now(), config.threadRunWindowMs);
      switch (claim.status) {
        case 'superseded':
          log.info('coalesced into a later mention in the same thread');
          return { kind: 'ack' };
        case 'wait':
          quietUntil = claim.quietUntil;
          continue;
        case 'claimed-by':
          return this.resumeRun(claim.runId, delivery, log);
        case 'claimed':
          log.info({ runId: claim.run.runId, notes: claim.run.mentions.map((m) => m.noteId) }, 'thread quiet: run claimed');
          if (claim.leftOut.length > 0) log.error({ runId: claim.run.runId, leftOut: claim.leftOut }, 'notes another run took were in this window again: left out of this run');
          if (claim.recentRunCount >= config.threadRunBudget) return this.refuseOverBudget(claim.run, log);
          return this.resumeRun(claim.run.runId, delivery, log);
      }
    }
  }

  private async refuseOverBudget(run: RunRecord, log: Logger): Promise<HandlerOutcome> {
    const { store, clock, gitlab, config } = this.deps;
    await store.updateRun(run.runId, { state: 'skipped', error: 'thread run budget reached' }, clock.now(), ['claimed']);
    log.warn({ runId: run.runId, budget: config.threadRunBudget }, 'thread run budget reached: no pipeline');
    const request = runRequest(run);
    await this.bestEffort(log, 'post budget note', () =>
      gitlab.replyInThread(request.project.id, request.noteable, request.note.discussionId, budgetNote(run.runId, config.threadRunBudget), {
        internal: request.note.internal,
      }),
    );
    return { kind: 'ack' };
  }

  /**
   * The sweep found this run unfinished and untouched for long: its messages are gone (dead-lettered after
   * their last attempt, or lost). Carry it on, a few times; then give up, loudly in the log, and in the
   * thread only when the run was announced (before that, its authors may not have been authorised).
   */
  private async resumeStalledRun(runId: string, delivery: Delivery, log: Logger): Promise<HandlerOutcome> {
    const { store, clock, gitlab } = this.deps;
    const run = await store.getRun(runId);
    if (!run || TERMINAL_RUN_STATES.has(run.state)) return { kind: 'ack' };
    // A live attempt holds (and renews) the run's lock: the run is slow, not stalled, and that attempt carries it on.
    if ((await this.runLocks.brief(runId, async () => undefined)) === 'busy') return { kind: 'ack' };
    const resumes = run.stalledResumes ?? 0;
    if (resumes > MAX_STALLED_RESUMES && clock.now() - run.createdAt > MIN_STALLED_AGE_MS) {
      if (await store.updateRun(runId, { state: 'failed', error: `stalled: gave up after ${MAX_STALLED_RESUMES} resumptions` }, clock.now(), [run.state])) {
        await store.releaseSlot(run.projectId, { runId });
        log.error({ runId, state: run.state }, 'run stalled and was resumed too often: given up');
        // An announced run was authorised and has a tracking note: close it, so no spinner stays behind.
        if (run.trackingNoteId && run.trackingDiscussionId) {
          const { trackingNoteId, trackingDiscussionId } = run;
          const request = runRequest(run);
          await this.bestEffort(log, 'close the tracking note of a stalled run', () =>
            gitlab.editThreadNote(request.project.id, request.noteable, trackingDiscussionId, trackingNoteId, stalledNote(runId)),
          );
        }
        await this.drainProject(run.projectId, log);
      }
      return { kind: 'ack' };
    }
    log.warn({ runId, state: run.state, resumes }, 'resuming a stalled run');
    return this.resumeRun(runId, delivery, log);
  }

  // ── A run, from claimed to triggered ───────────────────────────────────────────────────────────

  private async resumeRun(runId: string, delivery: Delivery, log: Logger, slotWaitHoldMs = this.slotWaitHoldMs): Promise<HandlerOutcome> {
    try {
      return await this.resumeRunOnce(runId, delivery, log, slotWaitHoldMs);
    } catch (error) {
      // Somebody is still trying: touch the run, so the stalled-work sweep leaves it to these retries
      // (it looks for runs nobody has touched for long).
      if (isTransient(error)) await this.deps.store.updateRun(runId, {}, this.deps.clock.now()).catch(() => undefined);
      throw error;
    }
  }

  private async resumeRunOnce(runId: string, delivery: Delivery, log: Logger, slotWaitHoldMs: number): Promise<HandlerOutcome> {
    const { store, clock, config } = this.deps;
    const runLog = log.child({ runId });
    const run = await store.getRun(runId);
    if (!run) {
      runLog.error('a note points to a run the store does not have');
      return { kind: 'ack' };
    }
    if (TERMINAL_RUN_STATES.has(run.state)) return { kind: 'ack' };
    // The common case in one hold of the run's lock: announce, take a free slot, trigger (each lock
    // round trip is a store transaction, and this path is the latency a user waits for).
    const first = await this.withRunLock(runId, async (hold): Promise<RunRecord | null> => {
      const { run: current, slot: askedSlot } = await this.announce(runId, runLog, hold);
      if (!current) return null;
      const slot = await (askedSlot ?? store.acquireSlot(current.projectId, runId, current.threadKey, config.maxConcurrentPipelines, clock.now(), config.slotLeaseMs));
      if (!slot.granted) return current;
      await this.trigger(current, runLog, hold);
      return null;
    });
    if ('busy' in first) return first.busy;
    const announced = first.value;
    if (!announced) return { kind: 'ack' };
    // The project is at its limit: hold the message a while for a slot, then trigger.
    if (!(await this.waitForSlot(announced, runLog, slotWaitHoldMs))) {
      return { kind: 'retry', reason: 'waiting for a project slot', delayMs: 1000 };
    }
    const triggered = await this.withRunLock(runId, async (hold) => {
      const current = await store.getRun(runId);
      if (current && !TERMINAL_RUN_STATES.has(current.state)) await this.trigger(current, runLog, hold);
    });
    return 'busy' in triggered ? triggered.busy : { kind: 'ack' };
  }

  /**
   * Authorise the authors, react with 👀 and post the tracking note: the run becomes visible. Returns the
   * run as it now stands (announced, or already past that), or null when it ended here or before; and,
   * when it announced the run, its request for a project slot, made while GitLab answered.
   */
  private async announce(runId: string, log: Logger, hold: RunLockHold): Promise<{ run: RunRecord | null; slot?: Promise<SlotResult> }> {
    const { store, clock, config } = this.deps;
    const run = await store.getRun(runId);
    if (!run || TERMINAL_RUN_STATES.has(run.state)) return { run: null };
    if (run.state !== 'claimed') return { run };
    // Claimed, under our lock: no pipeline can hold a slot for it yet, so the slot may be asked for now
    // (the store and GitLab answer in parallel) and given back if the run ends here.
    const slot = store.acquireSlot(run.projectId, runId, run.threadKey, config.maxConcurrentPipelines, clock.now(), config.slotLeaseMs);
    slot.catch(() => undefined);
    const giveBackSlot = async () => {
      await slot.catch(() => undefined);
      await store.releaseSlot(run.projectId, { runId });
    };
    const announced = await this.announceClaimed(run, log, hold).catch(async (error: unknown) => {
      // Not announced (GitLab failing, say): a slot held through the retries would block the project.
      await giveBackSlot().catch(() => undefined);
      throw error;
    });
    if (!announced) {
      await giveBackSlot();
      return { run: null };
    }
    return { run: announced, slot };
  }

  private async announceClaimed(run: RunRecord, log: Logger, hold: RunLockHold): Promise<RunRecord | null> {
    const { store, clock, gitlab } = this.deps;
    const runId = run.runId;
    const verified = await this.confirmedMentions(run, log);
    if (verified.length === 0) {
      await store.updateRun(runId, { state: 'skipped', error: 'GitLab does not confirm the mentions' }, clock.now(), ['claimed']);
      log.warn('GitLab does not confirm any mention of this run: nothing runs, nothing is posted');
      return null;
    }
    const request = runRequest({ ...run, mentions: verified });
    const { allowed, belowAccessLevel } = await this.authorisedMentions({ ...run, mentions: verified }, log);
    await this.tellBelowAccessLevel(run, belowAccessLevel, log);
    if (allowed.length === 0) {
      await store.updateRun(runId, { state: 'skipped', error: 'no authorised author' }, clock.now(), ['claimed']);
      log.warn('no mention in this run comes from an authorised author: nothing runs');
      return null;
    }
    const last = allowed.at(-1) as PendingMention;
    const overBudget = await this.dailyBudgetRefusal(run, last.request);
    if (overBudget) {
      await store.updateRun(runId, { state: 'skipped', error: 'daily run budget reached' }, clock.now(), ['claimed']);
      log.warn({ authorId: last.request.author.id }, 'daily run budget reached: no pipeline');
      const { project, noteable, note } = last.request;
      await this.bestEffort(log, 'post daily budget note', () =>
        gitlab.replyInThread(project.id, noteable, note.discussionId, overBudget, { internal: note.internal }),
      );
      return null;
    }
    // The reactions go out while the tracking note is posted: nothing depends on them.
    const awards = Promise.all(
      allowed.map((mention) => this.bestEffort(log, 'award 👀', () => gitlab.awardEmojiOnNote(request.project.id, request.noteable, mention.noteId, 'eyes'))),
    );
    let tracking: { noteId: number; discussionId: string | null } | null;
    try {
      // An attempt before this one may have posted it and died (or failed) before recording it.
      tracking = hold.takenOver || run.announceStartedAt != null ? await findTrackingNote(gitlab, runId, last.request) : null;
      if (!tracking) {
        await hold.confirm();
        try {
          // Internal when the trigger note is (only then may it run, with ALLOW_CONFIDENTIAL=true).
          const internal = { internal: last.request.note.internal };
          const note = await gitlab.replyInThread(request.project.id, request.noteable, last.request.note.discussionId, startingNote(runId), internal);
          tracking = { noteId: note.id, discussionId: note.discussionId };
        } catch (error) {
          if (isTransient(error)) throw error;
          // Nowhere to say it: the bot cannot comment here (404/403). Stop, loudly, in the log.
          await store.updateRun(runId, { state: 'failed', error: `cannot post in the thread: ${(error as Error).message}` }, clock.now(), ['claimed']);
          log.error({ err: error }, 'cannot post the tracking note; check that the bot user is a project member who may comment');
          return null;
        }
      }
    } finally {
      await awards;
    }
    const patch = { state: 'announced' as const, mentions: allowed, trackingNoteId: tracking.noteId, trackingDiscussionId: tracking.discussionId };
    const now = clock.now();
    if (!(await store.updateRun(runId, patch, now, ['claimed']))) {
      const current = await store.getRun(runId);
      return current && !TERMINAL_RUN_STATES.has(current.state) ? current : null;
    }
    log.info({ trackingNoteId: tracking.noteId, notes: allowed.map((m) => m.noteId) }, 'run announced in the thread');
    return { ...run, ...patch, updatedAt: now };
  }

  /**
   * The run's mentions as GitLab's API has them (thread-facts.ts, verify-mentions.ts), in a project the
   * service serves; the rest are dropped, in the log only (a forged payload gets no answer).
   */
  private async confirmedMentions(run: RunRecord, log: Logger): Promise<PendingMention[]> {
    const { gitlab, config } = this.deps;
    const read = await readThreadFacts(gitlab, runRequest(run), run.mentions.map((mention) => mention.noteId));
    if (!read.found) {
      log.warn({ reason: read.reason }, 'mentions dropped: GitLab does not confirm their thread');
      return [];
    }
    const { project } = read.facts;
    const options = { triggerPhrase: config.triggerPhrase, allowConfidential: config.allowConfidential, claimedAt: run.createdAt };
    const confirmed: PendingMention[] = [];
    for (const mention of run.mentions) {
      const identity = { id: project.id, path: project.path_with_namespace };
      const refused = projectRefusal(identity, mention.request.webhookSecret ?? SHARED_SECRET, config);
      const verdict = refused ? { ok: false as const, noteId: mention.noteId, reason: refused } : verifyMention(mention, read.facts, options);
      if (verdict.ok) confirmed.push(verdict.mention);
      else log.warn({ noteId: verdict.noteId, reason: verdict.reason }, 'mention dropped: GitLab does not confirm what the webhook said');
    }
    return confirmed;
  }

  /** The mentions whose authors may run Claude, and, per author below MIN_ACCESS_LEVEL, their last mention. */
  private async authorisedMentions(run: RunRecord, log: Logger): Promise<{ allowed: PendingMention[]; belowAccessLevel: PendingMention[] }> {
    const { gitlab, config } = this.deps;
    const self = await this.selfUser();
    const decisions = new Map<number, AuthorDecision>();
    for (const mention of run.mentions) {
      const authorId = mention.request.author.id;
      if (!decisions.has(authorId)) {
        const [user, member] = await Promise.all([
          authorId === self.id ? null : gitlab.user(authorId).catch(nullOn404),
          authorId === self.id ? null : gitlab.member(run.projectId, authorId),
        ]);
        const decision = decideAuthor({ authorId, self, user, member, minAccessLevel: config.minAccessLevel });
        if (!decision.allowed) log.warn({ authorId, author: mention.request.author.username, reason: decision.reason }, 'mention not authorised');
        decisions.set(authorId, decision);
      }
    }
    const decisionOf = (mention: PendingMention) => decisions.get(mention.request.author.id) as AuthorDecision;
    const lastByLowAuthor = new Map<number, PendingMention>();
    for (const mention of run.mentions) {
      const decision = decisionOf(mention);
      if (!decision.allowed && decision.belowAccessLevel) lastByLowAuthor.set(mention.request.author.id, mention);
    }
    return { allowed: run.mentions.filter((mention) => decisionOf(mention).allowed), belowAccessLevel: [...lastByLowAuthor.values()] };
  }

  /**
   * One short reply per thread and author to members below MIN_ACCESS_LEVEL (silence looks broken).
   * Non-members, blocked users and bots get nothing: they are not told who may ask.
   */
  private async tellBelowAccessLevel(run: RunRecord, mentions: PendingMention[], log: Logger): Promise<void> {
    const { store, clock, gitlab, config } = this.deps;
    for (const mention of mentions) {
      const { request } = mention;
      const key = `access-refused:${run.threadKey}:${request.author.id}`;
      if (!(await store.rememberOnce(key, clock.now(), ACCESS_REFUSAL_MEMORY_MS))) continue;
      const body = accessRefusedNote(request.author.username, config.minAccessLevel);
      try {
        await gitlab.replyInThread(request.project.id, request.noteable, request.note.discussionId, body, { internal: request.note.internal });
        log.info({ authorId: request.author.id }, 'told a member below MIN_ACCESS_LEVEL who may ask');
      } catch (error) {
        // Not said: let a retry (or the next mention) say it.
        await store.forget(key).catch(() => undefined);
        if (isTransient(error)) throw error;
        log.warn({ err: error }, 'could not tell a member below MIN_ACCESS_LEVEL who may ask');
      }
    }
  }

  /**
   * The run's author's and the project's runs today, counted once per run (a retry of this step does not
   * count again). Null when both had room; otherwise the note that says which is spent and until when.
   */
  private async dailyBudgetRefusal(run: RunRecord, request: FlowRequest): Promise<string | null> {
    const { store, clock, config } = this.deps;
    const now = clock.now();
    if (!(await store.rememberOnce(`daily-run-counted:${run.runId}`, now, 2 * 24 * 3600_000))) return null;
    const author = await takeDailyRun(store, `author:${request.author.id}`, config.authorRunsPerDay, now);
    if (!author.taken) return dailyBudgetNote(run.runId, { author: request.author.username }, config.authorRunsPerDay, author.resetsAt);
    const project = await takeDailyRun(store, `project:${run.projectId}`, config.projectRunsPerDay, now);
    if (project.taken) return null;
    await returnDailyRun(store, author);
    return dailyBudgetNote(run.runId, { project: request.project.path }, config.projectRunsPerDay, project.resetsAt);
  }

  private async waitForSlot(run: RunRecord, log: Logger, holdMs: number): Promise<boolean> {
    const { store, clock, gitlab, config } = this.deps;
    const deadline = clock.now() + holdMs;
    let pollMs = 250;
    for (;;) {
      if (this.deps.shutdown.aborted) throw new StopRequested();
      const slot = await this.requestSlot(run);
      if (slot === 'finished' || (slot !== 'busy' && slot.granted)) return true;
      if (slot !== 'busy' && run.state !== 'waiting' && (await store.updateRun(run.runId, { state: 'waiting' }, clock.now(), ['announced']))) {
        run = { ...run, state: 'waiting' };
        log.info({ position: slot.position }, 'project at its pipeline limit: run queued');
        const request = runRequest(run);
        if (run.trackingNoteId && run.trackingDiscussionId) {
          const { trackingNoteId, trackingDiscussionId } = run;
          await this.bestEffort(log, 'post queued note', () =>
            gitlab.editThreadNote(request.project.id, request.noteable, trackingDiscussionId, trackingNoteId, queuedNote(run.runId, slot.position, config.maxConcurrentPipelines)),
          );
        }
      }
      if (clock.now() >= deadline) return false;
      await clock.sleep(Math.min(pollMs, Math.max(0, deadline - clock.now())), this.deps.shutdown);
      pollMs = Math.min(pollMs * 2, 2000);
    }
  }

  /**
   * One slot request, under the run's lock and only while the run is unfinished. Another delivery of the
   * same run may trigger it meanwhile, and its pipeline may end and free the slot (on the Firestore
   * emulator a contended acquire can take seconds): a request after that would put the finished run
   * back in the line, or lease it a slot, for nobody, until the lease expires.
   */
  private async requestSlot(run: RunRecord): Promise<SlotResult | 'finished' | 'busy'> {
    const { store, clock, config } = this.deps;
    return this.runLocks.brief(run.runId, async () => {
      const current = await store.getRun(run.runId);
      if (!current || TERMINAL_RUN_STATES.has(current.state)) return 'finished';
      return store.acquireSlot(run.projectId, run.runId, run.threadKey, config.maxConcurrentPipelines, clock.now(), config.slotLeaseMs);
    });
  }

  /**
   * Holding a slot and the run's lock: start the pipeline, unless an earlier attempt already did (it held
   * the lock before us and died, or failed, before recording the pipeline: `takenOver`).
   */
  private async trigger(run: RunRecord, log: Logger, hold: RunLockHold): Promise<void> {
    const { store, clock, gitlab, config } = this.deps;
    const runId = run.runId;
    if (run.trackingNoteId === null) return;
    const request = runRequest(run);
    const { ref, reason } = chooseRef(request);
    const variables = pipelineVariables(run.mentions, run.trackingNoteId, config.gitlabUrl, run.trackingDiscussionId ?? null);
    let pipeline = hold.takenOver || run.triggerStartedAt != null ? await findRunPipeline(gitlab, run, ref) : null;
    if (pipeline) log.warn({ pipelineId: pipeline.id }, 'found the pipeline an interrupted attempt started: not triggering again');
    if (!pipeline) {
      // Paused by the operator (pause-gate.ts): the run keeps its state and slot; `resume` queues it again.
      if ((await store.pauseState()).paused) {
        log.info('paused by the operator: the pipeline waits for resume');
        return;
      }
      // Still ours, and for long enough: an attempt that took the lock over while we were stalled may have triggered already.
      await hold.confirm();
      try {
        pipeline = config.triggerToken
          ? await gitlab.triggerPipeline(request.project.id, ref, variables, config.triggerToken)
          : await gitlab.createPipeline(request.project.id, ref, variables);
      } catch (error) {
        if (isTransient(error)) throw error;
        await this.failRun(run, error, ref, log);
        return;
      }
    }
    await store.attachPipeline(run.projectId, runId, pipeline.id);
    // The pipeline may have finished already (it ended at once, or an attempt that died started it long
    // ago), and its Pipeline Hook then found no slot of ours naming it: free the slot here. The hook marks
    // the pipeline before it releases by pipeline, and this reads the mark after attaching, so at least
    // one side sees the other. Checked before the run is marked triggered, so a retry after a crash here
    // checks again.
    const finishedAlready = await store.isRemembered(pipelineFinishedKey(run.projectId, pipeline.id), clock.now());
    if (finishedAlready) await store.releaseSlot(run.projectId, { runId });
    const triggered = { state: 'triggered' as const, pipelineId: pipeline.id, pipelineUrl: pipeline.web_url, ref, mentions: withoutBodies(run.mentions) };
    await store.updateRun(runId, triggered, clock.now(), ['announced', 'waiting']);
    log.info({ pipelineId: pipeline.id, ref, refReason: reason }, 'pipeline triggered');
    if (finishedAlready) {
      log.info({ pipelineId: pipeline.id }, 'pipeline had already finished: slot released');
      await this.drainProject(run.projectId, log);
    }
    const trackingDiscussionId = run.trackingDiscussionId;
    if (trackingDiscussionId) {
      const trackingNoteId = run.trackingNoteId;
      await this.bestEffort(log, 'update tracking note', () =>
        gitlab.editThreadNote(
          request.project.id,
          request.noteable,
          trackingDiscussionId,
          trackingNoteId,
          triggeredNote(runId, pipeline.id, pipeline.web_url, ref, { confidential: request.noteable.confidential }),
        ),
      );
    }
  }

  private async failRun(run: RunRecord, error: unknown, ref: string, log: Logger): Promise<void> {
    const { store, clock, gitlab } = this.deps;
    const message = error instanceof Error ? error.message : String(error);
    await store.updateRun(run.runId, { state: 'failed', error: message, mentions: withoutBodies(run.mentions) }, clock.now(), ['announced', 'waiting']);
    await store.releaseSlot(run.projectId, { runId: run.runId });
    log.error({ err: error, ref }, 'GitLab refused the pipeline: told the thread');
    const request = runRequest(run);
    if (run.trackingNoteId && run.trackingDiscussionId) {
      const { trackingNoteId, trackingDiscussionId } = run;
      await this.bestEffort(log, 'post failure note', () =>
        gitlab.editThreadNote(request.project.id, request.noteable, trackingDiscussionId, trackingNoteId, triggerFailedNote(run.runId, error, ref)),
      );
    }
    await this.drainProject(run.projectId, log);
  }

  // ── Pipeline Hook: free the slot, close out what the runner could not, start whoever waits ──────

  private async handlePipelineEvent(event: PipelineEvent, log: Logger): Promise<HandlerOutcome> {
    if (!FINISHED_PIPELINE_STATUSES.has(event.status)) return { kind: 'ack' };
    const { store, clock } = this.deps;
    // Marked first: an attempt that attaches this pipeline to its slot after the release below reads the
    // mark and frees the slot itself (see trigger()).
    await store.rememberOnce(pipelineFinishedKey(event.projectId, event.pipelineId), clock.now(), FINISHED_MARK_TTL_MS);
    const released = await store.releaseSlot(event.projectId, { pipelineId: event.pipelineId });
    log.info({ releasedRun: released }, 'pipeline finished: slot released');
    await this.drainProject(event.projectId, log);
    // Last, and retried (the whole hook, which is idempotent) when GitLab fails transiently.
    await closeOutEndedPipeline(this.deps.gitlab, store, event, log);
    return { kind: 'ack' };
  }

  /**
   * A run that got its slot and then lost its message before triggering is in no line (it holds a slot)
   * and gets no hook: carry such runs on. Runs that are triggering right now are waited for (their lock)
   * and then found finished.
   */
  private async resumeRunsHoldingSlots(projectId: number, log: Logger): Promise<void> {
    const { store, clock } = this.deps;
    for (const runId of await store.activeRuns(projectId, clock.now())) {
      const run = await store.getRun(runId);
      if (!run || TERMINAL_RUN_STATES.has(run.state)) continue;
      log.warn({ runId, state: run.state }, 'resuming a run that holds a slot but never triggered');
      await this.resumeRun(runId, { messageId: `wake:${projectId}`, work: { kind: 'wake', projectId }, deliveryAttempt: 1 }, log, 0);
    }
  }

  /** Start the runs at the head of a project's line now that a slot may be free. */
  private async drainProject(projectId: number, log: Logger): Promise<void> {
    const waiting = await this.deps.store.waitingRuns(projectId);
    for (const runId of waiting.slice(0, this.deps.config.maxConcurrentPipelines + 1)) {
      const outcome = await this.resumeRun(runId, { messageId: `drain:${projectId}`, work: { kind: 'wake', projectId }, deliveryAttempt: 1 }, log, 0);
      if (outcome.kind === 'retry' && outcome.reason === 'waiting for a project slot') continue;
    }
  }

  // ── Helpers ────────────────────────────────────────────────────────────────────────────────────

  /** A step under the run's lock (RunLocks.with); a lock that stayed busy, or was lost, hands the message back. */
  private async withRunLock<T>(runId: string, step: (hold: RunLockHold) => Promise<T>): Promise<{ busy: HandlerOutcome } | { value: T }> {
    const result = await this.runLocks.with(runId, step);
    if (!('busy' in result)) return result;
    // The wait for a busy lock ends early on shutdown: a hand-back, like the other waits.
    if (this.deps.shutdown.aborted) throw new StopRequested();
    return { busy: { kind: 'retry', reason: 'another attempt is working on this run', delayMs: 2000 } };
  }

  private async sleepUntil(at: number): Promise<void> {
    const waitMs = at - this.deps.clock.now();
    if (waitMs > 0) await this.deps.clock.sleep(waitMs, this.deps.shutdown);
    if (this.deps.shutdown.aborted) throw new StopRequested();
  }

  private selfUser(): Promise<GitLabUser> {
    this.self ??= this.deps.gitlab.currentUser().catch((error) => {
      this.self = null;
      throw error;
    });
    return this.self;
  }

  /** For steps whose failure must not undo the run (a reaction, an interim note): log and go on. */
  private async bestEffort(log: Logger, what: string, action: () => Promise<unknown>): Promise<void> {
    try {
      await action();
    } catch (error) {
      log.warn({ err: error }, `could not ${what}`);
    }
  }
}

function nullOn404(error: unknown): null {
  if (error instanceof GitLabApiError && error.status === 404) return null;
  throw error;
}
