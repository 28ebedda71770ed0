// Set by a pipeline's Pipeline Hook (finished), read by the attempt that attaches the pipeline to its
// slot: whichever comes second frees the slot (pipeline-hook.ts, trigger.ts).

/** Longer than any pipeline's slot lease, so a late attempt still finds the mark. */
export const FINISHED_MARK_TTL_MS = 7 * 24 * 3600_000;

export function pipelineFinishedKey(projectId: number, pipelineId: number): string {
  return `pipeline-finished:${projectId}:${pipelineId}`;
}
