// A run's states and the changes allowed between them, in one table (docs/architecture.md, "A run's
// states"). Both stores check a guarded update against it (`guardedUpdateApplies`), so no caller can
// move a run out of a final state or skip a step, whatever states it says it expects.

export type RunState =
  | 'claimed' // notes taken, nothing said in the thread yet
  | 'announced' // 👀 + tracking note posted
  | 'waiting' // queued for a project slot
  | 'triggered' // pipeline created
  | 'failed' // permanent failure, told the thread
  | 'skipped'; // nothing to run (no authorised author, over budget, ...)

export const RUN_TRANSITIONS: Readonly<Record<RunState, readonly RunState[]>> = {
  claimed: ['announced', 'skipped', 'failed'],
  announced: ['waiting', 'triggered', 'failed'],
  waiting: ['triggered', 'failed'],
  triggered: [],
  failed: [],
  skipped: [],
};

const ALL_STATES = Object.keys(RUN_TRANSITIONS) as RunState[];

/** The states a run never leaves. */
export const TERMINAL_RUN_STATES: ReadonlySet<RunState> = new Set(ALL_STATES.filter((state) => RUN_TRANSITIONS[state].length === 0));

/** The states of a run still under way (what the stalled-work sweep looks for). */
export const UNFINISHED_RUN_STATES: readonly RunState[] = ALL_STATES.filter((state) => !TERMINAL_RUN_STATES.has(state));

export function canTransition(from: RunState, to: RunState): boolean {
  return RUN_TRANSITIONS[from].includes(to);
}

/**
 * Whether an `updateRun` applies to a run in `current`. Unguarded (no expected states), it is a plain
 * write: a touch, a counter, or a test's setup. Guarded, the run must be in one of the expected states,
 * and a patch that names a state must be a change the table allows.
 */
export function guardedUpdateApplies(current: RunState, patchState: RunState | undefined, expectedStates?: readonly RunState[]): boolean {
  if (!expectedStates) return true;
  if (!expectedStates.includes(current)) return false;
  return patchState === undefined || canTransition(current, patchState);
}
