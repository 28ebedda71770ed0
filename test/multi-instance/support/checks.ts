import { expect } from 'vitest';
import { eventually } from '../../../devtools/eventually.js';
import type { FlowContextV1 } from '../../../service/domain.js';
import type { FirestoreStore } from '../../../service/store/firestore/firestore-store.js';
import type { PipelineRecord } from '../../../standins/gitlab/index.js';
import type { LogLine } from '../../../devtools/service-process.js';
import type { Cluster } from './cluster.js';
import type { DeliveryRecord } from './front-door.js';
import type { ExpectedRun, SentNote } from './workload.js';

// What the multi-instance tests assert, read from the stand-in GitLab's records (pipelines and their
// variables, the concurrency high-water mark), the front door's (which deliveries were acknowledged)
// and, for "drained", the store's documents.

export interface PipelineView {
  id: number;
  projectId: number;
  status: string;
  noteIds: number[];
  input: string;
}

export function pipelineViews(pipelines: PipelineRecord[]): PipelineView[] {
  return pipelines.map((pipeline) => {
    const context = JSON.parse(pipeline.variables.AI_FLOW_CONTEXT ?? '{}') as Partial<FlowContextV1>;
    return { id: pipeline.id, projectId: pipeline.projectId, status: pipeline.status, noteIds: context.trigger_note_ids ?? [], input: pipeline.variables.AI_FLOW_INPUT ?? '' };
  });
}

/**
 * The runs as they happened, keyed like the expectation (`thread/burst` of each pipeline's first note),
 * so `toEqual` shows exactly which burst went wrong and how.
 */
export function runsByBurst(pipelines: PipelineView[], sent: SentNote[]): Record<string, Array<{ noteIds: number[]; input: string }>> {
  const noteById = new Map(sent.map((note) => [note.id, note]));
  const runs: Record<string, Array<{ noteIds: number[]; input: string }>> = {};
  for (const pipeline of pipelines) {
    const first = noteById.get(pipeline.noteIds[0] as number);
    const key = first ? `${first.thread}/${first.burst}` : `unknown notes ${pipeline.noteIds.join(',')}`;
    (runs[key] ??= []).push({ noteIds: pipeline.noteIds, input: pipeline.input });
  }
  return runs;
}

export function expectedByBurst(expected: ExpectedRun[]): Record<string, Array<{ noteIds: number[]; input: string }>> {
  return Object.fromEntries(expected.map((run) => [`${run.thread}/${run.burst}`, [{ noteIds: run.noteIds, input: run.input }]]));
}

/** Note ids that appear in more than one pipeline. */
export function notesTriggeredTwice(pipelines: PipelineView[]): number[] {
  const seen = new Map<number, number>();
  for (const pipeline of pipelines) for (const id of pipeline.noteIds) seen.set(id, (seen.get(id) ?? 0) + 1);
  return [...seen].filter(([, count]) => count > 1).map(([id]) => id);
}

/** Every log line of every process instances A and B ran (a restart is a second process), tagged `A1`, `B2`, ... */
export function serviceLogs(cluster: Cluster): Array<{ from: string; line: LogLine }> {
  return ['A', 'B'].flatMap((name) => cluster.history(name).flatMap((process, i) => process.logs().map((line) => ({ from: `${name}${i + 1}`, line }))));
}

/**
 * No note ran in two pipelines. CI keeps no service logs, so the story of each note that did goes to the
 * output, and so does what the guards against it did (they act and the run passes: this line is the
 * only trace on CI that they were needed).
 */
export function expectNoNoteTwice(cluster: Cluster, pipelines: PipelineView[]): void {
  const logs = serviceLogs(cluster).map(({ line }) => line);
  const locksLost = logs.filter((line) => String(line.message).startsWith('run lock lost')).length;
  const leftOut = logs.flatMap((line) => (Array.isArray(line.leftOut) ? (line.leftOut as number[]) : []));
  console.log(`guards: run locks lost ${locksLost}; notes left out of a second run ${leftOut.length}${leftOut.length ? ` (${leftOut.join(', ')})` : ''}`);
  const twice = explainNotesTriggeredTwice(cluster, pipelines);
  if (twice.length > 0) console.error(twice.join('\n\n'));
  expect(twice.map((story) => story.split('\n')[0])).toEqual([]);
}

/**
 * For each note in more than one pipeline: those pipelines (notes, tracking note, creation time) and the
 * services' log lines about the note or its runs, so a failure on CI (where the logs are not kept) says
 * what happened. Empty when no note ran twice.
 */
