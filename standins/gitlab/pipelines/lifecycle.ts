import type { HookDelivery, HookSender } from '../hooks/deliver.js';
import { pipelineHookPayload } from '../hooks/pipeline-payload.js';
import { findCommit } from '../repo/refs.js';
import type { State } from '../state.js';
import { FINISHED_STATUSES, type Pipeline, type PipelineStatus } from '../types.js';

// What happens to a pipeline after it is created. No jobs run here: a pipeline goes created → pending
// on its own, then running and finished when a test says so (startPipeline / finishPipeline) or after
// the configured delays. Like GitLab, every status change sends a Pipeline Hook (Ci::Pipeline's state
// machine runs PipelineHooksWorker after each transition), unless `hookOn: 'finish'` is set.

export interface PipelineAutomation {
  /** Move new pipelines to `running` this long after they are created. Off when undefined. */
  autoRunAfterMs?: number;
  /** Finish running pipelines this long after they start. Off when undefined. */
  autoFinishAfterMs?: number;
  /** The status auto-finished pipelines end with. Default `success`. */
  autoFinishStatus?: PipelineStatus;
  /** `every-transition` (GitLab's behaviour, the default) or only when a pipeline finishes. */
  hookOn?: 'every-transition' | 'finish';
}

export type PipelineListener = (pipeline: Pipeline) => void;

export class PipelineLifecycle {
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly unfinished = new Map<number, number>();
  private readonly maxUnfinished = new Map<number, number>();
  private readonly listeners = new Set<PipelineListener>();
  private closed = false;

  constructor(
    private readonly state: State,
    private readonly hooks: HookSender,
    private automation: PipelineAutomation,
  ) {}

  configure(automation: PipelineAutomation): void {
    this.automation = { ...this.automation, ...automation };
  }

  onCreated(listener: PipelineListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Called once a pipeline record exists: counts it, tells listeners, and moves it to pending. */
  created(pipeline: Pipeline): void {
    const count = (this.unfinished.get(pipeline.projectId) ?? 0) + 1;
    this.unfinished.set(pipeline.projectId, count);
    this.maxUnfinished.set(pipeline.projectId, Math.max(count, this.maxUnfinished.get(pipeline.projectId) ?? 0));
    for (const listener of this.listeners) listener(pipeline);
    // GitLab processes a new pipeline asynchronously; the API answers while it is still `created`.
    this.later(0, () => {
      if (pipeline.status !== 'created') return;
      void this.transition(pipeline, 'pending');
      const { autoRunAfterMs } = this.automation;
      if (autoRunAfterMs !== undefined) this.later(autoRunAfterMs, () => void this.start(pipeline).catch(() => undefined));
    });
  }

  async start(pipeline: Pipeline): Promise<HookDelivery[]> {
    if (FINISHED_STATUSES.includes(pipeline.status)) throw new Error(`stand-in: pipeline ${pipeline.id} already ${pipeline.status}`);
    if (pipeline.status === 'running') return [];
    const deliveries = this.transition(pipeline, 'running');
    const { autoFinishAfterMs, autoFinishStatus } = this.automation;
    if (autoFinishAfterMs !== undefined) {
      this.later(autoFinishAfterMs, () => {
        if (!FINISHED_STATUSES.includes(pipeline.status)) void this.finish(pipeline, autoFinishStatus ?? 'success');
      });
    }
    return deliveries;
  }

  async finish(pipeline: Pipeline, status: PipelineStatus): Promise<HookDelivery[]> {
    if (!FINISHED_STATUSES.includes(status)) throw new Error(`stand-in: ${status} is not a finished status (${FINISHED_STATUSES.join(', ')})`);
    if (FINISHED_STATUSES.includes(pipeline.status)) throw new Error(`stand-in: pipeline ${pipeline.id} already ${pipeline.status}`);
    return this.transition(pipeline, status);
  }

  maxConcurrentUnfinished(projectId: number): number {
    return this.maxUnfinished.get(projectId) ?? 0;
  }

  unfinishedCount(projectId: number): number {
    return this.unfinished.get(projectId) ?? 0;
  }

  close(): void {
    this.closed = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }

  private transition(pipeline: Pipeline, status: PipelineStatus): Promise<HookDelivery[]> {
    const now = this.state.now();
    const finishing = FINISHED_STATUSES.includes(status);
    pipeline.status = status;
    pipeline.updatedAt = now;
    // A pipeline that passed or failed has run; one canceled or skipped while pending never started.
    if (status === 'running' || status === 'success' || status === 'failed') pipeline.startedAt ??= now;
    if (finishing) {
      pipeline.finishedAt = now;
      this.unfinished.set(pipeline.projectId, Math.max(0, (this.unfinished.get(pipeline.projectId) ?? 1) - 1));
    }
    if (this.automation.hookOn === 'finish' && !finishing) return Promise.resolve([]);
    return this.sendHook(pipeline);
  }

  private sendHook(pipeline: Pipeline): Promise<HookDelivery[]> {
    const hooks = this.state.webhooks.filter((hook) => hook.projectId === pipeline.projectId && hook.pipelineEvents);
    if (hooks.length === 0) return Promise.resolve([]);
    const project = this.state.project(pipeline.projectId);
    // Snapshot now: a hook describes the status it was sent for, even if delivered after the next change.
    // The send is queued synchronously so hooks leave in the order the status changed.
    const snapshot = { ...pipeline, variables: [...pipeline.variables] };
    const payload = findCommit(project, pipeline.sha)
      .catch(() => null)
      .then((commit) => pipelineHookPayload(this.state, project, snapshot, commit));
    return this.hooks.send(hooks, 'Pipeline Hook', payload, `pipeline:${pipeline.id}`);
  }

  private later(ms: number, fn: () => void): void {
    if (this.closed) return;
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      fn();
    }, ms);
    this.timers.add(timer);
  }
}
