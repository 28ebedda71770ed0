// The one typed configuration both stacks are built from. Parsing is pure (the caller reads the file), so
// tests can feed it broken input and the synth fails before any resource is constructed.
import { z } from 'zod';

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid infra config:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

// Settings of the service that an operator may tune. Everything else the service reads is wired by infra
// (names, secrets) and must not be overridden by hand, least of all a token in plain text.
export const TUNABLE_SERVICE_ENV = [
  'TRIGGER_PHRASE',
  'DEBOUNCE_MS',
  'MAX_CONCURRENT_PIPELINES',
  'MIN_ACCESS_LEVEL',
  'ALLOW_CONFIDENTIAL',
  'LOG_LEVEL',
  'MAX_BODY_BYTES',
  'THREAD_RUN_BUDGET',
  'THREAD_RUN_WINDOW_MS',
  'SLOT_LEASE_MS',
  'STALLED_WORK_AFTER_MS',
] as const;
const WIRED_SERVICE_ENV: Record<string, string> = {
  GITLAB_TOKEN: 'comes from Secret Manager; add it with the secret command, never in the config',
  GITLAB_WEBHOOK_SECRET: 'comes from Secret Manager; add it with the secret command, never in the config',
  GITLAB_TRIGGER_TOKEN: 'comes from Secret Manager; add it with the secret command, never in the config',
  PORT: 'is set by Cloud Run itself',
  GITLAB_URL: 'is taken from gitlab.url',
  GOOGLE_CLOUD_PROJECT: 'is taken from project.id',
  PUBSUB_TOPIC: 'is wired by infra',
  PUBSUB_DEAD_LETTER_TOPIC: 'is wired by infra',
  MAX_DELIVERY_ATTEMPTS: 'is wired by infra (service.maxDeliveryAttempts)',
  PUBSUB_SUBSCRIPTION: 'must stay unset in push mode',
  PUBSUB_PUSH_AUDIENCE: 'is wired by infra',
  PUBSUB_PUSH_SERVICE_ACCOUNT: 'is wired by infra',
  STORE: 'is wired by infra (firestore)',
  FIRESTORE_DATABASE: 'is taken from service.firestoreDatabase',
  PUBSUB_PUSH_AUTH_DISABLED: 'is for the emulator only: it would accept unauthenticated push requests',
  PUBSUB_EMULATOR_HOST: 'is for the emulator only',
  FIRESTORE_EMULATOR_HOST: 'is for the emulator only',
};

// Only for a wrong type: other issues (an unknown key, say) keep zod's own message.
const required = (what: string) => ({
  error: (issue: { code?: string; input: unknown }) => {
    if (issue.code !== 'invalid_type' && issue.code !== 'invalid_union') return undefined;
    return issue.input === undefined ? `is required (${what})` : `must be ${what}`;
  },
});

const gcpProjectId = z
  .string(required('the GCP project id, e.g. "my-project"'))
  .regex(/^[a-z][a-z0-9-]{4,28}[a-z0-9]$/, 'must be a GCP project id (6-30 lowercase letters, digits, hyphens)');

const gcpRegion = z
  .string(required('a region such as "europe-west1"'))
  .regex(/^[a-z]+-[a-z]+[0-9]+$/, 'must be a region such as "europe-west1"');

// GitLab ids, never paths: a path can be freed and re-registered by someone else, an id cannot.
const numericId = (what: string) =>
  z.union([z.number(), z.string()], required(`a numeric ${what}`)).transform((value, ctx) => {
    const text = String(value);
    if (/^[1-9][0-9]{0,18}$/.test(text)) return text;
    const hint = text.includes('/') ? ' (that is a path: use the numeric id shown in GitLab, paths can be re-registered)' : '';
    ctx.addIssue({ code: 'custom', message: `must be a numeric ${what}, got ${JSON.stringify(value)}${hint}` });
    return z.NEVER;
  });

