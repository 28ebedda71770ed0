import { eventually, sleep } from '../../../devtools/eventually.js';
import { seededRandom } from '../../../devtools/seeded-random.js';
import type { NoteableSpec } from '../../../standins/gitlab/index.js';
import type { Cluster, Users } from './cluster.js';

// The comments a multi-instance test writes: per project four threads (one on a merge request, two
// discussions on one issue, one on another issue), each getting bursts of `@claude` comments. The notes
// of a burst arrive well inside the debounce window; a thread's next burst starts only once its
// previous run was claimed (its tracking note is in the thread), so every burst is exactly one run.
// Some notes come from a Reporter (the worker refuses them), and some bursts only from her: "eligible"
// bursts are those with at least one authorised note.

export type Author = keyof Omit<Users, 'bot'>;

export interface PlannedThread {
  index: number;
  project: number;
  noteable: 'mr' | 'issue-a' | 'issue-b';
  /** Bursts of notes, each note an author and a body. */
  bursts: Array<Array<{ author: Author; body: string }>>;
}

export interface SentNote {
  id: number;
  thread: number;
  burst: number;
  author: Author;
  body: string;
  authorised: boolean;
  projectId: number;
  discussionId: string;
}

export interface ExpectedRun {
  thread: number;
  burst: number;
  projectId: number;
  noteIds: number[];
  input: string;
}

const AUTHORISED: Record<Author, boolean> = { dana: true, eve: true, rita: false };
const NOTEABLES = ['mr', 'issue-a', 'issue-a', 'issue-b'] as const;

/**
 * `threadsPerProject` threads per project, each with bursts of the given sizes: with 10 projects,
 * 4 threads and bursts [3, 2], 200 comments.
 */
export function planWorkload(projects: number, threadsPerProject: number, burstSizes: number[]): PlannedThread[] {
  const threads: PlannedThread[] = [];
  for (let project = 0; project < projects; project += 1) {
    for (let t = 0; t < threadsPerProject; t += 1) {
      const index = threads.length;
      const bursts = burstSizes.map((size, b) =>
        Array.from({ length: size }, (_, n) => {
          const lastBurst = b === burstSizes.length - 1;
          let author: Author = (project + t + n) % 2 === 0 ? 'dana' : 'eve';
          // A Reporter in the middle of a burst: the run goes ahead without her note.
          if (t % 4 === 1 && b === 0 && n === 1) author = 'rita';
          if (t % 4 === 2 && lastBurst && n === 0 && project % 2 === 1) author = 'rita';
          // A last burst only from her, in every other project: no pipeline at all.
          if (t % 4 === 3 && lastBurst && b > 0 && project % 2 === 0) author = 'rita';
          const tag = `p${project}.t${t}.b${b}.n${n}`;
          const body = n % 2 === 0 ? `@claude ${tag} please fix the flaky test` : `Also, @claude: ${tag} add a regression test`;
          return { author, body };
        }),
      );
      threads.push({ index, project, noteable: NOTEABLES[t % 4] as PlannedThread['noteable'], bursts });
    }
  }
  return threads;
}

export function commentCount(plan: PlannedThread[]): number {
  return plan.reduce((sum, thread) => sum + thread.bursts.reduce((n, burst) => n + burst.length, 0), 0);
}

export interface DriveOptions {
  /** The first bursts start at a random offset in [0, this) ms. */
  startSpreadMs: number;
  /** Between the notes of one burst. */
  noteGapMs: number;
  /** A later burst starts this long (random in [0, this)) after the previous one was claimed. */
  nextBurstSpreadMs: number;
  /** Seeds the offsets. */
  seed?: number;
  /** How long a previous burst may take to be claimed before the test gives up. */
  claimTimeoutMs?: number;
  /** Called when every thread has sent its burst number `burst` (to time faults). */
  onBurstSent?: (thread: number, burst: number) => void;
}

