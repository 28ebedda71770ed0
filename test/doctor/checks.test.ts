import { describe, expect, it } from 'vitest';
import { includedTemplate } from '../../service/doctor/checks/ci-template.js';
import { checkFirestore } from '../../service/doctor/checks/google.js';
import { checkExpiry } from '../../service/doctor/checks/instance.js';
import { webhookUrlOf } from '../../service/doctor/checks/webhook.js';
import type { DoctorContext } from '../../service/doctor/facts.js';
import { parseDoctorArgs } from '../../service/doctor/options.js';
import { renderJson, renderLine } from '../../service/doctor/render.js';
import { exitCodeOf, fail, pass, warn } from '../../service/doctor/result.js';

// The pure parts on their own: judgements over facts, the argument parser, the renderers.

const ctx = (now: string): DoctorContext => ({
  gitlabUrl: 'https://gitlab.example',
  webhookUrl: null,
  allowConfidential: false,
  now: new Date(now),
});

describe('checkExpiry', () => {
  it('passes at 14 days, warns under, fails once the day has come', () => {
    const token = { scopes: ['api'], expires_at: '2030-01-15' };
    expect(checkExpiry(token, ctx('2030-01-01T00:00:00Z')).status).toBe('pass');
    expect(checkExpiry(token, ctx('2030-01-01T00:00:01Z'))).toMatchObject({
      status: 'warn',
      message: 'GITLAB_TOKEN expires on 2030-01-15, in 13 days',
    });
    expect(checkExpiry(token, ctx('2030-01-15T00:00:01Z')).status).toBe('fail');
    expect(checkExpiry({ scopes: ['api'], expires_at: null }, ctx('2030-01-01T00:00:00Z')).status).toBe('pass');
  });
});

describe('includedTemplate', () => {
  it("tells the provider by the job's variables, and collects what the YAML sets", () => {
    const yaml = (vars: string) =>
      `---\nvariables:\n  GLOBAL: x\nclaude-gitlab-flow:\n  variables:\n${vars}\n  script: [run]\n`;
    expect(includedTemplate(yaml("    CLAUDE_CODE_USE_VERTEX: '1'"))).toEqual({
      provider: 'vertex',
      yamlVariables: ['GLOBAL', 'CLAUDE_CODE_USE_VERTEX'],
    });
    expect(includedTemplate(yaml("    CLAUDE_CODE_USE_BEDROCK: '1'"))?.provider).toBe('bedrock');
    expect(includedTemplate(yaml('    CLAUDE_FLOW_MAX_TURNS: 30'))?.provider).toBe('claude-api');
    expect(includedTemplate('---\nbuild:\n  script: [make]\n')).toBeNull();
  });
});

describe('checkFirestore', () => {
  it("fails with the client's words and the roles to check", () => {
    const result = checkFirestore(
      { ok: false, error: '7 PERMISSION_DENIED: Missing or insufficient permissions.' },
      { projectId: 'p', database: 'db' },
    );
    expect(result).toMatchObject({
      status: 'fail',
      message: 'Firestore database db of p does not answer: 7 PERMISSION_DENIED: Missing or insufficient permissions.',
    });
    expect(result.fix).toContain('roles/datastore.user');
  });
});

describe('options', () => {
  it('takes repeated --project, --json and --service-url in both spellings', () => {
    expect(
      parseDoctorArgs(['--project', '42', '--project=group/app/', '--json', '--service-url=https://svc.example']),
    ).toEqual({
      json: true,
      projects: ['42', 'group/app'],
      serviceUrl: 'https://svc.example',
      help: false,
    });
    expect(parseDoctorArgs(['--project'])).toEqual({ error: '--project needs a project id or path' });
    expect(parseDoctorArgs(['--service-url', 'svc.example'])).toHaveProperty('error');
  });

  it('accepts the service root or its webhook URL', () => {
    expect(webhookUrlOf('https://svc.example/')).toBe('https://svc.example/webhooks/gitlab');
    expect(webhookUrlOf('https://svc.example/webhooks/gitlab')).toBe('https://svc.example/webhooks/gitlab');
  });
});

describe('rendering and exit status', () => {
  const results = [pass('a', 'fine'), { ...warn('b', 'meh', 'do x'), project: 'g/p' }, fail('c', 'broken', 'do y')];

  it('one line per check, the fix on it', () => {
    expect(results.map(renderLine)).toEqual(['✔ a: fine', '⚠ g/p b: meh → fix: do x', '✘ c: broken → fix: do y']);
  });

  it('JSON with a summary', () => {
    expect(JSON.parse(renderJson(results))).toEqual({
      ok: false,
      summary: { pass: 1, warn: 1, fail: 1 },
      checks: results,
    });
  });

  it('exits 1 on a failure only', () => {
    expect(exitCodeOf(results)).toBe(1);
    expect(exitCodeOf(results.slice(0, 2))).toBe(0);
  });
});
