import { join } from 'node:path';
import type { FlowContextV1 } from '../../../service/domain.js';
import { trackingNoteBody } from '../../../service/tracking-note.js';
import { AccessLevel, type GitLabStandIn, type NoteRecord, type NoteableSpec } from '../../../standins/gitlab/index.js';
import { checkout, createRepos, pushBranch, type Repos } from '../../../devtools/repo.js';
import { tempDir } from '../../../devtools/temp.js';

// One thread on the stand-in GitLab, set up the way the service leaves it for the runner: a member's
// @claude note, the service's tracking reply in the same discussion, a project whose repository is a
// real bare repository, and the job's checkout of the pipeline's ref.

export type ScenarioKind = 'issue' | 'merge-request' | 'fork-merge-request' | 'closed-merge-request';

export interface ScenarioOptions {
  kind: ScenarioKind;
  /** Files on the default branch. */
  files?: Record<string, string>;
  /** Files the merge request's source branch adds or changes. */
  branchFiles?: Record<string, string>;
  instruction?: string;
  /** The issue's or merge request's title as GitLab has it. */
  title?: string;
  description?: string;
  /** Notes in the same thread before the trigger, oldest first. */
  earlierNotes?: string[];
  runId?: string;
}

export interface Scenario {
  repos: Repos;
  projectId: number;
  projectPath: string;
  noteable: NoteableSpec;
  context: FlowContextV1;
  instruction: string;
  checkoutDir: string;
  checkoutRef: string;
  botToken: string;
  bobToken: string;
  userIds: { bot: number; dana: number; bob: number };
  /** The service's tracking note, as the stand-in holds it now. */
  trackingNote(): NoteRecord;
  notes(): NoteRecord[];
}

let counter = 0;

export interface ScenarioHost {
  gitlab: GitLabStandIn;
  /** The URL the runner talks to (the stand-in, or a proxy in front of it). */
  url: string;
  bareRepos: Map<number, string>;
}

export function createScenario(host: ScenarioHost, options: ScenarioOptions): Scenario {
  const { gitlab } = host;
  counter += 1;
  const suffix = `${process.pid}-${counter}`;
  const repos = createRepos(options.files ?? { 'README.md': '# Project\n', 'src/app.txt': 'hello\n' });
  const bot = gitlab.addUser({ username: `project_bot_${suffix}`, bot: true, scopes: ['api', 'write_repository'] });
  const dana = gitlab.addUser({ username: `dana-${suffix}` });
  const bob = gitlab.addUser({ username: `bob-${suffix}` });
  const project = gitlab.addProject({ path: `group/project-${suffix}`, bareRepoPath: repos.bare });
  host.bareRepos.set(project.id, repos.bare);
  gitlab.addMember(project.id, bot.id, AccessLevel.developer);
  gitlab.addMember(project.id, dana.id, AccessLevel.developer);
  gitlab.addMember(project.id, bob.id, AccessLevel.developer);

  const instruction = options.instruction ?? '@claude please add a changelog entry';
  const minutesAgo = (minutes: number) => new Date(Date.now() - minutes * 60_000);
  let noteable: NoteableSpec;
  let checkoutRef = 'main';
  let noteableContext: FlowContextV1['noteable'];
  const webBase = `${host.url}/${project.path}`;
  if (options.kind === 'issue') {
    const title = options.title ?? 'Add a changelog';
    const issue = gitlab.addIssue(project.id, { title, description: options.description ?? 'We have no CHANGELOG.', authorId: dana.id });
    noteable = { type: 'Issue', iid: issue.iid };
    noteableContext = { type: 'Issue', iid: issue.iid, title, url: `${webBase}/-/issues/${issue.iid}`, state: 'opened', source_branch: null, target_branch: null, source_project_id: null, fork: false, commit_sha: null };
  } else {
    const fork = options.kind === 'fork-merge-request';
    let sourceProjectId = project.id;
    if (fork) {
      const forkProject = gitlab.addProject({ path: `fork-owner-${suffix}/project`, branches: ['main', 'feature'], forkedFromProjectId: project.id });
      sourceProjectId = forkProject.id;
    } else {
      pushBranch(repos, 'feature', options.branchFiles ?? { 'src/feature.txt': 'new feature\n' });
    }
    const state = options.kind === 'closed-merge-request' ? 'closed' : 'opened';
    const mr = gitlab.addMergeRequest(project.id, {
      sourceBranch: 'feature',
      targetBranch: 'main',
      title: options.title ?? 'Add the feature',
      description: options.description ?? 'This adds the feature.',
      sourceProjectId,
      state,
      authorId: bob.id,
      diffs: fork
        ? [{ old_path: 'src/app.txt', new_path: 'src/app.txt', a_mode: '100644', b_mode: '100644', diff: '@@ -1 +1 @@\n-hello\n+hello from the fork\n', new_file: false, renamed_file: false, deleted_file: false }]
        : undefined,
    });
    noteable = { type: 'MergeRequest', iid: mr.iid };
    checkoutRef = options.kind === 'merge-request' ? 'feature' : 'main';
    noteableContext = {
      type: 'MergeRequest',
      iid: mr.iid,
      title: options.title ?? 'Add the feature',
      url: `${webBase}/-/merge_requests/${mr.iid}`,
      state,
      source_branch: 'feature',
      target_branch: 'main',
      source_project_id: sourceProjectId,
      fork,
      commit_sha: null,
    };
  }

  let discussionId: string | undefined;
  (options.earlierNotes ?? []).forEach((body, index) => {
    const created = gitlab.addNote(project.id, noteable, { body, authorId: bob.id, discussionId, createdAt: minutesAgo(30 - index) });
    discussionId ??= created.discussionId;
  });
  const triggerAt = minutesAgo(1);
  const trigger = gitlab.addNote(project.id, noteable, { body: instruction, authorId: dana.id, discussionId, createdAt: triggerAt });
  const tracking = gitlab.addNote(project.id, noteable, {
    body: trackingNoteBody('Claude is on it: pipeline #1', { runId: options.runId }),
    authorId: bot.id,
    discussionId: trigger.discussionId,
    createdAt: new Date(triggerAt.getTime() + 1_000),
  });

  const context: FlowContextV1 = {
    version: 1,
    gitlab_url: host.url,
    project: { id: project.id, path: project.path, default_branch: 'main' },
    noteable: noteableContext,
    discussion_id: trigger.discussionId,
    trigger_note_ids: [trigger.id],
    tracking_note_id: tracking.id,
    author: { id: dana.id, username: dana.username },
    triggered_at: triggerAt.toISOString(),
    position: null,
  };
  const checkoutDir = checkout(repos, checkoutRef);
  return {
    repos,
    projectId: project.id,
    projectPath: project.path,
    noteable,
    context,
    instruction,
    checkoutDir,
    checkoutRef,
    botToken: bot.token,
    bobToken: bob.token,
    userIds: { bot: bot.id, dana: dana.id, bob: bob.id },
    trackingNote: () => gitlab.notes(project.id, noteable).find((note) => note.id === tracking.id)!,
    notes: () => gitlab.notes(project.id, noteable),
  };
}

