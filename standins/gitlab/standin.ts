import type { Server } from 'node:http';
import { HookSender, type DeliveryOptions, type HookDelivery } from './hooks/deliver.js';
import { updateIssue, updateMergeRequest, type IssuableChange } from './hooks/issuable-hooks.js';
import { sendNoteHook } from './hooks/note-hooks.js';
import { Faults, type FaultSettings, type LatencySettings, type QueuedFault } from './http/faults.js';
import { RateLimiter, type RateLimitSettings } from './http/rate-limit.js';
import { addUpload } from './http/uploads.js';
import { Router, type Services } from './http/router.js';
import { listen, type RecordedRequest } from './http/server.js';
import { DEFAULT_EMOJI_NAMES } from './ops/emoji.js';
import { PipelineLifecycle, type PipelineAutomation, type PipelineListener } from './pipelines/lifecycle.js';
import { GITLAB_COM_VARIABLE_LIMITS, type VariableLimits } from './pipelines/variables.js';
import { registerAwardEmojiRoutes } from './routes/award-emoji.js';
import { registerCiLintRoutes } from './routes/ci-lint.js';
import { registerInstanceRoutes } from './routes/instance.js';
import { registerProjectSettingsRoutes } from './routes/project-settings.js';
import { registerDiscussionRoutes } from './routes/discussions.js';
import { registerDraftNoteRoutes } from './routes/draft-notes.js';
import { registerIssuableRoutes } from './routes/issuables.js';
import { registerNoteRoutes } from './routes/notes.js';
import { registerJobRoutes } from './routes/jobs.js';
import { registerPipelineRoutes } from './routes/pipelines.js';
import { registerProjectRoutes } from './routes/projects.js';
import { registerUserRoutes } from './routes/users.js';
import * as seed from './seed.js';
import { State } from './state.js';
import type { DiffFile, Pipeline, PipelineStatus, UserState } from './types.js';
import {
  awardRecords, discussionRecords, mergeRequestRecords, noteRecords, pipelineRecord,
  type AwardRecord, type DiscussionRecord, type MergeRequestRecord, type NoteRecord, type PipelineRecord,
} from './inspect.js';

// The stand-in as tests see it: start it, seed it, point the code under test at `url`, inspect what
// happened, close it.

export interface StandInOptions {
  host?: string;
  /** 0 (default) picks a free port. */
  port?: number;
  /** Seeds the fault generator and the made-up ids and shas. Default 1. */
  seed?: number;
  /** The clock for created_at/updated_at. Default: real time. */
  now?: () => Date;
  pipelines?: PipelineAutomation;
  hookDelivery?: Partial<DeliveryOptions>;
  variableLimits?: Partial<VariableLimits>;
  /** Extra emoji names the award API accepts. */
  emojiNames?: string[];
  faults?: FaultSettings;
  latency?: LatencySettings;
  /** A real per-user rate limit with 429 + Retry-After; off by default. */
  rateLimit?: RateLimitSettings;
  /** The request log keeps the newest this many calls (load tests). Default 100 000. */
  maxRecordedRequests?: number;
  /** Request bodies over this are 413. Default 20 MiB. */
  maxBodyBytes?: number;
  /** Called when a handler throws something that is not a GitLab error (a bug in the stand-in). */
  onUnexpectedError?: (error: unknown) => void;
}

export class GitLabStandIn {
  private readonly recorded: RecordedRequest[] = [];

  /** @internal use startGitLabStandIn */
  constructor(
    readonly url: string,
    private readonly server: Server,
    private readonly state: State,
    private readonly services: Services,
    private readonly faults: Faults,
    private readonly rateLimiter: RateLimiter,
    private readonly maxRecorded: number,
  ) {}

  /** @internal */
  record(request: RecordedRequest): void {
    this.recorded.push(request);
    if (this.recorded.length > this.maxRecorded) this.recorded.splice(0, this.recorded.length - this.maxRecorded);
  }

