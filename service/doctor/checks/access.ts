import type { GitLabUser, ProjectFacts } from '../facts.js';
import { fail, pass, warn, type CheckResult } from '../result.js';

// Can the bot see the project, and does it hold a role that may start pipelines and push branches?

const DEVELOPER = 30;
const ROLES: Record<number, string> = {
  5: 'Minimal Access',
  10: 'Guest',
  15: 'Planner',
  20: 'Reporter',
  30: 'Developer',
  40: 'Maintainer',
  50: 'Owner',
};

export function roleName(level: number): string {
  return ROLES[level] ?? `access level ${level}`;
}

const addMember = (bot: GitLabUser, project: string) =>
  `in ${project}, Manage > Members > Invite members: @${bot.username}, role Developer`;

/** The project answered at all; a path of ALLOWED_PROJECTS that does not may name a group. */
export function checkProjectFound(facts: ProjectFacts, bot: GitLabUser): CheckResult {
  const id = 'project.found';
  const { project, given } = facts;
  if (project.status === 200 && project.body)
    return pass(id, `@${bot.username} sees ${project.body.path_with_namespace} (id ${project.body.id})`);
  if (project.status === 404) {
    const message = `@${bot.username} cannot see project ${given} (${project.error})`;
    const fix = `${addMember(bot, given)}; or correct ${
      facts.source === '--project' ? '--project' : 'ALLOWED_PROJECTS'
    }`;
    // A group path in ALLOWED_PROJECTS is valid for the service; doctor checks projects only.
    if (facts.source === 'ALLOWED_PROJECTS' && !/^\d+$/.test(given)) {
      return warn(
        id,
        `${message}; if ${given} is a group, doctor does not list its projects`,
        `${fix}; pass a group's projects with --project`,
      );
    }
    return fail(id, message, fix);
  }
  return fail(
    id,
    `GET /projects/${given} failed (${project.error})`,
    "run doctor again; if it persists, check GitLab's status",
  );
}

export function checkAccess(facts: ProjectFacts, bot: GitLabUser): CheckResult {
  const id = 'project.access';
  const name = facts.project.body?.path_with_namespace ?? facts.given;
  const member = facts.member;
  if (!member || member.status === 404) {
    return fail(id, `@${bot.username} is not a member of ${name}`, addMember(bot, name));
  }
  if (member.status !== 200 || !member.body)
    return fail(id, `cannot read @${bot.username}'s role in ${name} (${member.error})`, addMember(bot, name));
  const level = member.body.access_level;
  if (level < DEVELOPER) {
    return fail(
      id,
      `@${bot.username} is ${roleName(
        level,
      )} in ${name}: it needs Developer or more to start pipelines and push branches`,
      `in ${name}, Manage > Members: change @${bot.username}'s role to Developer`,
    );
  }
  return pass(id, `@${bot.username} is ${roleName(level)} in ${name}`);
}