const idList = (what: string) =>
  z
    .array(numericId(what), required(`a list of numeric ${what}s`))
    .min(1, `must list at least one ${what}`)
    .refine((ids) => new Set(ids).size === ids.length, `must not repeat a ${what}`);

// WIF pool and provider ids: 4-32 characters; the "gcp-" prefix is reserved by Google.
const wifId = z
  .string()
  .regex(/^[a-z0-9-]{4,32}$/, 'must be 4-32 lowercase letters, digits or hyphens')
  .refine((id) => !id.startsWith('gcp-'), 'must not start with "gcp-" (reserved by Google)');

const accountId = z
  .string()
  .regex(/^[a-z][a-z0-9-]{4,28}[a-z0-9]$/, 'must be a service account id (6-30 lowercase letters, digits, hyphens)');

const gitlabUrl = z
  .string(required('the GitLab URL, e.g. "https://gitlab.com"'))
  .transform((url, ctx) => {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      ctx.addIssue({ code: 'custom', message: `must be a URL such as "https://gitlab.com", got ${JSON.stringify(url)}` });
      return z.NEVER;
    }
    if (parsed.protocol !== 'https:') {
      ctx.addIssue({ code: 'custom', message: 'must use https (Google only accepts an https OIDC issuer)' });
      return z.NEVER;
    }
    // The issuer must equal the token's `iss` claim byte for byte, and GitLab writes it without a slash.
    return url.replace(/\/+$/, '');
  });

// A JWKS document for an instance Google cannot reach; accepted as the object or its JSON text.
const jwks = z
  .union([z.string(), z.record(z.string(), z.unknown())])
  .transform((value, ctx) => {
    let doc: unknown;
    try {
      doc = typeof value === 'string' ? JSON.parse(value) : value;
    } catch {
      doc = undefined;
    }
    const keys = (doc as { keys?: unknown } | undefined)?.keys;
    if (!Array.isArray(keys) || keys.length === 0) {
      ctx.addIssue({ code: 'custom', message: 'must be a JWKS document with a non-empty "keys" array (GitLab serves it at /oauth/discovery/keys)' });
      return z.NEVER;
    }
    return JSON.stringify(doc);
  });

const serviceEnv = z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).transform((env, ctx) => {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(env)) {
    if (key in WIRED_SERVICE_ENV) {
      ctx.addIssue({ code: 'custom', path: [key], message: `${key} ${WIRED_SERVICE_ENV[key]}` });
    } else if (!(TUNABLE_SERVICE_ENV as readonly string[]).includes(key)) {
      ctx.addIssue({ code: 'custom', path: [key], message: `unknown setting; allowed: ${TUNABLE_SERVICE_ENV.join(', ')}` });
    } else {
      out[key] = String(value);
    }
  }
  return out;
});

const count = (min: number, max: number) => z.number().int().min(min).max(max);