/** Seeds the noteables, then writes the comments (the stand-in sends their Note Hooks). */
export async function driveWorkload(cluster: Cluster, plan: PlannedThread[], options: DriveOptions): Promise<SentNote[]> {
  const { gitlab, users } = cluster;
  const random = seededRandom(options.seed ?? 7);
  const noteables = new Map<string, NoteableSpec>();
  const noteableOf = (thread: PlannedThread): NoteableSpec => {
    const key = `${thread.project}:${thread.noteable}`;
    let spec = noteables.get(key);
    if (!spec) {
      const projectId = (cluster.projects[thread.project] as { id: number }).id;
      if (thread.noteable === 'mr') {
        const mr = gitlab.addMergeRequest(projectId, { sourceBranch: `feature-${thread.project}`, targetBranch: 'main', title: `Feature ${thread.project}`, authorId: users.dana.id });
        spec = { type: 'MergeRequest', iid: mr.iid };
      } else {
        const issue = gitlab.addIssue(projectId, { title: `Issue ${thread.noteable} of ${thread.project}`, authorId: users.dana.id });
        spec = { type: 'Issue', iid: issue.iid };
      }
      noteables.set(key, spec);
    }
    return spec;
  };
  for (const thread of plan) noteableOf(thread);

  const sent: SentNote[] = [];
  const offsets = plan.map(() => Math.floor(random() * options.startSpreadMs));
  const nextOffsets = plan.map(() => plan[0]?.bursts.map(() => Math.floor(random() * options.nextBurstSpreadMs)) ?? []);
  await Promise.all(
    plan.map(async (thread) => {
      const projectId = (cluster.projects[thread.project] as { id: number }).id;
      const spec = noteableOf(thread);
      let discussionId: string | undefined;
      await sleep(offsets[thread.index] ?? 0);
      for (const [b, burst] of thread.bursts.entries()) {
        if (b > 0) {
          await waitForTrackingNotes(cluster, projectId, spec, discussionId as string, b, options.claimTimeoutMs ?? 120_000, `thread ${thread.index} burst ${b - 1} claimed`);
          await sleep(nextOffsets[thread.index]?.[b] ?? 0);
        }
        for (const [n, note] of burst.entries()) {
          if (n > 0) await sleep(options.noteGapMs);
          const created = gitlab.addNote(projectId, spec, { body: note.body, authorId: users[note.author].id, discussionId });
          discussionId = created.discussionId;
          sent.push({ id: created.id, thread: thread.index, burst: b, author: note.author, body: note.body, authorised: AUTHORISED[note.author], projectId, discussionId });
        }
        options.onBurstSent?.(thread.index, b);
      }
    }),
  );
  return sent;
}

/** Each eligible burst's run: its authorised notes in note order, their bodies joined by a blank line. */
export function expectedRuns(sent: SentNote[]): ExpectedRun[] {
  const byBurst = new Map<string, SentNote[]>();
  for (const note of sent) {
    const key = `${note.thread}/${note.burst}`;
    byBurst.set(key, [...(byBurst.get(key) ?? []), note]);
  }
  const runs: ExpectedRun[] = [];
  for (const notes of byBurst.values()) {
    const authorised = notes.filter((note) => note.authorised).sort((a, b) => a.id - b.id);
    const first = notes[0] as SentNote;
    if (authorised.length === 0) continue;
    runs.push({ thread: first.thread, burst: first.burst, projectId: first.projectId, noteIds: authorised.map((note) => note.id), input: authorised.map((note) => note.body).join('\n\n') });
  }
  return runs.sort((a, b) => a.thread - b.thread || a.burst - b.burst);
}

/** Waits until the bot has `count` notes in the discussion: that many runs were claimed and announced. */
async function waitForTrackingNotes(cluster: Cluster, projectId: number, spec: NoteableSpec, discussionId: string, count: number, timeoutMs: number, what: string): Promise<void> {
  const mine = () => cluster.gitlab.notes(projectId, spec).filter((note) => note.discussionId === discussionId && note.authorId === cluster.users.bot.id);
  await eventually(what, () => mine().length >= count, timeoutMs, 200);
}
