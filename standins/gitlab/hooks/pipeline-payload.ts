import { detailedStatus, durations, pipelineWebUrl } from '../entities/pipelines.js';
import { namespaceOf, projectWebUrl } from '../entities/projects.js';
import type { State } from '../state.js';
import type { Commit, Pipeline, Project } from '../types.js';

// The Pipeline Hook payload, shaped like GitLab's documented example (devtools/fixtures/pipeline.json,
// from doc/user/project/integrations/webhook_events.md): timestamps in GitLab's hook format
// ("2016-08-12 15:23:28 UTC", not ISO), variables as [{key, value}], no builds (the stand-in runs no jobs).

export function hookTime(date: Date | null): string | null {
  if (!date) return null;
  return `${date.toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

export function pipelineHookPayload(state: State, project: Project, pipeline: Pipeline, commit: Commit | null) {
  const user = state.user(pipeline.userId);
  const times = durations(pipeline);
  const web = projectWebUrl(project, state.baseUrl);
  const host = new URL(state.baseUrl).hostname;
  return {
    object_kind: 'pipeline',
    object_attributes: {
      id: pipeline.id,
      iid: pipeline.iid,
      name: null,
      ref: pipeline.ref,
      tag: false,
      sha: pipeline.sha,
      before_sha: '0000000000000000000000000000000000000000',
      source: pipeline.source,
      status: pipeline.status,
      detailed_status: detailedStatus(project, pipeline).label,
      stages: ['claude'],
      created_at: hookTime(pipeline.createdAt),
      finished_at: hookTime(pipeline.finishedAt),
      duration: times.duration,
      queued_duration: times.queued,
      variables: pipeline.variables.map((variable) => ({ key: variable.key, value: variable.value })),
      url: pipelineWebUrl(project, pipeline, state.baseUrl),
    },
    merge_request: null,
    user: {
      id: user.id,
      name: user.name,
      username: user.username,
      avatar_url: null,
      email: '[REDACTED]',
    },
    project: {
      id: project.id,
      name: project.name,
      description: '',
      web_url: web,
      avatar_url: null,
      git_ssh_url: `git@${host}:${project.path}.git`,
      git_http_url: `${web}.git`,
      namespace: namespaceOf(project).name,
      visibility_level: project.visibility === 'public' ? 20 : project.visibility === 'internal' ? 10 : 0,
      path_with_namespace: project.path,
      default_branch: project.defaultBranch,
      ci_config_path: null,
    },
    commit: commit
      ? {
          id: commit.sha,
          message: commit.message,
          title: commit.title,
          timestamp: commit.createdAt.toISOString(),
          url: `${web}/-/commit/${commit.sha}`,
          author: { name: commit.authorName, email: commit.authorEmail },
        }
      : null,
    builds: [],
  };
}
