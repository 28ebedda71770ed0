import type { Config } from '../config.js';
import { checkInstance } from './checks/instance.js';
import { checkFirestore, checkPubSub } from './checks/google.js';
import { checkProject } from './checks/project.js';
import { webhookUrlOf } from './checks/webhook.js';
import type { DoctorContext, GitLabUser } from './facts.js';
import { gatherInstance, gatherProject, type ProjectToGather } from './gather-gitlab.js';
import { gatherPubSub, probeFirestore } from './gather-google.js';
import { createFirestore, createPubSub, googleSettings } from './google-clients.js';
import { gitlabApi, type GitLabApi } from './gitlab-api.js';
import type { DoctorOptions } from './options.js';
import { warn, type CheckResult } from './result.js';

// Gathers the facts and runs the checks: GitLab, then each project, then Google. I/O stays here and in
// gather-*.ts; every judgement is in checks/.

export interface DoctorDeps {
  fetch?: typeof fetch;
  now?: () => Date;
}

export async function runDoctor(config: Config, options: DoctorOptions, deps: DoctorDeps = {}): Promise<CheckResult[]> {
  const ctx: DoctorContext = {
    gitlabUrl: config.gitlabUrl,
    webhookUrl: options.serviceUrl ? webhookUrlOf(options.serviceUrl) : null,
    allowConfidential: config.allowConfidential,
    now: (deps.now ?? (() => new Date()))(),
  };
  const api = gitlabApi({ baseUrl: config.gitlabUrl, token: config.gitlabToken, fetch: deps.fetch });
  return [...(await runGitLab(api, config, options, ctx)), ...(await runGoogle(config))];
}

/** ALLOWED_PROJECTS first, then --project, each once. */
export function projectsToCheck(config: Config, options: DoctorOptions): ProjectToGather[] {
  const seen = new Set<string>();
  const targets: ProjectToGather[] = [];
  const add = (given: string, source: ProjectToGather['source']) => {
    if (seen.has(given.toLowerCase())) return;
    seen.add(given.toLowerCase());
    targets.push({ given, source });
  };
  for (const scope of config.allowedProjects) add(scope.text, 'ALLOWED_PROJECTS');
  for (const project of options.projects) add(project, '--project');
  return targets;
}

async function runGitLab(
  api: GitLabApi,
  config: Config,
  options: DoctorOptions,
  ctx: DoctorContext,
): Promise<CheckResult[]> {
  const instance = await gatherInstance(api);
  const { results, usable } = checkInstance(instance, ctx);
  if (!usable) return results;
  const bot = instance.user.body as GitLabUser;
  const targets = projectsToCheck(config, options);
  if (targets.length === 0) {
    results.push(
      warn(
        'projects',
        'no project to check: ALLOWED_PROJECTS is empty (the service serves every project)',
        'pass --project <id|path> for each project the bot should answer in',
      ),
    );
  }
  // One project at a time: a long list should not look like a burst to GitLab's rate limit.
  for (const target of targets) {
    const facts = await gatherProject(api, target, bot, config.triggerToken);
    results.push(...checkProject(facts, bot, ctx));
  }
  return results;
}

async function runGoogle(config: Config): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  const settings = googleSettings(config);
  if (settings) {
    const pubsub = await createPubSub(config);
    try {
      results.push(...checkPubSub(await gatherPubSub(pubsub, settings), settings));
    } finally {
      await pubsub.close();
    }
  }
  if (config.store === 'firestore') {
    const firestore = await createFirestore(config);
    try {
      const where = { projectId: config.google.projectId ?? '(none)', database: config.google.firestoreDatabase };
      results.push(checkFirestore(await probeFirestore(firestore, config.google.firestoreCollectionPrefix), where));
    } finally {
      await firestore.terminate();
    }
  }
  return results;
}