  /** The REST API root: `${url}/api/v4`. */
  get apiUrl(): string {
    return `${this.url}/api/v4`;
  }

  // ---- seeding -------------------------------------------------------------------------------------

  addUser(input: seed.NewUser): { id: number; username: string; token: string } {
    return seed.addUser(this.state, input);
  }

  /** Another personal access token for a user (e.g. `scopes: ['read_api']`, or one that expires). */
  addToken(userId: number, input: seed.NewToken = {}): string {
    return seed.addToken(this.state, userId, input);
  }

  revokeToken(token: string): void {
    const record = this.state.tokens.get(token);
    if (!record) throw new Error('stand-in: unknown token');
    record.revoked = true;
  }

  setUserState(userId: number, state: UserState): void {
    this.state.user(userId).state = state;
  }

  addProject(input: seed.NewProject): seed.ProjectInfo {
    return seed.addProject(this.state, input);
  }

  addBranch(projectId: number, name: string, sha?: string): string {
    return seed.addBranch(this.state, projectId, name, sha);
  }

  addCommit(projectId: number, input: { sha?: string; title?: string; message?: string; branch?: string } = {}): string {
    return seed.addCommit(this.state, projectId, input);
  }

  /** Adds or changes a membership. Access levels: 10 Guest, 20 Reporter, 30 Developer, 40 Maintainer, 50 Owner. */
  addMember(projectId: number, userId: number, accessLevel: number): void {
    seed.addMember(this.state, projectId, userId, accessLevel);
  }

  /** A project CI/CD variable every job of the project gets (a secret, say), for `jobVariables`. */
  addCiVariable(projectId: number, key: string, value: string): void {
    this.state.project(projectId).ciVariables.set(key, value);
  }

  removeMember(projectId: number, userId: number): void {
    this.state.project(projectId).members.delete(userId);
  }

  addIssue(projectId: number, input: seed.NewIssue): { id: number; iid: number } {
    return seed.addIssue(this.state, projectId, input);
  }

  addMergeRequest(projectId: number, input: seed.NewMergeRequest): { id: number; iid: number } {
    return seed.addMergeRequest(this.state, projectId, input);
  }

  /**
   * A person (`by`) changes a merge request's reviewers, assignees, labels or title (a `Draft:` prefix
   * removed marks it ready): a Merge Request Hook with `changes`, sent `copies` times (GitLab may send one twice).
   */
  updateMergeRequest(projectId: number, iid: number, change: IssuableChange, input: { by: number; copies?: number }): void {
    const mr = [...this.state.mergeRequests.values()].find((item) => item.projectId === projectId && item.iid === iid);
    if (!mr) throw new Error(`stand-in: no merge request !${iid} in project ${projectId}`);
    updateMergeRequest(this.state, this.services.hooks, mr, change, input.by, input.copies);
  }

  /** A person changes an issue's assignees, labels or title: an Issue Hook with `changes`. */
  updateIssue(projectId: number, iid: number, change: IssuableChange, input: { by: number; copies?: number }): void {
    const issue = [...this.state.issues.values()].find((item) => item.projectId === projectId && item.iid === iid);
    if (!issue) throw new Error(`stand-in: no issue #${iid} in project ${projectId}`);
    updateIssue(this.state, this.services.hooks, issue, change, input.by, input.copies);
  }

  addSnippet(projectId: number, input: { title: string; authorId: number; id?: number }): { id: number } {
    return seed.addSnippet(this.state, projectId, input);
  }

  /** A note: by default a new thread; `individual: true` for a single comment; `discussionId` to reply. */
  addNote(projectId: number, noteable: seed.NoteableSpec, input: seed.NewNote): { id: number; discussionId: string } {
    return seed.addNote(this.state, projectId, noteable, input);
  }

