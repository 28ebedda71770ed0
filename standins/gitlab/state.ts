import { createHash } from 'node:crypto';
import type {
  AccessToken, Award, Discussion, DraftNote, Issue, Job, MergeRequest, Note, Pipeline, Project, Snippet, TriggerToken, User, Webhook,
} from './types.js';

// All of the stand-in's data, in memory. Ids come from separate ranges per kind (issues from 1001,
// merge requests from 2001, notes from 5001, pipelines from 9001...), so code that passes a global id
// where GitLab wants an iid, or a user id where it wants a project id, gets a 404 instead of a lucky hit.

const FIRST_ID = {
  user: 1,
  project: 101,
  issue: 1001,
  mergeRequest: 2001,
  snippet: 3001,
  note: 5001,
  award: 7001,
  pipeline: 9001,
  job: 12001,
  draftNote: 15001,
  trigger: 1,
  webhook: 1,
  token: 1,
  accessToken: 1,
  discussion: 1,
  commit: 1,
} as const;

export type IdKind = keyof typeof FIRST_ID;

export class State {
  readonly users = new Map<number, User>();
  readonly tokens = new Map<string, AccessToken>();
  readonly projects = new Map<number, Project>();
  readonly issues = new Map<number, Issue>();
  readonly mergeRequests = new Map<number, MergeRequest>();
  readonly snippets = new Map<number, Snippet>();
  readonly notes = new Map<number, Note>();
  readonly discussions = new Map<string, Discussion>();
  /** Pending review comments, seen only by their author until published. */
  readonly draftNotes = new Map<number, DraftNote>();
  readonly awards = new Map<number, Award>();
  readonly pipelines = new Map<number, Pipeline>();
  readonly jobs = new Map<number, Job>();
  readonly triggers = new Map<string, TriggerToken>();
  readonly webhooks: Webhook[] = [];
  /** What `include: remote:` URLs answer (the stand-in fetches nothing from the network). */
  readonly remoteFiles = new Map<string, string>();
  /** Set once the server listens; entities build web URLs from it. */
  baseUrl = 'http://127.0.0.1';
  /** Told about every comment written or edited (the stand-in sends Note Hooks from here). */
  onNoteChanged: (note: Note, action: 'create' | 'update') => void = () => undefined;

  private readonly next = new Map<IdKind, number>();

  constructor(
    readonly now: () => Date,
    private readonly seed: string,
  ) {}

  /** The next id of a kind, or `wanted` when a test needs a specific one (matching a fixture). */
  nextId(kind: IdKind, wanted?: number, taken?: (id: number) => boolean): number {
    const current = this.next.get(kind) ?? FIRST_ID[kind];
    if (wanted !== undefined) {
      if (!Number.isInteger(wanted) || wanted < 1) throw new Error(`stand-in: ${kind} id must be a positive integer`);
      if (taken?.(wanted)) throw new Error(`stand-in: ${kind} id ${wanted} is already taken`);
      this.next.set(kind, Math.max(current, wanted + 1));
      return wanted;
    }
    let id = current;
    while (taken?.(id)) id += 1;
    this.next.set(kind, id + 1);
    return id;
  }

  /** A deterministic 40-hex string, distinct per purpose and counter (discussion ids, fake shas). */
  hex40(purpose: string): string {
    const n = this.nextId('commit');
    return createHash('sha1').update(`${this.seed}:${purpose}:${n}`).digest('hex');
  }

  /** Personal access tokens look like GitLab's (`glpat-` + 20 characters). */
  newPersonalToken(): string {
    const n = this.nextId('token');
    return `glpat-${createHash('sha256').update(`${this.seed}:pat:${n}`).digest('base64url').slice(0, 20)}`;
  }

  newTriggerToken(): string {
    const n = this.nextId('token');
    return `glptt-${createHash('sha1').update(`${this.seed}:trigger:${n}`).digest('hex')}`;
  }

  user(id: number): User {
    const user = this.users.get(id);
    if (!user) throw new Error(`stand-in: no user ${id}`);
    return user;
  }

  project(id: number): Project {
    const project = this.projects.get(id);
    if (!project) throw new Error(`stand-in: no project ${id}`);
    return project;
  }

  projectByPath(path: string): Project | undefined {
    const wanted = path.toLowerCase();
    for (const project of this.projects.values()) if (project.path.toLowerCase() === wanted) return project;
    return undefined;
  }
}