export function explainNotesTriggeredTwice(cluster: Cluster, pipelines: PipelineView[]): string[] {
  const twice = notesTriggeredTwice(pipelines);
  if (twice.length === 0) return [];
  const records = new Map(cluster.gitlab.pipelines().map((pipeline) => [pipeline.id, pipeline]));
  const logs = serviceLogs(cluster);
  return twice.map((noteId) => {
    const holding = pipelines.filter((pipeline) => pipeline.noteIds.includes(noteId));
    const runIds = new Set(
      logs.filter(({ line }) => Array.isArray(line.notes) && (line.notes as number[]).includes(noteId)).map(({ line }) => String(line.runId)),
    );
    const about = logs
      .filter(({ line }) => line.noteId === noteId || runIds.has(String(line.runId)) || (Array.isArray(line.leftOut) && (line.leftOut as number[]).includes(noteId)))
      .sort((a, b) => String(a.line.time).localeCompare(String(b.line.time)))
      .slice(0, 60)
      .map(({ from, line }) => `  ${String(line.time).slice(11, 23)} ${from} ${line.message} ${JSON.stringify({ runId: line.runId, messageId: line.messageId, attempt: line.deliveryAttempt, pipelineId: line.pipelineId, err: line.err, found: line.found })}`);
    const described = holding.map((pipeline) => {
      const record = records.get(pipeline.id);
      const context = JSON.parse(record?.variables.AI_FLOW_CONTEXT ?? '{}') as { tracking_note_id?: number };
      return `pipeline ${pipeline.id} notes [${pipeline.noteIds}] tracking note ${context.tracking_note_id} created ${record?.createdAt instanceof Date ? record.createdAt.toISOString() : String(record?.createdAt)}`;
    });
    return [`note ${noteId} ran in ${holding.length} pipelines:`, ...described.map((line) => `  ${line}`), 'log:', ...about].join('\n');
  });
}

/**
 * Per pipeline: its notes are sent, authorised, of one thread, in note order, and its input is their
 * bodies in that order. Returns a description of each pipeline that breaks one of these.
 */
export function malformedPipelines(pipelines: PipelineView[], sent: SentNote[]): string[] {
  const noteById = new Map(sent.map((note) => [note.id, note]));
  const problems: string[] = [];
  for (const pipeline of pipelines) {
    const notes = pipeline.noteIds.map((id) => noteById.get(id));
    if (notes.length === 0 || notes.some((note) => !note)) problems.push(`pipeline ${pipeline.id}: notes ${pipeline.noteIds} not all sent by the test`);
    else if (notes.some((note) => !note?.authorised)) problems.push(`pipeline ${pipeline.id}: an unauthorised note ran`);
    else if (new Set(notes.map((note) => note?.thread)).size !== 1) problems.push(`pipeline ${pipeline.id}: notes from several threads`);
    else if (pipeline.noteIds.some((id, i) => i > 0 && id <= (pipeline.noteIds[i - 1] as number))) problems.push(`pipeline ${pipeline.id}: notes out of order ${pipeline.noteIds}`);
    else if (pipeline.input !== notes.map((note) => note?.body).join('\n\n')) problems.push(`pipeline ${pipeline.id}: input is not the notes' bodies in order`);
  }
  return problems;
}

/** Note ids whose Note Hook some instance answered with 2xx (GitLab saw it acknowledged). */
export function acknowledgedNoteIds(records: DeliveryRecord[]): Set<number> {
  return new Set(records.filter((record) => record.noteId !== null && record.status >= 200 && record.status < 300).map((record) => record.noteId as number));
}

export interface Leftovers {
  /** Runs not in a terminal state (claimed, announced, waiting), with their notes. */
  openRuns: Array<{ runId: string; state: string; noteIds: number[] }>;
  /** Threads still holding mentions that wait for quiet. */
  pendingThreads: string[];
  /** Projects with a leased slot or a waiting line. */
  busyProjects: Array<{ projectId: string; leases: string[]; waiting: string[] }>;
}

