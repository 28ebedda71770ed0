import type {
  GitLabUser,
  InstanceFacts,
  LintResult,
  ProjectFacts,
  ProjectHook,
  ProjectInfo,
  TokenInfo,
} from './facts.js';
import { projectPath, type GitLabApi } from './gitlab-api.js';
import { PROBE_REF } from './checks/trigger.js';

// The GitLab calls doctor makes, all reads but the trigger probe (which creates nothing: see trigger.ts).

export async function gatherInstance(api: GitLabApi): Promise<InstanceFacts> {
  const [version, user] = await Promise.all([api.get<{ version: string }>('/version'), api.get<GitLabUser>('/user')]);
  const token = user.status === 200 ? await api.get<TokenInfo>('/personal_access_tokens/self') : null;
  return { version, user, token };
}

export interface ProjectToGather {
  given: string;
  source: ProjectFacts['source'];
}

export async function gatherProject(
  api: GitLabApi,
  target: ProjectToGather,
  bot: GitLabUser,
  triggerToken: string | null,
): Promise<ProjectFacts> {
  const base = projectPath(target.given);
  const project = await api.get<ProjectInfo>(base);
  const facts: ProjectFacts = {
    ...target,
    project,
    member: null,
    hooks: null,
    lint: null,
    variables: null,
    trigger: null,
  };
  if (project.status !== 200 || !project.body) return facts;
  const branch = project.body.default_branch;
  const [member, hooks, lint, variables, trigger] = await Promise.all([
    api.get<{ access_level: number }>(`${base}/members/all/${bot.id}`),
    api.getAll<ProjectHook>(`${base}/hooks`),
    branch ? api.get<LintResult>(`${base}/ci/lint`, { content_ref: branch }) : Promise.resolve(null),
    api.getAll<{ key: string }>(`${base}/variables`),
    // The token alone authenticates the trigger API: sent without the bot's token, as the service does.
    triggerToken
      ? api.postForm(`${base}/trigger/pipeline`, { token: triggerToken, ref: PROBE_REF }, { anonymous: true })
      : Promise.resolve(null),
  ]);
  return { ...facts, member, hooks, lint, variables, trigger };
}
