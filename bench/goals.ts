// The figures `npm run bench` holds to a goal, and the verdict: each measured figure is MET or MISSED,
// and the run exits non-zero when any is MISSED (a regression guard to run by hand before and after a
// change; .ci/run does not run it, since shared machines are too noisy for a gate).

export interface Goal {
  /** What is measured, e.g. "ingest throughput ratio". */
  name: string;
  measured: number;
  unit: 'x' | 'ms';
  /** The goal is measured >= atLeast, or measured <= atMost. */
  atLeast?: number;
  atMost?: number;
}

// The goals (docs/benchmarks.md): ratios against a baseline measured in the same run.
export const INGEST_RATIO_GOAL = 0.9;
export const INGEST_P99_GOAL_MS = 25;
export const STARTUP_RATIO_GOAL = 1.2;
export const PUBSUB_INGEST_RATIO_GOAL = 0.6;
export const TRIGGER_P95_GOAL_MS = 100;

export function met(goal: Goal): boolean {
  if (!Number.isFinite(goal.measured)) return false;
  if (goal.atLeast !== undefined && goal.measured < goal.atLeast) return false;
  if (goal.atMost !== undefined && goal.measured > goal.atMost) return false;
  return true;
}

/** One line per goal, the same shape in every run so two runs' lines can be compared side by side. */
export function goalLine(goal: Goal): string {
  const figure = (value: number) => (goal.unit === 'x' ? `${value.toFixed(2)}x` : `${value.toFixed(0)} ms`);
  const target = goal.atLeast !== undefined ? `>= ${figure(goal.atLeast)}` : `<= ${figure(goal.atMost ?? Number.NaN)}`;
  return `goal ${met(goal) ? 'MET   ' : 'MISSED'} ${goal.name} ${figure(goal.measured)} (goal ${target})`;
}

/** The summary that closes a run, and whether every goal was met. */
export function summary(goals: Goal[]): { lines: string[]; ok: boolean } {
  const missed = goals.filter((goal) => !met(goal));
  const lines = ['bench goals:', ...goals.map((goal) => `  ${goalLine(goal)}`)];
  lines.push(missed.length === 0 ? `all ${goals.length} goals met` : `${missed.length} of ${goals.length} goals missed: ${missed.map((goal) => goal.name).join(', ')}`);
  return { lines, ok: missed.length === 0 };
}
