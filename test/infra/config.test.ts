import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../../infra/config.js';
import { exampleRawConfig, rawConfigWith, type Json } from './helpers.js';

function problemsOf(raw: unknown): string[] {
  try {
    parseConfig(raw);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}

describe('infra config', () => {
  it('reads the example, filling in defaults', () => {
    const config = parseConfig(exampleRawConfig());
    expect(config.project).toEqual({ id: 'my-gcp-project', number: '123456789012', region: 'europe-west1' });
    expect(config.gitlab).toEqual({
      url: 'https://gitlab.com',
      namespaceIds: ['1111111'],
      projectIds: ['22222222', '33333333'],
      requireProtectedRef: false,
    });
    expect(config.service).toMatchObject({ firestoreLocation: 'europe-west1', maxDeliveryAttempts: 10, useTriggerToken: true });
    expect(config.enableApis).toBe(true);
  });

  it('takes ids as numbers or digit strings, and drops a trailing slash from the GitLab URL', () => {
    const config = parseConfig(rawConfigWith({ project: { number: 123456789012 }, gitlab: { url: 'https://gitlab.example.com/', namespaceIds: [5], projectIds: [6, '7'] } }));
    expect(config.project.number).toBe('123456789012');
    expect(config.gitlab).toMatchObject({ url: 'https://gitlab.example.com', namespaceIds: ['5'], projectIds: ['6', '7'] });
  });

  it('takes the service image, not the runner image (the CI jobs\' Claude Code image)', () => {
    const repo = 'europe-west1-docker.pkg.dev/my-gcp-project/claude-gitlab-flow';
    expect(parseConfig(rawConfigWith({ service: { image: `${repo}/service:0.1.0` } })).service.image).toBe(`${repo}/service:0.1.0`);
    for (const image of [`${repo}/runner:0.1.0`, `${repo}/runner`, `${repo}/runner@sha256:abc123`]) {
      expect(problemsOf(rawConfigWith({ service: { image } })), image).toEqual([
        "service.image: names the runner image: Cloud Run runs the Dockerfile's service target (…/service:TAG)",
      ]);
    }
  });

  it('fails on a missing project id, naming the field', () => {
    const raw = exampleRawConfig();
    delete raw.project.id;
    expect(problemsOf(raw)).toEqual(['project.id: is required (the GCP project id, e.g. "my-project")']);
    expect(() => parseConfig(raw)).toThrow(/Invalid infra config:\n  - project\.id: is required/);
  });

  it('fails on malformed GitLab project ids, and explains why a path is not accepted', () => {
    expect(problemsOf(rawConfigWith({ gitlab: { projectIds: ['group/app', 'abc', 0, -3, 1.5] } }))).toEqual([
      expect.stringMatching(/^gitlab\.projectIds\[0\]: must be a numeric GitLab project id, got "group\/app" \(that is a path.*re-registered\)$/),
      'gitlab.projectIds[1]: must be a numeric GitLab project id, got "abc"',
      'gitlab.projectIds[2]: must be a numeric GitLab project id, got 0',
      'gitlab.projectIds[3]: must be a numeric GitLab project id, got -3',
      'gitlab.projectIds[4]: must be a numeric GitLab project id, got 1.5',
    ]);
    expect(problemsOf(rawConfigWith({ gitlab: { projectIds: [] } }))).toEqual(['gitlab.projectIds: must list at least one GitLab project id']);
    expect(problemsOf(rawConfigWith({ gitlab: { projectIds: ['5', 5] } }))).toEqual(['gitlab.projectIds: must not repeat a GitLab project id']);
    expect(problemsOf(rawConfigWith({ gitlab: { namespaceIds: undefined } }))).toEqual([
      'gitlab.namespaceIds: is required (a list of numeric GitLab namespace ids)',
    ]);
  });

  it.each<[string, Json, string]>([
    ['a bad GCP project id', { project: { id: 'My_Project' } }, 'project.id: must be a GCP project id'],
    ['a project number that is not a number', { project: { number: 'my-gcp-project' } }, 'project.number: must be the numeric GCP project number'],
    ['a plain-http GitLab', { gitlab: { url: 'http://gitlab.internal' } }, 'gitlab.url: must use https'],
    ['a GitLab URL that is not one', { gitlab: { url: 'gitlab.com' } }, 'gitlab.url: must be a URL'],
    ['a JWKS without keys', { gitlab: { jwks: { foo: 1 } } }, 'gitlab.jwks: must be a JWKS document'],
    ['a reserved pool id', { wif: { poolId: 'gcp-gitlab' } }, 'wif.poolId: must not start with "gcp-"'],
    ['a typo in a field name', { gitlab: { projectIDs: ['1'] } }, 'gitlab: Unrecognized key: "projectIDs"'],
    ['min above max instances', { service: { minInstances: 4, maxInstances: 2 } }, 'service: minInstances must not exceed maxInstances'],
    ['a token in plain text', { service: { env: { GITLAB_TOKEN: 'glpat-x' } } }, 'service.env.GITLAB_TOKEN: GITLAB_TOKEN comes from Secret Manager'],
    ['push auth switched off', { service: { env: { PUBSUB_PUSH_AUTH_DISABLED: 'true' } } }, 'service.env.PUBSUB_PUSH_AUTH_DISABLED: PUBSUB_PUSH_AUTH_DISABLED is for the emulator only'],
    ['an unknown setting', { service: { env: { DEBUG: '1' } } }, 'service.env.DEBUG: unknown setting'],
  ])('fails on %s', (_, overrides, problem) => {
    expect(problemsOf(rawConfigWith(overrides))).toEqual([expect.stringContaining(problem)]);
  });

  it('fails on a config that is not an object', () => {
    expect(problemsOf(undefined)).toEqual([expect.stringContaining('config:')]);
  });
});

describe('infra sources', () => {
  // Constructs and stacks take typed config; reading the environment anywhere else hides inputs from the config file.
  it('read the environment and the cdktf context only in main.ts', () => {
    const files = readdirSync('infra', { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts') && f !== 'main.ts');
    expect(files.length).toBeGreaterThan(5);
    const offenders = files.filter((f) => /process\.env|tryGetContext|getContext\(|readFileSync/.test(readFileSync(`infra/${f}`, 'utf8')));
    expect(offenders).toEqual([]);
  });
});
