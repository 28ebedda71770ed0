import type { NoteableRef } from '../domain.js';
import { commitNoteSchema, issueNoteSchema, parsePayload, mergeRequestNoteSchema, snippetNoteSchema, type NotePayload } from './schemas.js';

// The thing a comment is on, from the payload's `issue` / `merge_request` / `commit` / `snippet` object.
// `object_attributes.noteable_id` is the global id; API paths need the project-scoped iid, which only the
// noteable object carries, so that object is required. URLs the payload leaves out are derived from the
// project's web URL with GitLab's `/-/` routes.

export type NoteableResult = { ok: true; noteable: NoteableRef } | { ok: false; kind: 'ignore' | 'invalid'; reason: string };

const NONE = { sourceBranch: null, targetBranch: null, sourceProjectId: null, targetProjectId: null, fork: false, commitSha: null, confidential: false };

export function noteableOf(note: NotePayload, payload: unknown, projectWebUrl: string): NoteableResult {
  const attributes = note.object_attributes;
  switch (attributes.noteable_type) {
    case 'Issue': {
      const parsed = parsePayload(issueNoteSchema, payload);
      if (!parsed.ok) return { ok: false, kind: 'invalid', reason: parsed.reason };
      const issue = parsed.data.issue;
      return {
        ok: true,
        noteable: {
          ...NONE,
          type: 'Issue',
          iid: issue.iid,
          id: attributes.noteable_id ?? issue.id,
          title: issue.title,
          url: issue.url ?? `${projectWebUrl}/-/issues/${issue.iid}`,
          state: issue.state,
          confidential: issue.confidential === true,
        },
      };
    }
    case 'MergeRequest': {
      const parsed = parsePayload(mergeRequestNoteSchema, payload);
      if (!parsed.ok) return { ok: false, kind: 'invalid', reason: parsed.reason };
      const mr = parsed.data.merge_request;
      return {
        ok: true,
        noteable: {
          ...NONE,
          type: 'MergeRequest',
          iid: mr.iid,
          id: attributes.noteable_id ?? mr.id,
          title: mr.title,
          url: mr.url ?? `${projectWebUrl}/-/merge_requests/${mr.iid}`,
          state: mr.state,
          sourceBranch: mr.source_branch,
          targetBranch: mr.target_branch,
          sourceProjectId: mr.source_project_id,
          targetProjectId: mr.target_project_id,
          fork: mr.source_project_id !== mr.target_project_id,
        },
      };
    }
    case 'Commit': {
      const parsed = parsePayload(commitNoteSchema, payload);
      if (!parsed.ok) return { ok: false, kind: 'invalid', reason: parsed.reason };
      const commit = parsed.data.commit;
      // commit_id is the note's own record of what it is on; `commit.id` is the same SHA in every payload seen.
      const commitId = attributes.commit_id ?? '';
      if (commitId !== '' && !/^[0-9a-f]{7,64}$/i.test(commitId)) return { ok: false, kind: 'invalid', reason: 'object_attributes.commit_id: expected a commit SHA' };
      const commitSha = commitId !== '' ? commitId : commit.id;
      return {
        ok: true,
        noteable: {
          ...NONE,
          type: 'Commit',
          iid: null,
          id: attributes.noteable_id ?? null,
          title: commit.message?.split('\n', 1)[0]?.trim() || null,
          url: commit.url ?? `${projectWebUrl}/-/commit/${commitSha}`,
          state: null,
          commitSha,
        },
      };
    }
    case 'Snippet': {
      const parsed = parsePayload(snippetNoteSchema, payload);
      if (!parsed.ok) return { ok: false, kind: 'invalid', reason: parsed.reason };
      const snippet = parsed.data.snippet;
      return {
        ok: true,
        noteable: {
          ...NONE,
          type: 'Snippet',
          iid: snippet.id,
          id: attributes.noteable_id ?? snippet.id,
          title: snippet.title,
          url: snippet.url ?? `${projectWebUrl}/-/snippets/${snippet.id}`,
          state: null,
        },
      };
    }
    default:
      return { ok: false, kind: 'ignore', reason: `comments on ${attributes.noteable_type} are not supported` };
  }
}
