// What every check returns: a status, one sentence of what it found, and for a problem the exact fix.

export type CheckStatus = 'pass' | 'warn' | 'fail';

export interface CheckResult {
  /** Stable id for machines, e.g. `gitlab.token` or `project.webhook`. */
  check: string;
  status: CheckStatus;
  message: string;
  fix?: string;
  /** The project the check is about, as given (id or path). */
  project?: string;
}

export const pass = (check: string, message: string): CheckResult => ({ check, status: 'pass', message });

export const warn = (check: string, message: string, fix: string): CheckResult => ({
  check,
  status: 'warn',
  message,
  fix,
});

export const fail = (check: string, message: string, fix: string): CheckResult => ({
  check,
  status: 'fail',
  message,
  fix,
});

/** Non-zero on any ✘: warnings alone leave a working set-up. */
export function exitCodeOf(results: readonly CheckResult[]): number {
  return results.some((result) => result.status === 'fail') ? 1 : 0;
}