  /** A pipeline trigger token; pipelines it creates run as its owner (default: a new Maintainer). */
  addTriggerToken(projectId: number, input: { ownerId?: number; description?: string; token?: string } = {}): string {
    const project = this.state.project(projectId);
    let ownerId = input.ownerId;
    if (ownerId === undefined) {
      const owner = seed.addUser(this.state, { username: `trigger-owner-${project.id}-${this.state.triggers.size + 1}` });
      seed.addMember(this.state, projectId, owner.id, 40);
      ownerId = owner.id;
    }
    this.state.user(ownerId);
    const token = input.token ?? this.state.newTriggerToken();
    const id = this.state.nextId('trigger');
    this.state.triggers.set(token, { id, token, projectId, ownerId, description: input.description ?? 'stand-in trigger', createdAt: this.state.now() });
    return token;
  }

  /**
   * A project webhook. Pipeline events are on by default; note events (comments, including the ones
   * the code under test writes through the API) are opt-in, and confidential note events follow them.
   */
  registerWebhook(
    projectId: number,
    input: {
      url: string;
      token: string;
      pipelineEvents?: boolean;
      noteEvents?: boolean;
      confidentialNoteEvents?: boolean;
      mergeRequestsEvents?: boolean;
      issuesEvents?: boolean;
      /** On by default, as in GitLab's form and API. */
      enableSslVerification?: boolean;
    },
  ): { id: number } {
    this.state.project(projectId);
    const id = this.state.nextId('webhook');
    const noteEvents = input.noteEvents ?? false;
    this.state.webhooks.push({
      id,
      projectId,
      url: input.url,
      token: input.token,
      pipelineEvents: input.pipelineEvents ?? true,
      noteEvents,
      confidentialNoteEvents: input.confidentialNoteEvents ?? noteEvents,
      mergeRequestsEvents: input.mergeRequestsEvents ?? false,
      issuesEvents: input.issuesEvents ?? false,
      enableSslVerification: input.enableSslVerification ?? true,
    });
    return { id };
  }

  /** The .gitlab-ci.yml of a branch (default: the default branch), for the CI lint API. */
  setCiConfig(projectId: number, yaml: string, input: { branch?: string } = {}): void {
    const project = this.state.project(projectId);
    if (project.bareRepoPath) throw new Error('stand-in: commit .gitlab-ci.yml to the bare repository instead');
    project.ciConfigs.set(input.branch ?? project.defaultBranch, yaml);
  }

  /** What an `include: remote:` of this URL gets; without it the include fails as an unreachable URL would. */
  addRemoteFile(url: string, content: string): void {
    this.state.remoteFiles.set(url, content);
  }

  /** A markdown upload of the project (what a pasted screenshot becomes): its `/uploads/…` URL and markdown. */
  addUpload(projectId: number, filename: string, bytes: Buffer, contentType = 'application/octet-stream'): { url: string; markdown: string } {
    return addUpload(this.state, projectId, filename, bytes, contentType);
  }

  removeWebhook(id: number): void {
    const index = this.state.webhooks.findIndex((hook) => hook.id === id);
    if (index !== -1) this.state.webhooks.splice(index, 1);
  }

  // ---- pipelines -----------------------------------------------------------------------------------

  pipelines(projectId?: number): PipelineRecord[] {
    return [...this.state.pipelines.values()]
      .filter((pipeline) => projectId === undefined || pipeline.projectId === projectId)
      .sort((a, b) => a.id - b.id)
      .map((pipeline) => this.pipelineRecord(pipeline));
  }

  /** Seeding: a note's text as if it had been written so (no edit recorded, no hook sent). */
  rewriteNote(noteId: number, body: string): void {
    const note = this.state.notes.get(noteId);
    if (!note) throw new Error(`stand-in: no note ${noteId}`);
    note.body = body;
  }

  /** A pipeline that already ran, with its jobs and logs (the jobs API serves them). */
  addFinishedPipeline(projectId: number, input: seed.NewFinishedPipeline): { id: number; jobIds: number[] } {
    return seed.addFinishedPipeline(this.state, projectId, input);
  }

