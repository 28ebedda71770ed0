import type { Failure } from './note-text.js';
import type { RunResult } from './stream.js';

/** A failure the thread should hear about, in words a project member can act on. */
export class RunFailure extends Error {
  override name = 'RunFailure';
  constructor(
    readonly failure: Failure,
    readonly result: RunResult | null = null,
  ) {
    super(failure.what);
  }
}

export const messageOf = (error: unknown): string => (error instanceof Error ? error.message : String(error));
