import { describe, expect, it } from 'vitest';
import { DEFAULT_ALLOWED_TOOLS, readRunnerConfig, secretValues } from '../../service/runner/config.js';
import { parseFlowContext } from '../../service/flow-variables.js';
import { issueContext, jobEnv } from './fixtures.js';

describe('parseFlowContext', () => {
  it('accepts the version-1 context exactly as docs/architecture.md shows it', () => {
    const example = {
      version: 1,
      gitlab_url: 'https://gitlab.com',
      project: { id: 5, path: 'group/project', default_branch: 'main' },
      noteable: { type: 'MergeRequest', iid: 1, title: '…', url: '…', state: 'opened', source_branch: 'feature', target_branch: 'main', source_project_id: 5, fork: false, commit_sha: null },
      discussion_id: '6a9c1750b37d513a43987b574953fceb50b03ce7',
      trigger_note_ids: [1244, 1245],
      tracking_note_id: 1250,
      author: { id: 1, username: 'dana' },
      triggered_at: '2026-11-26T03:00:00Z',
      position: null,
    };
    const parsed = parseFlowContext(JSON.stringify(example));
    expect(parsed).toEqual({ ok: true, context: example });
  });

  it('refuses an unknown version, bad JSON and missing fields', () => {
    expect(parseFlowContext(JSON.stringify({ ...issueContext(), version: 2 }))).toEqual({ ok: false, error: 'AI_FLOW_CONTEXT version 2 is not supported (this runner reads version 1)' });
    expect(parseFlowContext('{nope')).toMatchObject({ ok: false, error: 'AI_FLOW_CONTEXT is not valid JSON' });
    const { tracking_note_id: _, ...withoutTracking } = issueContext();
    expect(parseFlowContext(JSON.stringify(withoutTracking))).toMatchObject({ ok: false, error: expect.stringContaining('tracking_note_id') });
    expect(parseFlowContext(JSON.stringify(issueContext({ triggered_at: 'soon' })))).toMatchObject({ ok: false });
    expect(parseFlowContext(undefined)).toMatchObject({ ok: false, error: 'AI_FLOW_CONTEXT is not set' });
  });
});

describe('readRunnerConfig', () => {
  it('reads the contract variables and applies the defaults', () => {
    const result = readRunnerConfig(jobEnv());
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.config).toMatchObject({
      input: '@claude fix it',
      gitlab: { baseUrl: 'https://gitlab.example.com', serverUrl: 'https://gitlab.example.com', token: 'glpat-runner-token-value' },
      projectDir: '/builds/group/project',
      claudePath: 'claude',
      allowedTools: DEFAULT_ALLOWED_TOOLS,
      maxTurns: 30,
      timeoutMs: 1_500_000,
      progressIntervalMs: 10_000,
      gitAuthor: { name: 'Claude', email: 'claude-gitlab-flow@noreply.gitlab.example.com' },
    });
  });

  it('takes the knobs and CLAUDE_CODE_PATH', () => {
    const result = readRunnerConfig(
      jobEnv({ CLAUDE_CODE_PATH: '/opt/claude', CLAUDE_FLOW_ALLOWED_TOOLS: 'Read, Bash(npm test:*) ,Edit', CLAUDE_FLOW_MAX_TURNS: '5', CLAUDE_FLOW_TIMEOUT_SECONDS: '60', CLAUDE_FLOW_MODEL: 'm' }),
    );
    expect(result.ok && result.config).toMatchObject({ claudePath: '/opt/claude', allowedTools: ['Read', 'Bash(npm test:*)', 'Edit'], maxTurns: 5, timeoutMs: 60_000, model: 'm' });
  });

  it('reads the review limit and knows the reviewer event', () => {
    expect(readRunnerConfig(jobEnv()).ok && (readRunnerConfig(jobEnv()) as { config: { maxReviewComments: number } }).config.maxReviewComments).toBe(20);
    const set = readRunnerConfig(jobEnv({ CLAUDE_FLOW_MAX_REVIEW_COMMENTS: '5', AI_FLOW_EVENT: 'assign_reviewer' }));
    expect(set.ok && [set.config.maxReviewComments, set.config.event]).toEqual([5, 'assign_reviewer']);
    const bad = readRunnerConfig(jobEnv({ CLAUDE_FLOW_MAX_REVIEW_COMMENTS: '0' }));
    expect(!bad.ok && bad.errors).toEqual(['CLAUDE_FLOW_MAX_REVIEW_COMMENTS must be a positive integer, got "0"']);
  });

  it('lists every problem, and keeps what it needs to tell the thread', () => {
    const result = readRunnerConfig(jobEnv({ GITLAB_TOKEN: 'glpat-x', AI_FLOW_EVENT: 'push', CLAUDE_FLOW_MAX_TURNS: 'many', CI_PROJECT_DIR: '' }));
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.errors).toEqual([
      'AI_FLOW_EVENT "push" is not one this runner knows (mention, assign, assign_reviewer, ready, label)',
      'CI_PROJECT_DIR is not set',
      'CLAUDE_FLOW_MAX_TURNS must be a positive integer, got "many"',
    ]);
    expect(result.context?.tracking_note_id).toBe(150);
    expect(result.gitlab?.token).toBe('glpat-x');
  });

  it('refuses a context for another project', () => {
    const result = readRunnerConfig(jobEnv({ CI_PROJECT_ID: '6' }));
    expect(!result.ok && result.errors).toEqual(['AI_FLOW_CONTEXT is for project 5, but this job runs in project 6']);
  });

  it('requires AI_FLOW_INPUT to be set, but allows it empty', () => {
    const { AI_FLOW_INPUT: _, ...rest } = jobEnv();
    expect(readRunnerConfig(rest).ok).toBe(false);
    expect(readRunnerConfig(jobEnv({ AI_FLOW_INPUT: '' })).ok).toBe(true);
  });
});

describe('secret values', () => {
  it('knows the job\'s credentials and secret-looking project variables, not ordinary values', () => {
    const env = { GITLAB_TOKEN: 'g-token', AWS_ID_TOKEN: 'jwt', DEPLOY_PASSWORD: 'hunter22', SENTRY_API_KEY: 'sentry-key', PATH: '/bin', CI_PROJECT_PATH: 'group/project', CLAUDE_CODE_MAX_OUTPUT_TOKENS: '8000', EMPTY: '' };
    expect(secretValues(env).sort()).toEqual(['g-token', 'hunter22', 'jwt', 'sentry-key']);
  });
});
