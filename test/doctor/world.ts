import { readFileSync } from 'node:fs';
import { doctorMain } from '../../service/doctor/main.js';
import type { CheckResult } from '../../service/doctor/result.js';
import { AccessLevel, startGitLabStandIn, type GitLabStandIn } from '../../standins/gitlab/index.js';

// A correct set-up on the stand-in GitLab (every check ✔), which each test then breaks in one way, and
// a runner that returns what doctor printed, line by line, with its exit status.

export const SERVICE_URL = 'https://claude-gitlab-flow-123456789012.europe-west1.run.app';
export const WEBHOOK_URL = `${SERVICE_URL}/webhooks/gitlab`;
export const PROJECT = 'group/app';
export const templateUrl = (name: string) =>
  `https://gitlab.example/cgf/claude-gitlab-flow/-/raw/v0.1.0/templates/${name}`;

const DAY_MS = 86_400_000;

export interface World {
  gitlab: GitLabStandIn;
  bot: { id: number; username: string; token: string };
  projectId: number;
  hookId: number;
  env: Record<string, string>;
  args: string[];
}

export async function correctWorld(): Promise<World> {
  const gitlab = await startGitLabStandIn();
  const bot = gitlab.addUser({ username: 'claude-bot', bot: true });
  // The seeded token has no expiry; the service's token gets a realistic one.
  const token = gitlab.addToken(bot.id, {
    name: 'claude',
    scopes: ['api', 'write_repository'],
    expiresAt: new Date(Date.now() + 90 * DAY_MS),
  });
  const project = gitlab.addProject({ path: PROJECT });
  gitlab.addMember(project.id, bot.id, AccessLevel.maintainer);
  const { id: hookId } = gitlab.registerWebhook(project.id, {
    url: WEBHOOK_URL,
    token: 'a-webhook-secret-of-16+',
    noteEvents: true,
  });
  for (const name of ['claude-api', 'claude-vertex', 'claude-bedrock']) {
    gitlab.addRemoteFile(templateUrl(`${name}.gitlab-ci.yml`), readFileSync(`templates/${name}.gitlab-ci.yml`, 'utf8'));
  }
  gitlab.setCiConfig(project.id, includeOf('claude-api'));
  for (const key of ['ANTHROPIC_API_KEY', 'GITLAB_TOKEN', 'CLAUDE_FLOW_IMAGE'])
    gitlab.addCiVariable(project.id, key, `value of ${key}`);
  const triggerToken = gitlab.addTriggerToken(project.id, { ownerId: bot.id });
  const env = {
    GITLAB_URL: gitlab.url,
    GITLAB_TOKEN: token,
    GITLAB_WEBHOOK_SECRET: 'a-webhook-secret-of-16+',
    ALLOWED_PROJECTS: PROJECT,
    GITLAB_TRIGGER_TOKEN: triggerToken,
  };
  return { gitlab, bot: { ...bot, token }, projectId: project.id, hookId, env, args: ['--service-url', SERVICE_URL] };
}

export function includeOf(template: string, extra = ''): string {
  return `include:\n  - remote: '${templateUrl(`${template}.gitlab-ci.yml`)}'\n${extra}\nbuild:\n  script: [make]\n`;
}

export interface DoctorRun {
  code: number;
  text: string;
  lines: string[];
}

export async function doctor(env: Record<string, string | undefined>, args: string[] = []): Promise<DoctorRun> {
  let text = '';
  const code = await doctorMain(args, env, { write: (chunk) => (text += chunk) });
  return { code, text, lines: text.trimEnd().split('\n') };
}

export async function doctorJson(
  env: Record<string, string | undefined>,
  args: string[] = [],
): Promise<{ code: number; checks: CheckResult[] }> {
  const run = await doctor(env, [...args, '--json']);
  return { code: run.code, checks: (JSON.parse(run.text) as { checks: CheckResult[] }).checks };
}

/** The one line of a check (by id, and project when given). */
export function lineOf(run: DoctorRun, check: string): string {
  const found = run.lines.filter((line) => new RegExp(`^[✔⚠✘] (\\S+ )?${check.replace('.', '\\.')}: `).test(line));
  if (found.length !== 1) throw new Error(`expected one ${check} line, got ${found.length}:\n${run.text}`);
  return found[0] as string;
}
