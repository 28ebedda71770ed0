import { describe, expect, it } from 'vitest';
import { choosePushPlan, issueBranchName } from '../../service/runner/push-plan.js';
import { issueContext, mrContext } from './fixtures.js';

const now = new Date('2026-11-26T03:04:05.678Z');

describe('choosePushPlan', () => {
  it('issue → a new claude/issue-<iid>-<timestamp> branch targeting the default branch', () => {
    expect(choosePushPlan(issueContext(), now)).toEqual({ kind: 'new-branch', branch: 'claude/issue-12-20261126-030405', targetBranch: 'main', issueIid: 12 });
  });

  it('open same-project merge request → its source branch', () => {
    expect(choosePushPlan(mrContext(), now)).toEqual({ kind: 'source-branch', branch: 'feature', mergeRequestIid: 3 });
  });

  it('fork (flagged, or by project id), closed or merged merge request → reply only', () => {
    expect(choosePushPlan(mrContext({ fork: true }), now).kind).toBe('reply-only');
    expect(choosePushPlan(mrContext({ source_project_id: 99 }), now).kind).toBe('reply-only');
    expect(choosePushPlan(mrContext({ state: 'closed' }), now)).toEqual({ kind: 'reply-only', reason: 'this merge request is closed' });
    expect(choosePushPlan(mrContext({ state: 'merged' }), now).kind).toBe('reply-only');
  });

  it('commit and snippet comments → reply only', () => {
    const commit = issueContext({ noteable: { ...issueContext().noteable, type: 'Commit', iid: null, commit_sha: 'abc' } });
    expect(choosePushPlan(commit, now).kind).toBe('reply-only');
    const snippet = issueContext({ noteable: { ...issueContext().noteable, type: 'Snippet', iid: 4 } });
    expect(choosePushPlan(snippet, now).kind).toBe('reply-only');
  });

  it('branch names are valid refs', () => {
    expect(issueBranchName(7, new Date('2026-01-02T00:00:00Z'))).toBe('claude/issue-7-20260102-000000');
  });
});