  /** A job's artifacts as the runner uploaded them (`artifacts:paths`, `artifacts:access`). */
  setJobArtifacts(jobId: number, files: Record<string, Buffer | string>, access: 'all' | 'developer' | 'none' = 'all'): void {
    const job = this.state.jobs.get(jobId);
    if (!job) throw new Error(`stand-in: no job ${jobId}`);
    job.artifacts = { files: new Map(Object.entries(files).map(([path, bytes]) => [path, Buffer.from(bytes)])), access, expired: false };
  }

  /** The artifacts' `expire_in` ran out: GitLab removed them. */
  expireJobArtifacts(jobId: number): void {
    const artifacts = this.state.jobs.get(jobId)?.artifacts;
    if (artifacts) artifacts.expired = true;
  }

  /** Calls `listener` with each new pipeline, right after it is created. Returns an unsubscribe function. */
  onPipelineCreated(listener: (pipeline: PipelineRecord) => void): () => void {
    const wrapped: PipelineListener = (pipeline) => listener(this.pipelineRecord(pipeline));
    return this.services.lifecycle.onCreated(wrapped);
  }

  /** Marks a pipeline running (sends a Pipeline Hook unless hooks are for finishes only). */
  async startPipeline(projectId: number, pipelineId: number): Promise<HookDelivery[]> {
    return this.services.lifecycle.start(this.findPipeline(projectId, pipelineId));
  }

  /**
   * Finishes a pipeline (`success`, `failed`, `canceled` or `skipped`) and sends the Pipeline Hook.
   * Resolves when every registered hook has answered 2xx or run out of attempts.
   */
  async finishPipeline(projectId: number, pipelineId: number, status: PipelineStatus): Promise<HookDelivery[]> {
    return this.services.lifecycle.finish(this.findPipeline(projectId, pipelineId), status);
  }

  setPipelineAutomation(automation: PipelineAutomation): void {
    this.services.lifecycle.configure(automation);
  }

  /** The most pipelines of the project that were unfinished at the same time, so far. */
  maxConcurrentUnfinishedPipelines(projectId: number): number {
    return this.services.lifecycle.maxConcurrentUnfinished(projectId);
  }

  unfinishedPipelines(projectId: number): number {
    return this.services.lifecycle.unfinishedCount(projectId);
  }

  // ---- inspection ----------------------------------------------------------------------------------

  /** Every API call so far, oldest first. */
  get requests(): RecordedRequest[] {
    return [...this.recorded];
  }

  clearRequests(): void {
    this.recorded.length = 0;
  }

  /** Every webhook delivery so far, with each attempt. */
  get hookDeliveries(): HookDelivery[] {
    return [...this.services.hooks.deliveries];
  }

  /** Resolves when no webhook delivery (or retry) is in flight. */
  whenHooksIdle(): Promise<void> {
    return this.services.hooks.idle();
  }

  configureHookDelivery(options: Partial<DeliveryOptions>): void {
    this.services.hooks.configure(options);
  }

  /** The noteable's notes, oldest first, internal and system notes included. */
  notes(projectId: number, noteable: seed.NoteableSpec): NoteRecord[] {
    return noteRecords(this.state, projectId, noteable);
  }

  /** Discussion ids of the noteable with their note ids, oldest first. */
  discussions(projectId: number, noteable: seed.NoteableSpec): DiscussionRecord[] {
    return discussionRecords(this.state, projectId, noteable);
  }

  /** Awards on a note (with `noteId`) or on the issue/MR/snippet itself. */
  awardEmoji(projectId: number, noteable: seed.NoteableSpec, noteId?: number): AwardRecord[] {
    return awardRecords(this.state, projectId, noteable, noteId);
  }

  mergeRequests(projectId: number): MergeRequestRecord[] {
    return mergeRequestRecords(this.state, projectId);
  }

  /** Sets seeded diffs on a merge request (projects without a repository). */
  setMergeRequestDiffs(projectId: number, iid: number, diffs: DiffFile[]): void {
    const mr = [...this.state.mergeRequests.values()].find((item) => item.projectId === projectId && item.iid === iid);
    if (!mr) throw new Error(`stand-in: no merge request !${iid}`);
    mr.diffs = diffs;
  }

