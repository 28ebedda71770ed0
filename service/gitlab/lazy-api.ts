import type { GitLabApi } from './api.js';
import type { GitLabConnection } from './resources.js';
import type { RestGitLabApi } from './rest-api.js';

/**
 * The worker's GitLab client. gitbeaker loads on the first call, not at start: ingest answers webhooks
 * (and /healthz) without it.
 */
export function createGitLabApi(connection: GitLabConnection): GitLabApi {
  let loading: Promise<RestGitLabApi> | null = null;
  const api = () =>
    (loading ??= import('./rest-api.js').then(
      (module) => module.restGitLabApi(connection),
      (error: unknown) => {
        loading = null;
        throw error;
      },
    ));
  return {
    currentUser: async () => (await api()).currentUser(),
    user: async (...args) => (await api()).user(...args),
    member: async (...args) => (await api()).member(...args),
    project: async (...args) => (await api()).project(...args),
    noteable: async (...args) => (await api()).noteable(...args),
    note: async (...args) => (await api()).note(...args),
    replyInThread: async (...args) => (await api()).replyInThread(...args),
    editThreadNote: async (...args) => (await api()).editThreadNote(...args),
    threadNotes: async (...args) => (await api()).threadNotes(...args),
    awardEmojiOnNote: async (...args) => (await api()).awardEmojiOnNote(...args),
    triggerPipeline: async (...args) => (await api()).triggerPipeline(...args),
    createPipeline: async (...args) => (await api()).createPipeline(...args),
    recentPipelines: async (...args) => (await api()).recentPipelines(...args),
    pipelineVariables: async (...args) => (await api()).pipelineVariables(...args),
    cancelPipeline: async (...args) => (await api()).cancelPipeline(...args),
  };
}