const schema = z
  .strictObject({
    $comment: z.unknown().optional(),
    project: z.strictObject(
      {
        id: gcpProjectId,
        number: z
          .union([z.string(), z.number()], required('the GCP project number (gcloud projects describe ID)'))
          .transform(String)
          .pipe(z.string().regex(/^[1-9][0-9]{5,18}$/, 'must be the numeric GCP project number (gcloud projects describe ID --format="value(projectNumber)")')),
        region: gcpRegion,
      },
      required('an object with id, number and region'),
    ),
    gitlab: z.strictObject(
      {
        url: gitlabUrl,
        namespaceIds: idList('GitLab namespace id'),
        projectIds: idList('GitLab project id'),
        requireProtectedRef: z.boolean().default(false),
        jwks: jwks.nullish(),
      },
      required('an object with url, namespaceIds and projectIds'),
    ),
    wif: z
      .strictObject({
        poolId: wifId.default('gitlab'),
        providerId: wifId.default('gitlab'),
        runnerAccountId: accountId.default('claude-gitlab-runner'),
        vertexRegion: z
          .string()
          .regex(/^(global|[a-z]+-[a-z]+[0-9]+)$/, 'must be "global" or a region such as "us-east5"')
          .default('global'),
      })
      .prefault({}),
    service: z
      .strictObject({
        // Derived names (service accounts "<name>-run", "<name>-push") must stay within 30 characters.
        name: z
          .string()
          .regex(/^[a-z][a-z0-9-]{4,22}[a-z0-9]$/, 'must be 6-24 lowercase letters, digits or hyphens')
          .default('claude-gitlab-flow'),
        // The Dockerfile's service target; its runner target (Claude Code, pushed as runner:TAG) is the CI job image.
        image: z
          .string()
          .min(1)
          .refine((image) => !/\/runner(:[^/]*)?(@sha256:[0-9a-f]+)?$/.test(image), 'names the runner image: Cloud Run runs the Dockerfile\'s service target (…/service:TAG)')
          .nullish(),
        minInstances: count(0, 100).default(0),
        maxInstances: count(1, 1000).default(3),
        concurrency: count(1, 1000).default(80),
        cpu: z.string().default('1'),
        memory: z.string().default('512Mi'),
        timeoutSeconds: count(10, 3600).default(300),
        deletionProtection: z.boolean().default(true),
        useTriggerToken: z.boolean().default(true),
        /** The status page (/status): a STATUS_TOKEN secret for it, which the service reads. Off by default. */
        statusPage: z.boolean().default(false),
        firestoreDatabase: z
          .string()
          .regex(/^[a-z][a-z0-9-]{2,61}[a-z0-9]$/, 'must be 4-63 lowercase letters, digits or hyphens')
          .default('claude-gitlab-flow'),
        firestoreLocation: z.string().min(1).nullish(),
        ackDeadlineSeconds: count(10, 600).default(60),
        maxDeliveryAttempts: count(5, 100).default(10),
        env: serviceEnv.default({}),
      })
      .prefault({})
      .refine((s) => s.minInstances <= s.maxInstances, { message: 'minInstances must not exceed maxInstances' }),
    // Where the service's alert policies notify (docs/operations.md); no channel: incidents show in the console only.
    alerts: z
      .strictObject({
        notificationChannels: z
          .array(z.string().regex(/^projects\/[^/]+\/notificationChannels\/[^/]+$/, 'must be projects/<project>/notificationChannels/<id>'))
          .default([]),
        emails: z.array(z.email('must be an e-mail address')).default([]),
        webhook503PerFiveMinutes: count(0, 100_000).default(5),
      })
      .prefault({}),
    stateBucket: z.string().min(3).nullish(),
    enableApis: z.boolean().default(true),
  });

type Parsed = z.output<typeof schema>;

export interface InfraConfig {
  project: Parsed['project'];
  gitlab: Omit<Parsed['gitlab'], 'jwks'> & { jwksJson?: string };
  wif: Parsed['wif'];
  alerts: Parsed['alerts'];
  service: Omit<Parsed['service'], 'image' | 'firestoreLocation'> & { image?: string; firestoreLocation: string };
  stateBucket?: string;
  enableApis: boolean;
}

export function parseConfig(raw: unknown): InfraConfig {
  const result = schema.safeParse(raw);
  if (!result.success) {
    throw new ConfigError(
      result.error.issues.map((issue) => {
        const where =
          issue.path.length > 0
            ? issue.path.map((key, i) => (typeof key === 'number' ? `[${key}]` : `${i > 0 ? '.' : ''}${String(key)}`)).join('')
            : 'config';
        return `${where}: ${issue.message}`;
      }),
    );
  }
  const { project, gitlab, wif, alerts, service, stateBucket, enableApis } = result.data;
  const { jwks: jwksJson, ...gitlabRest } = gitlab;
  const { image, firestoreLocation, ...serviceRest } = service;
  return {
    project,
    gitlab: { ...gitlabRest, ...(jwksJson ? { jwksJson } : {}) },
    wif,
    alerts,
    service: { ...serviceRest, ...(image ? { image } : {}), firestoreLocation: firestoreLocation ?? project.region },
    ...(stateBucket ? { stateBucket } : {}),
    enableApis,
  };
}
