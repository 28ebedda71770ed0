import { describe, expect, it } from 'vitest';
import { claudeArgs } from '../../../service/runner/claude-args.js';
import { KNOWN_EVENTS } from '../../../service/runner/config.js';
import { isReviewRequest, reviewSystemPrompt } from '../../../service/runner/review/review-mode.js';

// When a run is a review, and what Claude Code is allowed in one.

const mr = { noteable: { type: 'MergeRequest' } } as Parameters<typeof isReviewRequest>[1];
const issue = { noteable: { type: 'Issue' } } as Parameters<typeof isReviewRequest>[1];

describe('isReviewRequest', () => {
  it('is a review when the request starts with "review" on a merge request, or by the reviewer event', () => {
    expect(isReviewRequest('mention', mr, '@claude review')).toBe(true);
    expect(isReviewRequest('mention', mr, '@claude Review this, focusing on errors')).toBe(true);
    expect(isReviewRequest('mention', mr, '@claude, review please')).toBe(true);
    expect(isReviewRequest('assign_reviewer', mr, '')).toBe(true);
    expect(isReviewRequest('mention', mr, '@claude please review the naming')).toBe(false);
    expect(isReviewRequest('mention', mr, '@claude reviewer notes')).toBe(false);
    expect(isReviewRequest('mention', issue, '@claude review')).toBe(false);
    expect(isReviewRequest('assign_reviewer', issue, '')).toBe(false);
  });

  it('is a review when a draft merge request was marked ready (AI_FLOW_EVENT=ready), and the runner knows that event', () => {
    expect(isReviewRequest('ready', mr, 'Review this merge request: it was marked ready.')).toBe(true);
    expect(KNOWN_EVENTS.has('ready')).toBe(true);
  });
});

describe('a review run', () => {
  it("may write only into its output directory: Edit's rule covers Write there, the default mode refuses it elsewhere", () => {
    const args = claudeArgs({ allowedTools: ['Read', 'Glob', 'Grep', 'Edit', 'Write', 'Bash(npm test:*)'], canWrite: false, canRunCommands: true, maxTurns: 5, model: null, systemPrompt: 's', trustedSettingsFile: null, outputDir: '/tmp/run/output' });
    const value = (flag: string) => args[args.indexOf(flag) + 1];
    expect(value('--permission-mode')).toBe('default');
    expect(value('--allowedTools')).toBe('Read(./**),Glob(./**),Grep(./**),Edit(//tmp/run/output/**)');
    expect(value('--disallowedTools')).toBe('WebFetch,WebSearch,MultiEdit,NotebookEdit,Bash');
    expect(value('--add-dir')).toBe('/tmp/run/output');
  });

  it('is told where to write and gets the default branch review instructions', () => {
    const prompt = reviewSystemPrompt('/tmp/run/output', 'Check error handling first.', 7);
    expect(prompt).toContain('with the Write tool at /tmp/run/output/review.json (');
    expect(prompt).toContain('At most 7 comments');
    expect(prompt).toContain('Review instructions (.gitlab/claude/review.md from the default branch, trusted):\nCheck error handling first.');
    expect(reviewSystemPrompt('/o', null, 20)).not.toContain('Review instructions');
  });
});
