/** CLAUDE_FLOW_MAX_BUDGET_USD: the most a run may spend on the model, in US dollars; unset or empty = no limit. */
export function readBudget(
  env: NodeJS.ProcessEnv
): { ok: true; budgetUsd: number | null } | { ok: false; error: string } {
  const raw = env.CLAUDE_FLOW_MAX_BUDGET_USD?.trim();
  if (raw === undefined || raw === '') return { ok: true, budgetUsd: null };
  const value = Number(raw.replace(/^\$/, ''));
  if (!Number.isFinite(value) || value <= 0) {
    return {
      ok: false,
      error: `CLAUDE_FLOW_MAX_BUDGET_USD must be a positive number of US dollars, got ${JSON.stringify(raw)}`,
    };
  }
  return { ok: true, budgetUsd: value };
}
