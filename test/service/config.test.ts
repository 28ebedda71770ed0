import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../../service/config.js';
import { describeConfig } from '../../service/config-summary.js';

const required = { GITLAB_TOKEN: 'glpat-secret-token-value', GITLAB_WEBHOOK_SECRET: 'a-webhook-secret-of-length' };

function errorOf(env: Record<string, string>): string {
  try {
    parseConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error('expected a ConfigError');
}

describe('parseConfig', () => {
  it('applies the documented defaults', () => {
    const config = parseConfig(required);
    expect(config).toMatchObject({
      port: 8080,
      gitlabUrl: 'https://gitlab.com',
      triggerToken: null,
      triggerPhrase: '@claude',
      triggerLabel: null,
      reviewOnReady: false,
      debounceMs: 5000,
      maxConcurrentPipelines: 2,
      minAccessLevel: 30,
      allowConfidential: false,
      logLevel: 'info',
      store: 'memory',
      webhookSecrets: ['a-webhook-secret-of-length'],
    });
    expect(config.google.pubsubTopic).toBeNull();
    expect(config.google.firestoreDatabase).toBe('(default)');
  });

  it('reads the event triggers: TRIGGER_LABEL and REVIEW_ON_READY', () => {
    expect(parseConfig({ ...required, TRIGGER_LABEL: ' claude ', REVIEW_ON_READY: 'true' })).toMatchObject({ triggerLabel: 'claude', reviewOnReady: true });
    expect(errorOf({ ...required, REVIEW_ON_READY: 'maybe' })).toContain('REVIEW_ON_READY must be true or false');
  });

  it('names each missing required setting', () => {
    const message = errorOf({});
    expect(message).toContain('GITLAB_TOKEN is required');
    expect(message).toContain('GITLAB_WEBHOOK_SECRET is required');
  });

  it('splits the webhook secret list for rotation', () => {
    expect(parseConfig({ ...required, GITLAB_WEBHOOK_SECRET: 'first-secret-0123456, second-secret-0123456' }).webhookSecrets).toEqual([
      'first-secret-0123456',
      'second-secret-0123456',
    ]);
  });

  it.each([
    ['PORT', 'eighty', 'PORT must be a whole number'],
    ['PORT', '70000', 'PORT'],
    ['GITLAB_URL', 'gitlab.example.com', 'GITLAB_URL'],
    ['DEBOUNCE_MS', '-5', 'DEBOUNCE_MS must be a whole number'],
    ['MAX_CONCURRENT_PIPELINES', '0', 'MAX_CONCURRENT_PIPELINES'],
    ['ALLOW_CONFIDENTIAL', 'maybe', 'ALLOW_CONFIDENTIAL must be true or false'],
    ['LOG_LEVEL', 'loud', 'LOG_LEVEL'],
    ['TRIGGER_PHRASE', '@claude please', 'TRIGGER_PHRASE must be one word'],
    ['STORE', 'redis', 'STORE'],
  ])('rejects %s=%s with a message naming it', (name, value, expected) => {
    expect(errorOf({ ...required, [name]: value })).toContain(expected);
  });

  it('never echoes a bad value (it may be a secret)', () => {
    const message = errorOf({ ...required, GITLAB_WEBHOOK_SECRET: 'short' });
    expect(message).toContain('GITLAB_WEBHOOK_SECRET');
    expect(message).not.toContain('short,');
    expect(message).not.toMatch(/\bshort\b/);
  });

  it('defaults the store to firestore when Pub/Sub carries the work', () => {
    const config = parseConfig({ ...required, GOOGLE_CLOUD_PROJECT: 'p', PUBSUB_TOPIC: 't', PUBSUB_SUBSCRIPTION: 's' });
    expect(config.store).toBe('firestore');
  });

  it('requires the push verification settings when receiving by push', () => {
    expect(errorOf({ ...required, GOOGLE_CLOUD_PROJECT: 'p', PUBSUB_TOPIC: 't' })).toContain('PUBSUB_PUSH_AUDIENCE and PUBSUB_PUSH_SERVICE_ACCOUNT are required');
  });

  it('allows unauthenticated push only against the emulator', () => {
    expect(errorOf({ ...required, GOOGLE_CLOUD_PROJECT: 'p', PUBSUB_TOPIC: 't', PUBSUB_PUSH_AUTH_DISABLED: 'true' })).toContain('only allowed with PUBSUB_EMULATOR_HOST');
    const config = parseConfig({ ...required, GOOGLE_CLOUD_PROJECT: 'p', PUBSUB_TOPIC: 't', PUBSUB_PUSH_AUTH_DISABLED: 'true', PUBSUB_EMULATOR_HOST: '127.0.0.1:1' });
    expect(config.google.pushAuthDisabled).toBe(true);
  });

  it('describes itself without secrets', () => {
    const config = parseConfig({ ...required, GITLAB_TRIGGER_TOKEN: 'glptt-trigger-token-value' });
    const text = JSON.stringify(describeConfig(config));
    for (const secret of ['glpat-secret-token-value', 'a-webhook-secret-of-length', 'glptt-trigger-token-value']) expect(text).not.toContain(secret);
    expect(text).toContain('"triggerToken":"set"');
  });
  it('refuses MIN_ACCESS_LEVEL below Developer unless ALLOW_LOW_ACCESS_LEVEL=true', () => {
    expect(errorOf({ ...required, MIN_ACCESS_LEVEL: '20' })).toContain('ALLOW_LOW_ACCESS_LEVEL=true');
    expect(parseConfig({ ...required, MIN_ACCESS_LEVEL: '20', ALLOW_LOW_ACCESS_LEVEL: 'true' }).minAccessLevel).toBe(20);
    expect(parseConfig({ ...required, MIN_ACCESS_LEVEL: '40' }).minAccessLevel).toBe(40);
  });

  it('reads ALLOWED_PROJECTS as ids and paths, and refuses anything else', () => {
    const config = parseConfig({ ...required, ALLOWED_PROJECTS: '42, acme/platform ,/solo/' });
    expect(config.allowedProjects.map((scope) => scope.text)).toEqual(['42', 'acme/platform', 'solo']);
    expect(parseConfig(required).allowedProjects).toEqual([]);
    expect(errorOf({ ...required, ALLOWED_PROJECTS: '42,not a path' })).toContain('ALLOWED_PROJECTS');
  });

  it('reads GITLAB_WEBHOOK_SECRETS as scope=secret pairs, alone or beside the shared secret', () => {
    const env = { GITLAB_TOKEN: required.GITLAB_TOKEN, GITLAB_WEBHOOK_SECRETS: '42=secret-of-project-42, acme=secret-of-group-acme' };
    const config = parseConfig(env);
    expect(config.webhookSecrets).toEqual([]);
    expect(config.scopedWebhookSecrets.map((entry) => [entry.scope.text, entry.secret])).toEqual([
      ['42', 'secret-of-project-42'],
      ['acme', 'secret-of-group-acme'],
    ]);
    const bad = errorOf({ ...env, GITLAB_WEBHOOK_SECRETS: 'secret-without-a-scope-0000, acme=short' });
    expect(bad).toContain('entry 1 must be <project id or path>=<secret>');
    expect(bad).toContain('entry 2: the secret must be at least 16 characters');
    expect(bad).not.toContain('secret-without-a-scope-0000');
    expect(JSON.stringify(describeConfig(config))).not.toContain('secret-of-');
  });

  it('has daily run budgets a busy team does not hit', () => {
    expect(parseConfig(required)).toMatchObject({ authorRunsPerDay: 50, projectRunsPerDay: 500 });
  });
});