/**
 * The next request in the same thread, after an earlier run closed its note: `between` are bob's notes
 * written since, then dana's new @claude note and the service's new tracking reply; a fresh checkout.
 */
export function followUpScenario(host: ScenarioHost, earlier: Scenario, input: { instruction: string; between?: string[] }): Scenario {
  const { gitlab } = host;
  const { projectId, noteable, userIds } = earlier;
  const discussionId = earlier.context.discussion_id ?? undefined;
  const start = Date.now();
  (input.between ?? []).forEach((body, index) => gitlab.addNote(projectId, noteable, { body, authorId: userIds.bob, discussionId, createdAt: new Date(start + 100 + index) }));
  const triggerAt = new Date(start + 1_000);
  const trigger = gitlab.addNote(projectId, noteable, { body: input.instruction, authorId: userIds.dana, discussionId, createdAt: triggerAt });
  const tracking = gitlab.addNote(projectId, noteable, { body: trackingNoteBody('Claude is on it: pipeline #2'), authorId: userIds.bot, discussionId, createdAt: new Date(start + 2_000) });
  counter += 1;
  const checkoutDir = checkout(earlier.repos, earlier.checkoutRef, `build-${counter}`);
  return {
    ...earlier,
    instruction: input.instruction,
    checkoutDir,
    context: { ...earlier.context, trigger_note_ids: [trigger.id], tracking_note_id: tracking.id, triggered_at: new Date(start + 1_500).toISOString() },
    trackingNote: () => gitlab.notes(projectId, noteable).find((note) => note.id === tracking.id)!,
  };
}

/** The job environment for the runner: GitLab's predefined variables, the service's three, the token. */
export function jobEnvironment(host: ScenarioHost, scenario: Scenario, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    AI_FLOW_INPUT: scenario.instruction,
    AI_FLOW_EVENT: 'mention',
    AI_FLOW_CONTEXT: JSON.stringify(scenario.context),
    CI_API_V4_URL: `${host.url}/api/v4`,
    CI_SERVER_URL: host.url,
    CI_PROJECT_ID: String(scenario.projectId),
    CI_PROJECT_PATH: scenario.projectPath,
    CI_PROJECT_DIR: scenario.checkoutDir,
    CI_DEFAULT_BRANCH: 'main',
    CI_COMMIT_REF_NAME: scenario.checkoutRef,
    CI_JOB_URL: `${host.url}/${scenario.projectPath}/-/jobs/77`,
    CI_PIPELINE_URL: `${host.url}/${scenario.projectPath}/-/pipelines/66`,
    CI_JOB_TOKEN: 'job-token-that-must-not-reach-claude',
    GITLAB_TOKEN: scenario.botToken,
    ANTHROPIC_API_KEY: 'sk-ant-fake-key-for-tests',
    FAKE_CLAUDE_RECORD: join(tempDir('record'), 'calls.jsonl'),
    CLAUDE_FLOW_PROGRESS_INTERVAL_SECONDS: '1',
    ...extra,
  };
}
