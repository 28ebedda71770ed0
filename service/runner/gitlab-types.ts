// The parts of GitLab's REST API v4 responses the runner reads, named as GitLab names them.

export interface ApiNote {
  id: number;
  type: string | null; // null | DiscussionNote | DiffNote
  body: string;
  author: { id: number; username: string; name?: string; bot?: boolean };
  created_at: string;
  updated_at: string;
  system: boolean;
  internal?: boolean;
  position?: unknown;
}

export interface ApiDiscussion {
  id: string;
  individual_note: boolean;
  notes: ApiNote[];
}

export interface ApiIssue {
  iid: number;
  title: string;
  description: string | null;
  state: string;
  web_url: string;
  confidential?: boolean;
  author?: { username: string };
}

export interface ApiMergeRequest extends ApiIssue {
  source_branch: string;
  target_branch: string;
  source_project_id: number;
  target_project_id: number;
  sha?: string;
  diff_refs?: { base_sha: string | null; start_sha: string | null; head_sha: string | null } | null;
}

export interface ApiDiff {
  old_path: string;
  new_path: string;
  diff: string;
  new_file: boolean;
  renamed_file: boolean;
  deleted_file: boolean;
  too_large?: boolean;
  collapsed?: boolean;
}

export interface ApiCommit {
  id: string;
  title: string;
  message: string;
  author_name?: string;
  web_url?: string;
}

export interface ApiSnippet {
  id: number;
  title: string;
  description: string | null;
  web_url?: string;
}

/** GitLab's diff position for a comment on a line of a merge request diff. */
export interface DiffPosition {
  base_sha?: string;
  start_sha?: string;
  head_sha?: string;
  old_path?: string | null;
  new_path?: string | null;
  position_type?: string;
  old_line?: number | null;
  new_line?: number | null;
  line_range?: {
    start?: { old_line?: number | null; new_line?: number | null } | null;
    end?: { old_line?: number | null; new_line?: number | null } | null;
  } | null;
}
