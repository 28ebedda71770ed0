import type { CheckResult, CheckStatus } from './result.js';

// Two renderings of the same results: one line per check for people, one JSON document for machines.

const SYMBOL: Record<CheckStatus, string> = { pass: '✔', warn: '⚠', fail: '✘' };

export function renderLine(result: CheckResult): string {
  const where = result.project ? `${result.project} ` : '';
  const fix = result.fix ? ` → fix: ${result.fix}` : '';
  return `${SYMBOL[result.status]} ${where}${result.check}: ${result.message}${fix}`;
}

function counts(results: readonly CheckResult[]): Record<CheckStatus, number> {
  const tally: Record<CheckStatus, number> = { pass: 0, warn: 0, fail: 0 };
  for (const result of results) tally[result.status] += 1;
  return tally;
}

export function renderText(results: readonly CheckResult[]): string {
  const { pass, warn, fail } = counts(results);
  const summary = `${pass} passed, ${warn} warning${warn === 1 ? '' : 's'}, ${fail} failed`;
  return `${results.map(renderLine).join('\n')}\n${summary}\n`;
}

export function renderJson(results: readonly CheckResult[]): string {
  const summary = counts(results);
  return `${JSON.stringify({ ok: summary.fail === 0, summary, checks: results }, null, 2)}\n`;
}
