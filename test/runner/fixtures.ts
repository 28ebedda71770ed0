import type { FlowContextV1 } from '../../service/domain.js';
import type { ApiDiscussion, ApiNote } from '../../service/runner/gitlab-types.js';

// AI_FLOW_CONTEXT v1 values as the service builds them (docs/architecture.md, "The pipeline contract"), and GitLab discussion entries as
// the discussions API returns them, for the runner's pure tests.

export const TRIGGERED_AT = '2026-11-26T03:00:00.000Z';

export function issueContext(overrides: Partial<FlowContextV1> = {}): FlowContextV1 {
  return {
    version: 1,
    gitlab_url: 'https://gitlab.example.com',
    project: { id: 5, path: 'group/project', default_branch: 'main' },
    noteable: {
      type: 'Issue',
      iid: 12,
      title: 'Flaky test in parser',
      url: 'https://gitlab.example.com/group/project/-/issues/12',
      state: 'opened',
      source_branch: null,
      target_branch: null,
      source_project_id: null,
      fork: false,
      commit_sha: null,
    },
    discussion_id: 'd1',
    trigger_note_ids: [101],
    tracking_note_id: 150,
    author: { id: 1, username: 'dana' },
    triggered_at: TRIGGERED_AT,
    position: null,
    ...overrides,
  };
}

export function mrContext(noteable: Partial<FlowContextV1['noteable']> = {}, overrides: Partial<FlowContextV1> = {}): FlowContextV1 {
  const base = issueContext(overrides);
  return {
    ...base,
    noteable: {
      type: 'MergeRequest',
      iid: 3,
      title: 'Add parser cache',
      url: 'https://gitlab.example.com/group/project/-/merge_requests/3',
      state: 'opened',
      source_branch: 'feature',
      target_branch: 'main',
      source_project_id: 5,
      fork: false,
      commit_sha: null,
      ...noteable,
    },
  };
}

let nextId = 1000;
export function note(body: string, at: { created: string; updated?: string }, extra: Partial<ApiNote> = {}): ApiNote {
  return {
    id: nextId++,
    type: 'DiscussionNote',
    body,
    author: { id: 2, username: 'bob' },
    created_at: at.created,
    updated_at: at.updated ?? at.created,
    system: false,
    ...extra,
  };
}

export function discussion(id: string, notes: ApiNote[]): ApiDiscussion {
  return { id, individual_note: notes.length === 1, notes };
}

/** The job environment GitLab gives the runner (predefined variables) plus the service's three. */
export function jobEnv(overrides: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return {
    AI_FLOW_INPUT: '@claude fix it',
    AI_FLOW_EVENT: 'mention',
    AI_FLOW_CONTEXT: JSON.stringify(issueContext()),
    CI_API_V4_URL: 'https://gitlab.example.com/api/v4',
    CI_SERVER_URL: 'https://gitlab.example.com',
    CI_PROJECT_ID: '5',
    CI_PROJECT_PATH: 'group/project',
    CI_PROJECT_DIR: '/builds/group/project',
    CI_DEFAULT_BRANCH: 'main',
    CI_JOB_URL: 'https://gitlab.example.com/group/project/-/jobs/9',
    CI_PIPELINE_URL: 'https://gitlab.example.com/group/project/-/pipelines/8',
    CI_COMMIT_REF_NAME: 'main',
    GITLAB_TOKEN: 'glpat-runner-token-value',
    ...overrides,
  };
}
