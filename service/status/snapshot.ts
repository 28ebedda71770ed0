import type { NoteableRef } from '../domain.js';
import type { CoordinationStore, Incident, PauseState, RunRecord, RunState } from '../store/types.js';
import { TERMINAL_RUN_STATES } from '../store/types.js';

// What the status page shows, read from the coordination store only, so every instance shows the same on
// the embedded store and on Firestore. A view, not the records: ids, titles, names and links, never the
// text of a note. Everything in it was written by someone on GitLab: render.ts escapes all of it.

export interface RunView {
  runId: string;
  state: RunState;
  project: { id: number; path: string; url: string | null };
  thread: { title: string | null; url: string | null; kind: string };
  /** Who asked, in note order, once each. */
  askedBy: string[];
  pipeline: { id: number; url: string | null } | null;
  createdAt: number;
  updatedAt: number;
  /** From claim to now (a run not over), or to its last change of state (for a finished run: the trigger). */
  durationMs: number;
  error: string | null;
  /** What a person calls it: a triggered run is `running` while its pipeline holds a slot, then `finished`. */
  phase: 'starting' | 'waiting' | 'running' | 'finished' | 'failed' | 'skipped';
}

export interface PendingThreadView {
  threadKey: string;
  project: { id: number; path: string };
  thread: { title: string | null; url: string | null; kind: string };
  askedBy: string;
  receivedAt: string;
}

export interface StatusSnapshot {
  at: number;
  pause: PauseState;
  runs: RunView[];
  /** Per project: runs holding a slot and the line waiting for one. */
  projects: Array<{ projectId: number; path: string | null; active: Array<{ runId: string; pipelineId: number | null }>; waiting: RunView[] }>;
  /** Threads whose mentions are recorded and not yet taken into a run (debouncing, or held by a pause). */
  pendingThreads: PendingThreadView[];
  /** Work the stalled-work sweep would queue again (its message was dead-lettered or lost). */
  stalled: { threads: PendingThreadView[]; runs: RunView[] };
  incidents: Incident[];
  /** The last errors the runs recorded. */
  errors: Array<{ runId: string; at: number; error: string }>;
}

export interface SnapshotOptions {
  now: number;
  /** STALLED_WORK_AFTER_MS: work untouched this long counts as stalled. */
  stalledAfterMs: number;
  recentRuns?: number;
}

const FAR_FUTURE_MS = 365 * 24 * 3600_000;

export async function readStatus(store: CoordinationStore, options: SnapshotOptions): Promise<StatusSnapshot> {
  const { now } = options;
  const [pause, recent, slotViews, pending, stalled, incidents] = await Promise.all([
    store.pauseState(),
    store.listRecentRuns(options.recentRuns ?? 50),
    store.listProjectSlots(now),
    store.stalledWork(now + FAR_FUTURE_MS, 100),
    store.stalledWork(now - options.stalledAfterMs, 100),
    store.recentIncidents(20),
  ]);
  const known = new Map(recent.map((run) => [run.runId, run]));
  // Runs in a line may be older than the recent ones: read those too.
  const missing = [...new Set(slotViews.flatMap((view) => view.waiting))].filter((runId) => !known.has(runId));
  for (const run of await Promise.all(missing.map((runId) => store.getRun(runId)))) if (run) known.set(run.runId, run);
  const running = new Set(slotViews.flatMap((slots) => slots.active.map((lease) => lease.runId)));
  const view = (run: RunRecord) => runView(run, now, running.has(run.runId));
  return {
    at: now,
    pause,
    runs: recent.map(view),
    projects: slotViews.map((slots) => {
      const waiting = slots.waiting.map((runId) => known.get(runId)).filter((run): run is RunRecord => run !== undefined);
      const sample = [...waiting, ...slots.active.map((lease) => known.get(lease.runId))].find((run) => run !== undefined);
      return {
        projectId: slots.projectId,
        path: sample ? projectOf(sample).path : null,
        active: slots.active.map(({ runId, pipelineId }) => ({ runId, pipelineId })),
        waiting: waiting.map(view),
      };
    }).filter((project) => project.active.length > 0 || project.waiting.length > 0),
    pendingThreads: pending.threads.map(({ mention }) => pendingView(mention.request)),
    stalled: { threads: stalled.threads.map(({ mention }) => pendingView(mention.request)), runs: stalled.runs.map(view) },
    incidents,
    errors: recent.filter((run) => run.error).map((run) => ({ runId: run.runId, at: run.updatedAt, error: run.error as string })).slice(0, 20),
  };
}

export function runView(run: RunRecord, now: number, holdsSlot = false): RunView {
  const last = run.mentions.at(-1)?.request;
  return {
    runId: run.runId,
    state: run.state,
    project: projectOf(run),
    thread: last ? threadOf(last.noteable, last.note.url) : { title: null, url: null, kind: 'thread' },
    askedBy: [...new Set(run.mentions.map((mention) => mention.request.author.username))],
    pipeline: run.pipelineId !== null ? { id: run.pipelineId, url: run.pipelineUrl } : null,
    createdAt: run.createdAt,
    updatedAt: run.updatedAt,
    // A running pipeline's run is not over; a finished one's last update is when it was triggered (the store does not hear the end).
    durationMs: (TERMINAL_RUN_STATES.has(run.state) && !(run.state === 'triggered' && holdsSlot) ? run.updatedAt : now) - run.createdAt,
    error: run.error,
    phase: phaseOf(run.state, holdsSlot),
  };
}

function phaseOf(state: RunState, holdsSlot: boolean): RunView['phase'] {
  switch (state) {
    case 'claimed':
    case 'announced':
      return 'starting';
    case 'waiting':
      return 'waiting';
    case 'triggered':
      return holdsSlot ? 'running' : 'finished';
    case 'failed':
      return 'failed';
    case 'skipped':
      return 'skipped';
  }
}

function projectOf(run: RunRecord): RunView['project'] {
  const project = run.mentions.at(-1)?.request.project;
  return { id: run.projectId, path: project?.path ?? String(run.projectId), url: project?.webUrl ?? null };
}

function pendingView(request: RunRecord['mentions'][number]['request']): PendingThreadView {
  return {
    threadKey: request.threadKey,
    project: { id: request.project.id, path: request.project.path },
    thread: threadOf(request.noteable, request.note.url),
    askedBy: request.author.username,
    receivedAt: request.receivedAt,
  };
}

function threadOf(noteable: NoteableRef, noteUrl: string | null): RunView['thread'] {
  const kind = { Issue: 'issue', MergeRequest: 'merge request', Commit: 'commit', Snippet: 'snippet' }[noteable.type];
  const ref = noteable.type === 'MergeRequest' ? `!${noteable.iid}` : noteable.type === 'Commit' ? (noteable.commitSha ?? '').slice(0, 8) : `#${noteable.iid}`;
  return { title: noteable.title, url: noteUrl ?? noteable.url, kind: `${kind} ${ref}` };
}
