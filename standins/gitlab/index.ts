/**
 * Stand-in GitLab: an in-process HTTP server that follows GitLab's REST API v4 as documented, for the
 * integration tests, the demo and the benchmarks (no real GitLab can run here). It is strict on purpose:
 * it rejects what GitLab rejects, with GitLab's status codes and body shapes.
 *
 * ```ts
 * const gitlab = await startGitLabStandIn();
 * const bot = gitlab.addUser({ username: 'claude-bot', bot: true });
 * const dana = gitlab.addUser({ username: 'dana' });
 * const project = gitlab.addProject({ path: 'group/project', branches: ['main', 'feature'] });
 * gitlab.addMember(project.id, bot.id, AccessLevel.maintainer);
 * gitlab.addMember(project.id, dana.id, AccessLevel.developer);
 * const issue = gitlab.addIssue(project.id, { title: 'Flaky test', authorId: dana.id });
 * const note = gitlab.addNote(project.id, { type: 'Issue', iid: issue.iid }, { body: '@claude fix it', authorId: dana.id });
 * const triggerToken = gitlab.addTriggerToken(project.id, { ownerId: bot.id });
 * gitlab.registerWebhook(project.id, { url: 'http://127.0.0.1:8080/webhooks/gitlab', token: 'secret' });
 *
 * // ...point the code under test at gitlab.url (API at gitlab.apiUrl) with bot.token...
 *
 * const [pipeline] = gitlab.pipelines(project.id);          // ref, source, variables (a map), status
 * await gitlab.finishPipeline(project.id, pipeline!.id, 'success'); // sends the Pipeline Hook
 * gitlab.notes(project.id, { type: 'Issue', iid: issue.iid }); // what the code wrote in the thread
 * await gitlab.close();
 * ```
 *
 * Things that surprise people, all as on GitLab:
 * - The default branch is protected (Maintainers only), and GitLab only runs a pipeline on a protected
 *   branch for users who may push or merge to it: a Developer bot gets 400 "You do not have sufficient
 *   permission to run a pipeline on 'main'". Pass `protectedBranches: []` to addProject to lift that.
 * - `POST /projects/:id/pipeline` takes variables as an array of {key, value}; the trigger API as a map.
 *   Each refuses the other's format with 400.
 * - Every pipeline status change sends a Pipeline Hook (pending, running, then the final one). Receivers
 *   must look at `object_attributes.status`. `pipelines: { hookOn: 'finish' }` sends only the last.
 * - With `registerWebhook(..., { noteEvents: true })` every comment sends a Note Hook: seeded ones
 *   (`addNote`, unless `hook: false`) and the ones the code under test writes through the API, edits
 *   included (`action: "update"`). Comments on confidential issues and internal notes arrive as
 *   "Confidential Note Hook". System notes send none.
 * - Trigger pipelines carry a TRIGGER_PAYLOAD file variable (in the API and hooks, not in the
 *   `variables` map of `pipelines()`).
 * - Faults: `setFaults({ rate429Rate, error500Rate, retryAfterSeconds, seed })` (seeded, deterministic),
 *   `queueFault({ status: 429, path: /pipeline$/ })` for exactly the next matching call, `setRateLimit`
 *   for a real per-token window, `setLatency`. A 429 is GitLab's: "Retry later", Retry-After, RateLimit-*.
 * - Ids come from separate ranges (issues 1001+, MRs 2001+, notes 5001+, pipelines 9001+), so an id
 *   passed where an iid belongs is a 404.
 * - Note authors (UserBasic) carry no `bot` field: ask GET /users/:id.
 * - Webhooks (`GET /projects/:id/hooks`) and CI/CD variables need Maintainer (403 below). The CI lint API
 *   reads `setCiConfig(projectId, yaml)` and resolves `include: remote:` from `addRemoteFile(url, text)`
 *   only; other include kinds throw.
 * - Only JSON and application/x-www-form-urlencoded bodies are read (with Rack's nested keys:
 *   `variables[K]=v`, `variables[][key]=K`); multipart bodies are not.
 */
export { startGitLabStandIn, GitLabStandIn } from './standin.js';
export type { StandInOptions } from './standin.js';
export type { PipelineRecord, NoteRecord, DiscussionRecord, AwardRecord, MergeRequestRecord } from './inspect.js';
export type { NewUser, NewProject, ProjectInfo, NewIssue, NewMergeRequest, NewNote, NoteableSpec } from './seed.js';
export type { RecordedRequest } from './http/server.js';
export type { FaultSettings, QueuedFault, LatencySettings, FaultMatch } from './http/faults.js';
export type { RateLimitSettings } from './http/rate-limit.js';
export type { HookDelivery, HookAttempt, DeliveryOptions } from './hooks/deliver.js';
export type { PipelineAutomation } from './pipelines/lifecycle.js';
export type { VariableLimits } from './pipelines/variables.js';
export { GITLAB_COM_VARIABLE_LIMITS } from './pipelines/variables.js';
export { hookTime } from './hooks/pipeline-payload.js';
export { AccessLevel, FINISHED_STATUSES, PIPELINE_STATUSES } from './types.js';
export type {
  DiffFile, NoteableType, PipelineStatus, PipelineVariable, ProtectedBranch, UserState, Visibility,
} from './types.js';
