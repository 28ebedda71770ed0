import { namespaceOf, projectWebUrl } from '../entities/projects.js';
import { isDraftTitle } from '../entities/issuables.js';
import type { State } from '../state.js';
import type { Commit, Note, Project } from '../types.js';
import { hookTime } from './pipeline-payload.js';

// The Note Hook payload, shaped like GitLab's documented examples (devtools/fixtures/note-*.json), plus the
// fields real comment events carry that the examples omit: discussion_id, type, position, internal,
// action (create/update). A comment on a confidential issue, or an internal note, is a
// "Confidential Note Hook" with event_type confidential_note.

export function isConfidentialNote(state: State, note: Note): boolean {
  if (note.internal) return true;
  return note.noteable.type === 'Issue' && state.issues.get(note.noteable.id)?.confidential === true;
}

export function hookProject(state: State, project: Project) {
  const web = projectWebUrl(project, state.baseUrl);
  const ssh = `git@${new URL(state.baseUrl).hostname}:${project.path}.git`;
  return {
    id: project.id,
    name: project.name,
    description: '',
    web_url: web,
    avatar_url: null,
    git_ssh_url: ssh,
    git_http_url: `${web}.git`,
    namespace: namespaceOf(project).name,
    visibility_level: project.visibility === 'public' ? 20 : project.visibility === 'internal' ? 10 : 0,
    path_with_namespace: project.path,
    default_branch: project.defaultBranch,
    ci_config_path: null,
    homepage: web,
    url: ssh,
    ssh_url: ssh,
    http_url: `${web}.git`,
  };
}

function noteUrl(state: State, project: Project, note: Note): string {
  const web = projectWebUrl(project, state.baseUrl);
  const key = note.noteable;
  switch (key.type) {
    case 'Issue':
      return `${web}/-/issues/${state.issues.get(key.id)?.iid}#note_${note.id}`;
    case 'MergeRequest':
      return `${web}/-/merge_requests/${state.mergeRequests.get(key.id)?.iid}#note_${note.id}`;
    case 'Snippet':
      return `${web}/-/snippets/${key.id}#note_${note.id}`;
    case 'Commit':
      return `${web}/-/commit/${key.sha}#note_${note.id}`;
  }
}

function noteableSection(state: State, project: Project, note: Note, commit: Commit | null): Record<string, unknown> {
  const web = projectWebUrl(project, state.baseUrl);
  const key = note.noteable;
  switch (key.type) {
    case 'Issue': {
      const issue = state.issues.get(key.id);
      if (!issue) return {};
      return {
        issue: {
          id: issue.id,
          iid: issue.iid,
          title: issue.title,
          description: issue.description,
          state: issue.state,
          confidential: issue.confidential,
          author_id: issue.authorId,
          assignee_ids: issue.assigneeIds,
          assignee_id: issue.assigneeIds[0] ?? null,
          project_id: issue.projectId,
          created_at: hookTime(issue.createdAt),
          updated_at: hookTime(issue.updatedAt),
          labels: [],
          url: `${web}/-/issues/${issue.iid}`,
        },
      };
    }
    case 'MergeRequest': {
      const mr = state.mergeRequests.get(key.id);
      if (!mr) return {};
      return {
        merge_request: {
          id: mr.id,
          iid: mr.iid,
          title: mr.title,
          description: mr.description,
          state: mr.state,
          source_branch: mr.sourceBranch,
          target_branch: mr.targetBranch,
          source_project_id: mr.sourceProjectId,
          target_project_id: mr.projectId,
          author_id: mr.authorId,
          created_at: hookTime(mr.createdAt),
          updated_at: hookTime(mr.updatedAt),
          merge_status: 'can_be_merged',
          draft: isDraftTitle(mr.title),
          work_in_progress: isDraftTitle(mr.title),
          labels: [],
          url: `${web}/-/merge_requests/${mr.iid}`,
        },
      };
    }
    case 'Snippet': {
      const snippet = state.snippets.get(key.id);
      if (!snippet) return {};
      return {
        snippet: {
          id: snippet.id,
          title: snippet.title,
          description: '',
          content: '',
          author_id: snippet.authorId,
          project_id: snippet.projectId,
          created_at: hookTime(snippet.createdAt),
          updated_at: hookTime(snippet.updatedAt),
          file_name: 'snippet.txt',
          type: 'ProjectSnippet',
          visibility_level: 0,
          url: `${web}/-/snippets/${snippet.id}`,
        },
      };
    }
    case 'Commit':
      return {
        commit: {
          id: key.sha,
          message: commit?.message ?? '',
          title: commit?.title ?? '',
          timestamp: commit?.createdAt.toISOString() ?? null,
          url: `${web}/-/commit/${key.sha}`,
          author: { name: commit?.authorName ?? '', email: commit?.authorEmail ?? '' },
        },
      };
  }
}

export function noteHookPayload(state: State, note: Note, action: 'create' | 'update', commit: Commit | null) {
  const project = state.project(note.noteable.projectId);
  const author = state.user(note.authorId);
  const confidential = isConfidentialNote(state, note);
  const key = note.noteable;
  return {
    object_kind: 'note',
    event_type: confidential ? 'confidential_note' : 'note',
    user: { id: author.id, name: author.name, username: author.username, avatar_url: null, email: '[REDACTED]' },
    project_id: project.id,
    project: hookProject(state, project),
    repository: { name: project.name, url: hookProject(state, project).url, description: '', homepage: projectWebUrl(project, state.baseUrl) },
    object_attributes: {
      id: note.id,
      note: note.body,
      noteable_type: key.type,
      author_id: note.authorId,
      created_at: hookTime(note.createdAt),
      updated_at: hookTime(note.updatedAt),
      project_id: project.id,
      attachment: null,
      line_code: null,
      commit_id: key.type === 'Commit' ? key.sha : '',
      noteable_id: key.type === 'Commit' ? null : key.id,
      system: note.system,
      st_diff: null,
      action,
      url: noteUrl(state, project, note),
      discussion_id: note.discussionId,
      type: note.type,
      position: note.position,
      internal: note.internal,
      confidential: note.internal,
    },
    ...noteableSection(state, project, note, commit),
  };
}