  // ---- faults --------------------------------------------------------------------------------------

  /** Random 429s and 500s on API calls, from the seeded generator. `setFaults({})` turns them off. */
  setFaults(settings: FaultSettings): void {
    this.faults.set(settings);
  }

  /** Fails the next matching API call(s) with this status. */
  queueFault(fault: QueuedFault): void {
    this.faults.queue(fault);
  }

  /** Delays every API call by a seeded random time in [minMs, maxMs]; null turns it off. */
  setLatency(latency: LatencySettings | null): void {
    this.faults.setLatency(latency);
  }

  clearFaults(): void {
    this.faults.clear();
  }

  /** A fixed-window limit per token (or client address), like GitLab's API throttle; null turns it off. */
  setRateLimit(settings: RateLimitSettings | null): void {
    this.rateLimiter.configure(settings);
  }

  // ---- lifecycle -----------------------------------------------------------------------------------

  async close(): Promise<void> {
    this.services.lifecycle.close();
    this.services.hooks.close();
    await this.services.hooks.idle();
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  private findPipeline(projectId: number, pipelineId: number): Pipeline {
    const pipeline = this.state.pipelines.get(pipelineId);
    if (!pipeline || pipeline.projectId !== projectId) throw new Error(`stand-in: no pipeline ${pipelineId} in project ${projectId}`);
    return pipeline;
  }

  private pipelineRecord(pipeline: Pipeline): PipelineRecord {
    return pipelineRecord(this.state, pipeline);
  }
}

export async function startGitLabStandIn(options: StandInOptions = {}): Promise<GitLabStandIn> {
  const seedNumber = options.seed ?? 1;
  const now = options.now ?? (() => new Date());
  const state = new State(now, String(seedNumber));
  const hooks = new HookSender(
    { maxAttempts: 4, backoffMs: 50, timeoutMs: 10_000, ...options.hookDelivery },
    () => state.baseUrl,
    now,
  );
  const lifecycle = new PipelineLifecycle(state, hooks, { hookOn: 'every-transition', ...options.pipelines });
  const services: Services = {
    state,
    lifecycle,
    hooks,
    limits: { ...GITLAB_COM_VARIABLE_LIMITS, ...options.variableLimits },
    emojiNames: new Set([...DEFAULT_EMOJI_NAMES, ...(options.emojiNames ?? [])]),
  };
  state.onNoteChanged = (note, action) => sendNoteHook(state, hooks, note, action);
  const faults = new Faults(seedNumber, now);
  if (options.faults) faults.set(options.faults);
  if (options.latency) faults.setLatency(options.latency);
  const rateLimiter = new RateLimiter();
  rateLimiter.configure(options.rateLimit ?? null);

  const router = new Router();
  registerUserRoutes(router);
  registerProjectRoutes(router);
  registerIssuableRoutes(router);
  registerNoteRoutes(router);
  registerDiscussionRoutes(router);
  registerDraftNoteRoutes(router);
  registerAwardEmojiRoutes(router);
  registerPipelineRoutes(router);
  registerJobRoutes(router);
  registerInstanceRoutes(router);
  registerProjectSettingsRoutes(router);
  registerCiLintRoutes(router);

  let standIn: GitLabStandIn | null = null;
  const onUnexpectedError = options.onUnexpectedError ?? ((error: unknown) => console.error('gitlab stand-in: unexpected error', error));
  const { server, url } = await listen(
    {
      router,
      services,
      faults,
      rateLimiter,
      maxBodyBytes: options.maxBodyBytes ?? 20 * 1024 * 1024,
      record: (request) => standIn?.record(request),
      onUnexpectedError,
    },
    options.host ?? '127.0.0.1',
    options.port ?? 0,
  );
  state.baseUrl = url;
  standIn = new GitLabStandIn(url, server, state, services, faults, rateLimiter, options.maxRecordedRequests ?? 100_000);
  return standIn;
}
