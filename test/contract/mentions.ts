import type { FlowRequest } from '../../service/domain.js';
import { noteDigest } from '../../service/note-digest.js';
import type { PendingMention } from '../../service/store/types.js';

// Mentions for the store contract: complete FlowRequests, varying only what the store looks at
// (note id, thread, times, text).

export interface MentionSpec {
  threadKey?: string;
  projectId?: number;
  body?: string;
  /** ISO time the note was written; defaults to a time derived from the id (ids grow with time). */
  createdAt?: string;
  updatedAt?: string;
}

export function mention(noteId: number, spec: MentionSpec = {}): PendingMention {
  const projectId = spec.projectId ?? 5;
  const createdAt = spec.createdAt ?? new Date(Date.UTC(2026, 10, 26, 3, 0, 0) + noteId * 1000).toISOString();
  const request: FlowRequest = {
    version: 1,
    event: 'mention',
    deliveryId: `delivery-${noteId}`,
    receivedAt: createdAt,
    project: { id: projectId, path: 'group/project', defaultBranch: 'main', webUrl: 'https://gitlab.example/group/project' },
    noteable: {
      type: 'MergeRequest',
      iid: 1,
      id: 101,
      title: 'Fix the flaky test',
      url: 'https://gitlab.example/group/project/-/merge_requests/1',
      state: 'opened',
      sourceBranch: 'feature',
      targetBranch: 'main',
      sourceProjectId: projectId,
      targetProjectId: projectId,
      fork: false,
      commitSha: null,
      confidential: false,
    },
    note: {
      id: noteId,
      body: null,
      bodyDigest: noteDigest(spec.body ?? `@claude note ${noteId}`),
      createdAt,
      updatedAt: spec.updatedAt ?? createdAt,
      action: spec.updatedAt && spec.updatedAt !== createdAt ? 'update' : 'create',
      internal: false,
      type: 'DiffNote',
      discussionId: 'd1',
      // GitLab's diff position: nested objects and nulls must survive the store unchanged.
      position: { base_sha: 'a', head_sha: 'b', position_type: 'text', new_line: 12, old_line: null, line_range: { start: { line_code: 'x_1_1' }, end: null } },
      url: `https://gitlab.example/group/project/-/merge_requests/1#note_${noteId}`,
    },
    author: { id: 1, username: 'dana', name: 'Dana' },
    threadKey: spec.threadKey ?? `${projectId}:MergeRequest:1:d1`,
  };
  return { noteId, request };
}
