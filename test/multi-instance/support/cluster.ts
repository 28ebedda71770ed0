import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FirestoreStore } from '../../../service/store/firestore/firestore-store.js';
import { AccessLevel, startGitLabStandIn, type GitLabStandIn, type ProjectInfo, type StandInOptions } from '../../../standins/gitlab/index.js';
import { TEST_WEBHOOK_TOKEN } from '../../../devtools/payloads.js';
import { startServiceProcess, type ServiceProcess } from '../../../devtools/service-process.js';
import { startFrontDoor, type FrontDoor, type FrontDoorOptions } from './front-door.js';
import { setUpPubSub, type PubSubSetUp, type PubSubSide, type TappedMessage, type Topology } from './pubsub-side.js';

// Several service processes sharing one Pub/Sub subscription and one Firestore database (the
// emulators), behind one front door, in front of one stand-in GitLab whose projects send their Note
// Hooks and Pipeline Hooks to that front door: a small production deployment on one machine.

export interface ClusterOptions {
  pubsubHost: string;
  firestoreHost: string;
  /** Instance names, started in parallel. Default A and B. */
  instances?: string[];
  projects: number;
  /** Settings for every instance (DEBOUNCE_MS, MAX_CONCURRENT_PIPELINES, ...). */
  env?: Record<string, string>;
  standIn?: StandInOptions;
  copies?: FrontDoorOptions['copies'];
  /** Projects whose hook is registered twice (GitLab then sends every event twice, with different keys). */
  doubleHookProjects?: number[];
  pubsub?: Omit<PubSubSetUp, 'pushEndpoint'>;
  /**
   * `pull` (default): every instance streams from the one subscription. `push`: Pub/Sub pushes to the
   * front door, which spreads the pushes over the instances (Cloud Run's mode).
   */
  receive?: 'pull' | 'push';
}

export interface Users {
  bot: { id: number; token: string };
  /** Developers: authorised. */
  dana: { id: number; token: string };
  eve: { id: number; token: string };
  /** A Reporter: her mentions are refused by the worker. */
  rita: { id: number; token: string };
}