/** What the store still holds that is not finished work. */
export async function leftovers(store: FirestoreStore, prefix: string): Promise<Leftovers> {
  const [runs, threads, slots] = await Promise.all(['runs', 'threads', 'slots'].map((name) => store.db.collection(`${prefix}${name}`).get()));
  return {
    openRuns: (runs?.docs ?? [])
      .map((doc) => {
        const record = JSON.parse(String(doc.get('record'))) as { runId: string; state: string; mentions: Array<{ noteId: number }> };
        return { runId: record.runId, state: record.state, noteIds: record.mentions.map((mention) => mention.noteId) };
      })
      .filter((run) => !['triggered', 'failed', 'skipped'].includes(run.state)),
    pendingThreads: (threads?.docs ?? []).filter((doc) => Object.keys((doc.get('pending') as object | undefined) ?? {}).length > 0).map((doc) => doc.id),
    busyProjects: (slots?.docs ?? [])
      .map((doc) => ({ projectId: doc.id, leases: Object.keys((doc.get('leases') as object | undefined) ?? {}), waiting: ((doc.get('waiting') as Array<{ runId: string }> | undefined) ?? []).map((entry) => entry.runId) }))
      .filter((project) => project.leases.length > 0 || project.waiting.length > 0),
  };
}

/** The highest number of unfinished pipelines each project had at once. */
export function concurrencyHighWater(cluster: Cluster): number[] {
  return cluster.projects.map((project) => cluster.gitlab.maxConcurrentUnfinishedPipelines(project.id));
}

/**
 * Waits until every acknowledged authorised note has run and nothing is left unfinished (runs,
 * pending mentions, slots), then checks, from the stand-in's records: every comment was acknowledged
 * in the end; every authorised one ran exactly once, in a well-formed pipeline; the project limit held.
 * `openRunsAllowed` names notes whose run may stay open (a mention that was dead-lettered).
 */
export async function settleAndCheckNothingLost(
  cluster: Cluster,
  sent: SentNote[],
  options: { maxConcurrentPipelines: number; openRunsAllowed?: number[]; timeoutMs?: number },
): Promise<PipelineView[]> {
  const { gitlab, frontDoor } = cluster;
  const allowed = new Set(options.openRunsAllowed ?? []);
  const store = cluster.store();
  let state: unknown;
  const settled = async () => {
    const pipelines = pipelineViews(gitlab.pipelines());
    const inPipelines = new Set(pipelines.flatMap((pipeline) => pipeline.noteIds));
    const acknowledged = acknowledgedNoteIds(frontDoor.records());
    const acknowledgedMissing = sent.filter((note) => note.authorised && acknowledged.has(note.id) && !inPipelines.has(note.id)).map((note) => note.id);
    const left = await leftovers(store, cluster.prefix);
    const unfinished = gitlab.pipelines().filter((pipeline) => pipeline.status !== 'success').length;
    const openRuns = left.openRuns.filter((run) => !run.noteIds.some((id) => allowed.has(id)));
    state = { pipelines: pipelines.length, unfinished, acknowledgedMissing, left: { ...left, openRuns } };
    return acknowledgedMissing.length === 0 && unfinished === 0 && openRuns.length === 0 && left.pendingThreads.length === 0 && left.busyProjects.length === 0;
  };
  await eventually('every acknowledged note to have run, and nothing left unfinished', settled, options.timeoutMs ?? 240_000, 1000).catch((error: Error) => {
    throw new Error(`${error.message}\nstate: ${JSON.stringify(state, null, 1)}`);
  });
  await frontDoor.idle();
  await gitlab.whenHooksIdle();

  const pipelines = pipelineViews(gitlab.pipelines());
  const acknowledged = acknowledgedNoteIds(frontDoor.records());
  const inPipelines = new Set(pipelines.flatMap((pipeline) => pipeline.noteIds));
  // Every comment acknowledged in the end (the stand-in resends what got 503 or 502)...
  expect(sent.filter((note) => !acknowledged.has(note.id)).map((note) => note.id)).toEqual([]);
  // ...and every authorised one ran, exactly once, in a well-formed pipeline.
  expect(sent.filter((note) => note.authorised && !inPipelines.has(note.id)).map((note) => note.id)).toEqual([]);
  expectNoNoteTwice(cluster, pipelines);
  expect(malformedPipelines(pipelines, sent)).toEqual([]);
  for (const highWater of concurrencyHighWater(cluster)) expect(highWater).toBeLessThanOrEqual(options.maxConcurrentPipelines);
  // GitLab never saw anything but an acknowledgement, a 503 (not stored) or a 502 (the instance died).
  expect(frontDoor.records().filter((record) => record.kind === 'primary' && !(record.status < 300 || record.status === 503 || record.status === 502))).toEqual([]);
  return pipelines;
}
