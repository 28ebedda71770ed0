import { z } from 'zod';
import type { ScopedSecret } from './ingest/webhook-secrets.js';
import type { ProjectScope } from './project-scope.js';
import { parseScopedSecrets, parseScopes, splitList } from './config-lists.js';

// Every setting the service reads, parsed once from the environment by this one pure function. The
// names are a public contract (docs/configuration.md); nothing else reads process.env.

export type StoreKind = 'memory' | 'firestore';

export interface Config {
  port: number;
  gitlabUrl: string;
  gitlabToken: string;
  /** Accepted `X-Gitlab-Token` values for every project no scoped secret covers; several during a rotation. */
  webhookSecrets: string[];
  /** Secrets that open only their projects or groups (GITLAB_WEBHOOK_SECRETS). */
  scopedWebhookSecrets: ScopedSecret[];
  /** Projects the service acts for; empty: every project. */
  allowedProjects: ProjectScope[];
  triggerToken: string | null;
  triggerPhrase: string;
  /** TRIGGER_LABEL: a label whose addition to an issue or MR starts a run; null: labels do not trigger. */
  triggerLabel: string | null;
  /** REVIEW_ON_READY: a draft MR marked ready gets a review. */
  reviewOnReady: boolean;
  debounceMs: number;
  maxConcurrentPipelines: number;
  minAccessLevel: number;
  allowConfidential: boolean;
  /** Runs one author, and one project, may start per UTC day. */
  authorRunsPerDay: number;
  projectRunsPerDay: number;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  maxBodyBytes: number;
  /** Runs one thread may start within `threadRunWindowMs`: a second loop guard behind the bot checks. */
  threadRunBudget: number;
  threadRunWindowMs: number;
  /** How long a pipeline may hold a project slot without a Pipeline Hook (should exceed the job timeout). */
  slotLeaseMs: number;
  /** Work untouched in the store for this long has lost its queue message: queue it again. */
  stalledWorkAfterMs: number;
  /** Deliveries of one message before it is dead-lettered (match the subscription's policy). */
  maxDeliveryAttempts: number;
  google: {
    projectId: string | null;
    pubsubTopic: string | null;
    pubsubSubscription: string | null;
    /** Where this service itself republishes a message after its last attempt (the emulator has no dead-lettering). */
    pubsubDeadLetterTopic: string | null;
    pushAudience: string | null;
    pushServiceAccount: string | null;
    /** Emulator only: accept push requests without an OIDC token. */
    pushAuthDisabled: boolean;
    pubsubEmulatorHost: string | null;
    firestoreEmulatorHost: string | null;
    firestoreDatabase: string;
    /** Prefix of every Firestore collection, so several deployments (or test runs) can share a database. */
    firestoreCollectionPrefix: string;
  };
  store: StoreKind;
  /** STATUS_TOKEN: opens GET /status (and pause/resume on it); null: the status page is off (404). */
  statusToken: string | null;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

const integer = (min: number, max = Number.MAX_SAFE_INTEGER) =>
  z
    .string()
    .trim()
    .regex(/^\d+$/, 'must be a whole number')
    .transform(Number)
    .pipe(z.number().int().min(min).max(max));

const boolean = z
  .string()
  .trim()
  .toLowerCase()
  .refine((value) => ['true', 'false', '1', '0', 'yes', 'no'].includes(value), 'must be true or false')
  .transform((value) => ['true', '1', 'yes'].includes(value));

const url = z
  .string()
  .trim()
  .url('must be a URL such as https://gitlab.com')
  .refine((value) => /^https?:\/\//.test(value), 'must start with http:// or https://')
  .transform((value) => value.replace(/\/+$/, ''));

const nonEmpty = z.string().trim().min(1, 'must not be empty');

// Each entry: the variable, its parser, and its default (undefined = required, null = optional).
const settings = {
  PORT: [integer(1, 65535), '8080'],
  GITLAB_URL: [url, 'https://gitlab.com'],
  GITLAB_TOKEN: [nonEmpty, undefined],
  GITLAB_WEBHOOK_SECRET: [nonEmpty, null],
  GITLAB_WEBHOOK_SECRETS: [nonEmpty, null],
  ALLOWED_PROJECTS: [z.string(), ''],
  GITLAB_TRIGGER_TOKEN: [nonEmpty, null],
  TRIGGER_PHRASE: [nonEmpty.refine((value) => !/\s/.test(value), 'must be one word, such as @claude'), '@claude'],
  TRIGGER_LABEL: [nonEmpty, null],
  REVIEW_ON_READY: [boolean, 'false'],
  DEBOUNCE_MS: [integer(0, 600_000), '5000'],
  MAX_CONCURRENT_PIPELINES: [integer(1, 1000), '2'],
  MIN_ACCESS_LEVEL: [integer(10, 50), '30'],
  ALLOW_LOW_ACCESS_LEVEL: [boolean, 'false'],
  ALLOW_CONFIDENTIAL: [boolean, 'false'],
  AUTHOR_RUNS_PER_DAY: [integer(1, 1_000_000), '50'],
  PROJECT_RUNS_PER_DAY: [integer(1, 1_000_000), '500'],
  LOG_LEVEL: [z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']), 'info'],
  MAX_BODY_BYTES: [integer(1024, 26_214_400), '2097152'],
  THREAD_RUN_BUDGET: [integer(1, 10_000), '20'],
  THREAD_RUN_WINDOW_MS: [integer(1000), '86400000'],
  SLOT_LEASE_MS: [integer(1000), '5400000'],
  STALLED_WORK_AFTER_MS: [integer(5000), '600000'],
  MAX_DELIVERY_ATTEMPTS: [integer(5, 100), '10'],
  GOOGLE_CLOUD_PROJECT: [nonEmpty, null],
  PUBSUB_TOPIC: [nonEmpty, null],
  PUBSUB_SUBSCRIPTION: [nonEmpty, null],
  PUBSUB_DEAD_LETTER_TOPIC: [nonEmpty, null],
  PUBSUB_PUSH_AUDIENCE: [nonEmpty, null],
  PUBSUB_PUSH_SERVICE_ACCOUNT: [nonEmpty, null],
  PUBSUB_PUSH_AUTH_DISABLED: [boolean, 'false'],
  PUBSUB_EMULATOR_HOST: [nonEmpty, null],
  FIRESTORE_EMULATOR_HOST: [nonEmpty, null],
  FIRESTORE_DATABASE: [nonEmpty, '(default)'],
  FIRESTORE_COLLECTION_PREFIX: [z.string().trim().regex(/^[A-Za-z0-9_-]{1,40}$/, 'must be letters, digits, _ or - (at most 40)'), 'cgf_'],
  STORE: [z.enum(['memory', 'firestore']), null],
  STATUS_TOKEN: [z.string().trim().min(16, 'must be at least 16 characters (it opens the status page and the pause switch)'), null],
} as const satisfies Record<string, readonly [z.ZodType, string | null | undefined]>;

type SettingName = keyof typeof settings;
type Parsed = { [K in SettingName]: z.output<(typeof settings)[K][0]> | null };

/** Parse the environment; throws ConfigError with one line per bad or missing setting, each naming it. */
export function parseConfig(env: Record<string, string | undefined>): Config {
  const problems: string[] = [];
  const values: Partial<Record<SettingName, unknown>> = {};
  for (const [name, [schema, fallback]] of Object.entries(settings) as Array<[SettingName, readonly [z.ZodType, string | null | undefined]]>) {
    const raw = env[name] === undefined || env[name] === '' ? fallback : env[name];
    if (raw === undefined) {
      problems.push(`${name} is required (${requiredHint[name as keyof typeof requiredHint] ?? 'see README'})`);
      continue;
    }
    if (raw === null) {
      values[name] = null;
      continue;
    }
    const result = schema.safeParse(raw);
    if (result.success) values[name] = result.data;
    // The value itself is never echoed: it may be a secret.
    else problems.push(`${name} ${result.error.issues[0]?.message ?? 'is invalid'}`);
  }
  const v = values as Parsed;
  if (v.GITLAB_WEBHOOK_SECRET === null && v.GITLAB_WEBHOOK_SECRETS === null) {
    problems.push('GITLAB_WEBHOOK_SECRET is required (the secret token set on the GitLab webhook; comma-separate several to rotate), or GITLAB_WEBHOOK_SECRETS');
  }
  if (problems.length === 0) problems.push(...crossChecks(v));
  if (problems.length > 0) throw new ConfigError(`invalid configuration: ${problems.join('; ')}`);

  const pubsubTopic = v.PUBSUB_TOPIC as string | null;
  return {
    port: v.PORT as number,
    gitlabUrl: v.GITLAB_URL as string,
    gitlabToken: v.GITLAB_TOKEN as string,
    webhookSecrets: splitList(v.GITLAB_WEBHOOK_SECRET as string | null),
    scopedWebhookSecrets: parseScopedSecrets(v.GITLAB_WEBHOOK_SECRETS as string | null).secrets,
    allowedProjects: parseScopes(v.ALLOWED_PROJECTS as string).scopes,
    triggerToken: v.GITLAB_TRIGGER_TOKEN as string | null,
    triggerPhrase: v.TRIGGER_PHRASE as string,
    triggerLabel: v.TRIGGER_LABEL as string | null,
    reviewOnReady: v.REVIEW_ON_READY as boolean,
    debounceMs: v.DEBOUNCE_MS as number,
    maxConcurrentPipelines: v.MAX_CONCURRENT_PIPELINES as number,
    minAccessLevel: v.MIN_ACCESS_LEVEL as number,
    allowConfidential: v.ALLOW_CONFIDENTIAL as boolean,
    authorRunsPerDay: v.AUTHOR_RUNS_PER_DAY as number,
    projectRunsPerDay: v.PROJECT_RUNS_PER_DAY as number,
    logLevel: v.LOG_LEVEL as Config['logLevel'],
    maxBodyBytes: v.MAX_BODY_BYTES as number,
    threadRunBudget: v.THREAD_RUN_BUDGET as number,
    threadRunWindowMs: v.THREAD_RUN_WINDOW_MS as number,
    slotLeaseMs: v.SLOT_LEASE_MS as number,
    stalledWorkAfterMs: v.STALLED_WORK_AFTER_MS as number,
    maxDeliveryAttempts: v.MAX_DELIVERY_ATTEMPTS as number,
    google: {
      projectId: v.GOOGLE_CLOUD_PROJECT as string | null,
      pubsubTopic,
      pubsubSubscription: v.PUBSUB_SUBSCRIPTION as string | null,
      pubsubDeadLetterTopic: v.PUBSUB_DEAD_LETTER_TOPIC as string | null,
      pushAudience: v.PUBSUB_PUSH_AUDIENCE as string | null,
      pushServiceAccount: v.PUBSUB_PUSH_SERVICE_ACCOUNT as string | null,
      pushAuthDisabled: v.PUBSUB_PUSH_AUTH_DISABLED as boolean,
      pubsubEmulatorHost: v.PUBSUB_EMULATOR_HOST as string | null,
      firestoreEmulatorHost: v.FIRESTORE_EMULATOR_HOST as string | null,
      firestoreDatabase: v.FIRESTORE_DATABASE as string,
      firestoreCollectionPrefix: v.FIRESTORE_COLLECTION_PREFIX as string,
    },
    // Several instances share work whenever Pub/Sub carries it, so they must share the store too.
    store: (v.STORE as StoreKind | null) ?? (pubsubTopic ? 'firestore' : 'memory'),
    statusToken: v.STATUS_TOKEN as string | null,
  };
}

const requiredHint = {
  GITLAB_TOKEN: "the bot user's personal or project access token with the api scope",
} as const;

function crossChecks(v: Parsed): string[] {
  const problems: string[] = [];
  const secrets = splitList(v.GITLAB_WEBHOOK_SECRET as string | null);
  const scoped = parseScopedSecrets(v.GITLAB_WEBHOOK_SECRETS as string | null);
  problems.push(...scoped.problems);
  if (secrets.length === 0 && scoped.secrets.length === 0 && scoped.problems.length === 0) {
    problems.push('GITLAB_WEBHOOK_SECRET must hold at least one secret');
  }
  if (secrets.some((secret) => secret.length < 16)) problems.push('GITLAB_WEBHOOK_SECRET entries must be at least 16 characters (a guessable secret lets anyone trigger pipelines)');
  const allowed = parseScopes(v.ALLOWED_PROJECTS as string);
  if (allowed.invalid.length > 0) problems.push(`ALLOWED_PROJECTS entries must be project ids or group/project paths (not ${allowed.invalid.map((e) => JSON.stringify(e)).join(', ')})`);
  // Reporters and Guests would start pipelines that carry the project's CI secrets.
  if ((v.MIN_ACCESS_LEVEL as number) < 30 && v.ALLOW_LOW_ACCESS_LEVEL !== true) {
    problems.push('MIN_ACCESS_LEVEL below 30 (Developer) lets Reporters or Guests start pipelines with CI secrets; set ALLOW_LOW_ACCESS_LEVEL=true to accept that');
  }
  if (v.PUBSUB_TOPIC && !v.GOOGLE_CLOUD_PROJECT) problems.push('GOOGLE_CLOUD_PROJECT is required when PUBSUB_TOPIC is set');
  if (v.PUBSUB_SUBSCRIPTION && !v.PUBSUB_TOPIC) problems.push('PUBSUB_SUBSCRIPTION needs PUBSUB_TOPIC');
  if (v.STORE === 'firestore' && !v.GOOGLE_CLOUD_PROJECT) problems.push('GOOGLE_CLOUD_PROJECT is required when STORE=firestore');
  if (v.STORE === 'memory' && v.PUBSUB_TOPIC && !v.PUBSUB_EMULATOR_HOST) {
    problems.push('STORE=memory cannot coordinate several instances sharing PUBSUB_TOPIC; use STORE=firestore');
  }
  if (v.PUBSUB_TOPIC && !v.PUBSUB_SUBSCRIPTION && !v.PUBSUB_PUSH_AUTH_DISABLED && (!v.PUBSUB_PUSH_AUDIENCE || !v.PUBSUB_PUSH_SERVICE_ACCOUNT)) {
    problems.push('PUBSUB_PUSH_AUDIENCE and PUBSUB_PUSH_SERVICE_ACCOUNT are required to receive push deliveries (or set PUBSUB_SUBSCRIPTION to pull)');
  }
  if (v.PUBSUB_PUSH_AUTH_DISABLED && !v.PUBSUB_EMULATOR_HOST) problems.push('PUBSUB_PUSH_AUTH_DISABLED=true is only allowed with PUBSUB_EMULATOR_HOST (the emulator sends no token)');
  return problems;
}