export interface Cluster {
  gitlab: GitLabStandIn;
  frontDoor: FrontDoor;
  pubsub: PubSubSide;
  topology: Topology;
  prefix: string;
  users: Users;
  projects: ProjectInfo[];
  instance(name: string): ServiceProcess;
  /** Every process that ran under this name, oldest first (a restart adds one). */
  history(name: string): ServiceProcess[];
  /** Starts (or starts again) an instance and puts it behind the front door. */
  start(name: string): Promise<ServiceProcess>;
  /** SIGKILL: takes it out of the front door only once it is dead, as a load balancer notices late. */
  kill(name: string): Promise<void>;
  /** Out of the front door, then SIGTERM; the exit it made. */
  stop(name: string): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Written (with the front door's records) to MULTI_INSTANCE_LOG_DIR on close, when set. */
  artifacts: Record<string, unknown>;
  /** A store client on the same collections, to look at what is left. */
  store(): FirestoreStore;
  close(): Promise<void>;
}

export const GOOGLE_PROJECT = 'demo-claude-gitlab-flow';

export async function startCluster(options: ClusterOptions): Promise<Cluster> {
  const id = randomUUID().slice(0, 8);
  const topology: Topology = { projectId: GOOGLE_PROJECT, topic: `mi-${id}`, subscription: `mi-${id}-worker`, deadLetterTopic: `mi-${id}-dead-letter` };
  const prefix = `mi${id}_`;
  const gitlab = await startGitLabStandIn(options.standIn);
  const bot = gitlab.addUser({ username: 'claude-bot', name: 'Claude' });
  const dana = gitlab.addUser({ username: 'dana' });
  const eve = gitlab.addUser({ username: 'eve' });
  const rita = gitlab.addUser({ username: 'rita' });
  const frontDoor = await startFrontDoor({ copies: options.copies });
  const projects: ProjectInfo[] = [];
  for (let index = 0; index < options.projects; index += 1) {
    // Unprotected default branch: the bot is a Developer, and GitLab refuses it pipelines on a protected one.
    const project = gitlab.addProject({ path: `team-${index}/app`, branches: ['main', `feature-${index}`], protectedBranches: [] });
    gitlab.addMember(project.id, bot.id, AccessLevel.developer);
    gitlab.addMember(project.id, dana.id, AccessLevel.developer);
    gitlab.addMember(project.id, eve.id, AccessLevel.maintainer);
    gitlab.addMember(project.id, rita.id, AccessLevel.reporter);
    const hooks = options.doubleHookProjects?.includes(index) ? 2 : 1;
    for (let hook = 0; hook < hooks; hook += 1) {
      gitlab.registerWebhook(project.id, { url: `${frontDoor.url}/webhooks/gitlab`, token: TEST_WEBHOOK_TOKEN, noteEvents: true });
    }
    projects.push(project);
  }
  const push = options.receive === 'push';
  const pubsub = await setUpPubSub(options.pubsubHost, topology, { ...options.pubsub, ...(push ? { pushEndpoint: `${frontDoor.url}/pubsub/push` } : {}) });

  const env: Record<string, string> = {
    GITLAB_URL: gitlab.url,
    GITLAB_TOKEN: bot.token,
    GITLAB_WEBHOOK_SECRET: TEST_WEBHOOK_TOKEN,
    GOOGLE_CLOUD_PROJECT: topology.projectId,
    PUBSUB_EMULATOR_HOST: options.pubsubHost,
    FIRESTORE_EMULATOR_HOST: options.firestoreHost,
    PUBSUB_TOPIC: topology.topic,
    ...(push ? { PUBSUB_PUSH_AUTH_DISABLED: 'true' } : { PUBSUB_SUBSCRIPTION: topology.subscription }),
    PUBSUB_DEAD_LETTER_TOPIC: topology.deadLetterTopic,
    FIRESTORE_COLLECTION_PREFIX: prefix,
    LOG_LEVEL: 'info',
    ...options.env,
  };
  const histories = new Map<string, ServiceProcess[]>();
  const logDir = globalThis.process.env.MULTI_INSTANCE_LOG_DIR;
  const stores: FirestoreStore[] = [];

  const cluster: Cluster = {
    gitlab,
    frontDoor,
    pubsub,
    topology,
    prefix,
    users: { bot, dana, eve, rita },
    projects,
    artifacts: {},
    instance(name) {
      const current = histories.get(name)?.at(-1);
      if (!current) throw new Error(`no instance ${name}`);
      return current;
    },
    history: (name) => [...(histories.get(name) ?? [])],
    async start(name) {
      const generation = (histories.get(name)?.length ?? 0) + 1;
      // MULTI_INSTANCE_LOG_DIR=/some/dir keeps every instance's log lines, one file per process.
      const logFile = logDir ? join(logDir, `${topology.topic}-${name}${generation}.log`) : undefined;
      const process = await startServiceProcess({ name: `instance ${name}`, env, logFile });
      histories.set(name, [...(histories.get(name) ?? []), process]);
      frontDoor.setBackend(name, process.url);
      return process;
    },
    async kill(name) {
      await cluster.instance(name).kill();
      frontDoor.setBackend(name, null);
    },
    async stop(name) {
      // As Cloud Run scales in: no new requests for the instance, then SIGTERM (in-flight requests finish).
      frontDoor.setBackend(name, null);
      return cluster.instance(name).stop();
    },
    store() {
      const store = new FirestoreStore({ projectId: topology.projectId, emulatorHost: options.firestoreHost, collectionPrefix: prefix });
      stores.push(store);
      return store;
    },
    async close() {
      await Promise.allSettled([...histories.values()].flat().map((process) => process.stop(10_000)));
      if (logDir) {
        const artifacts = { ...cluster.artifacts, frontDoor: frontDoor.records(), pushes: frontDoor.pushes(), tapped: pubsub.tapped(), deadLettered: pubsub.deadLettered(), pipelines: gitlab.pipelines() };
        writeFileSync(join(logDir, `${topology.topic}-artifacts.json`), JSON.stringify(artifacts, null, 1));
      }
      await frontDoor.close();
      await gitlab.close();
      await pubsub.close();
      await Promise.allSettled(stores.map((store) => store.close()));
    },
  };
  try {
    await Promise.all((options.instances ?? ['A', 'B']).map((name) => cluster.start(name)));
  } catch (error) {
    await cluster.close();
    throw error;
  }
  return cluster;
}

export type { TappedMessage };
