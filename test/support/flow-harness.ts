import { randomUUID } from 'node:crypto';
import { inject } from 'vitest';
import { parseConfig, type Config } from '../../service/config.js';
import type { Backends } from '../../service/backends.js';
import { serve, type RunningService } from '../../service/serve.js';
import { AccessLevel, startGitLabStandIn, type GitLabStandIn, type ProjectInfo, type StandInOptions } from '../../standins/gitlab/index.js';
import { TEST_WEBHOOK_TOKEN } from '../../devtools/payloads.js';
import { captureLogger } from './logs.js';

// The whole service (embedded queue and store) in this process, wired to a stand-in GitLab that sends
// it real Note Hooks and Pipeline Hooks: what a team gets from `npm start` pointed at a project.

export interface FlowWorld {
  gitlab: GitLabStandIn;
  service: RunningService;
  config: Config;
  project: ProjectInfo;
  users: {
    bot: { id: number; token: string };
    dana: { id: number; token: string };
    rita: { id: number; token: string };
    mallory: { id: number; token: string };
    renovate: { id: number; token: string };
  };
  serviceHookId: number;
  logs: () => Array<Record<string, unknown>>;
  logText: () => string;
  close(): Promise<void>;
}

export async function startFlowWorld(options: { env?: Record<string, string>; standIn?: StandInOptions; projectPath?: string; protectDefaultBranch?: boolean; backends?: Backends } = {}): Promise<FlowWorld> {
  const gitlab = await startGitLabStandIn({ pipelines: { hookOn: 'finish' }, ...options.standIn });
  const bot = gitlab.addUser({ username: 'claude-bot', name: 'Claude' });
  const dana = gitlab.addUser({ username: 'dana' });
  const rita = gitlab.addUser({ username: 'rita' });
  const mallory = gitlab.addUser({ username: 'mallory' });
  const renovate = gitlab.addUser({ username: 'renovate-helper', bot: true });
  const project = gitlab.addProject({ path: options.projectPath ?? 'acme/app', branches: ['main', 'feature'], ...(options.protectDefaultBranch ? {} : { protectedBranches: [] }) });
  gitlab.addMember(project.id, bot.id, AccessLevel.developer);
  gitlab.addMember(project.id, dana.id, AccessLevel.developer);
  gitlab.addMember(project.id, rita.id, AccessLevel.reporter);
  gitlab.addMember(project.id, renovate.id, AccessLevel.developer);

  const captured = captureLogger('debug');
  const config: Config = {
    ...parseConfig({
      GITLAB_URL: gitlab.url,
      GITLAB_TOKEN: bot.token,
      GITLAB_WEBHOOK_SECRET: TEST_WEBHOOK_TOKEN,
      DEBOUNCE_MS: '300',
      ...options.env,
    }),
    port: 0,
  };
  const service = await serve(config, captured.logger, { host: '127.0.0.1', ...(options.backends ? { backends: options.backends } : {}) });
  const hook = gitlab.registerWebhook(project.id, { url: `${service.url}/webhooks/gitlab`, token: TEST_WEBHOOK_TOKEN, noteEvents: true });
  return {
    gitlab,
    service,
    config,
    project,
    serviceHookId: hook.id,
    users: { bot, dana, rita, mallory, renovate },
    logs: () => captured.logs,
    logText: captured.text,
    async close() {
      await service.stop();
      await gitlab.close();
    },
  };
}

/**
 * The service on this run's Pub/Sub and Firestore emulators, with a topic and a Firestore collection prefix of its
 * own; pulling (the default), also its subscription and dead-letter topic.
 */
export function emulatorEnv(name: string, options: { pull?: boolean } = {}): Record<string, string> {
  const id = randomUUID().slice(0, 8);
  return {
    GOOGLE_CLOUD_PROJECT: 'demo-claude-gitlab-flow',
    PUBSUB_EMULATOR_HOST: inject('pubsubEmulatorHost'),
    FIRESTORE_EMULATOR_HOST: inject('firestoreEmulatorHost'),
    PUBSUB_TOPIC: `${name}-${id}`,
    ...(options.pull === false ? {} : { PUBSUB_SUBSCRIPTION: `${name}-${id}-worker`, PUBSUB_DEAD_LETTER_TOPIC: `${name}-${id}-dead-letter` }),
    FIRESTORE_COLLECTION_PREFIX: `${name[0]}${id}_`,
  };
}
