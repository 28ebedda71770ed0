import { chmod, chown, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { FlowContextV1 } from '../../domain.js';
import { boundText } from '../bound.js';
import type { AgentIdentity } from '../workspace/identity.js';
import type { AgentWorkspace } from '../workspace/prepare.js';
import { MAX_REVIEW_FILE_BYTES, REVIEW_FILE } from './review-file.js';

// When a run is a review, and what the agent is told and given for one. A review is asked for on a
// merge request, by a request that starts with "review" (after the mentions) or by the reviewer event.
// It pushes nothing: the agent's only writable place besides its workspace copy is an output directory
// the runner makes for the run, where it leaves its review as JSON.

export const REVIEW_INSTRUCTIONS_PATH = '.gitlab/claude/review.md';

export function isReviewRequest(event: string, context: Pick<FlowContextV1, 'noteable'>, instruction: string): boolean {
  if (context.noteable.type !== 'MergeRequest') return false;
  if (event === 'assign_reviewer' || event === 'ready') return true;
  return /^\s*(?:@[\w.-]+[\s,:]+)*review\b/i.test(instruction);
}

/** `<base>/output/`, the agent's for this run only (the base is root's and removed after the run). */
export async function prepareReviewOutput(layout: AgentWorkspace, identity: AgentIdentity): Promise<string> {
  const dir = join(layout.base, 'output');
  await mkdir(dir, { mode: 0o700 });
  if (identity.kind === 'isolated') await chown(dir, identity.uid, identity.gid);
  await chmod(dir, 0o700);
  return dir;
}

export function reviewSystemPrompt(outputDir: string, instructions: string | null, maxComments: number): string {
  const file = join(outputDir, REVIEW_FILE);
  const lines = [
    '',
    'This request is a code review of the merge request. Nothing you change in the workspace is pushed: do not edit the repository. The one file you write is your review.',
    `Write your review as one JSON file with the Write tool at ${file} (at most ${MAX_REVIEW_FILE_BYTES / 1024} KB), in this shape:`,
    '{"summary": "markdown: the overall assessment", "comments": [{"path": "src/a.ts", "line": 12, "side": "new", "body": "markdown", "suggestion": "optional: the replacement text for that one line"}]}',
    `- Comment only on lines of the diff shown: "side": "new" with the line number in the new version for added or unchanged lines, "side": "old" with the old line number for removed lines. At most ${maxComments} comments; put everything else in the summary.`,
    '- A suggestion replaces exactly the commented line (new side only); leave it out when the fix is larger.',
    '- Your final message is posted in the thread together with the summary; keep it short.',
  ];
  if (instructions && instructions.trim()) {
    lines.push('', `Review instructions (${REVIEW_INSTRUCTIONS_PATH} from the default branch, trusted):`, boundText(instructions, 20_000, REVIEW_INSTRUCTIONS_PATH).text);
  }
  return lines.join('\n');
}
