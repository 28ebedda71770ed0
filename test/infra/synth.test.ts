// The real CLI path: `npm run synth` (cdktf synth, offline, no telemetry) writes Terraform JSON that plain
// Terraform can read, and a bad config stops it with a message that names the field.
import { execFile, execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rawConfigWith, type TfJson } from './helpers.js';

const run = promisify(execFile);
const quiet = { ...process.env, CI: '1', CHECKPOINT_DISABLE: '1', NO_COLOR: '1', FORCE_COLOR: '0' };
const STACKS = ['wif', 'service'] as const;

// Every `type.name` a `${…}` expression mentions, e.g. google_pubsub_topic.queue_topic_1 or data.google_project.project.
function references(json: TfJson): string[] {
  const found: string[] = [];
  JSON.stringify(json.resource ?? {}) // visit only values, not keys
    .concat(JSON.stringify(json.output ?? {}), JSON.stringify(json.data ?? {}))
    .replace(/\$\{([^}]*)\}/g, (_, expression: string) => {
      for (const m of expression.matchAll(/\b(data\.)?(google_[a-z0-9_]+)\.([A-Za-z0-9_-]+)/g)) found.push(`${m[1] ?? ''}${m[2]}.${m[3]}`);
      return '';
    });
  return found;
}

function dependsOn(json: TfJson): string[] {
  return Object.values(json.resource ?? {}).flatMap((byName) => Object.values(byName).flatMap((b) => b.depends_on ?? []));
}

function declared(json: TfJson): Set<string> {
  const names = new Set<string>();
  for (const [type, byName] of Object.entries(json.resource ?? {})) for (const name of Object.keys(byName)) names.add(`${type}.${name}`);
  for (const [type, byName] of Object.entries(json.data ?? {})) for (const name of Object.keys(byName)) names.add(`data.${type}.${name}`);
  return names;
}

function hasTerraform(): boolean {
  try {
    execFileSync('terraform', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'infra-synth-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('npm run synth', () => {
  const stacks: Partial<Record<(typeof STACKS)[number], TfJson>> = {};

  beforeAll(async () => {
    const started = Date.now();
    await run('npm', ['run', '--silent', 'synth', '--', '--output', join(dir, 'out')], { env: quiet, timeout: 90_000 });
    console.log(`cdktf synth (CLI) took ${Date.now() - started} ms`);
    for (const stack of STACKS) {
      stacks[stack] = JSON.parse(readFileSync(join(dir, 'out', 'stacks', stack, 'cdk.tf.json'), 'utf8')) as TfJson;
    }
  }, 90_000);

  it('writes both stacks, pinned to the provider version the bindings were generated for', () => {
    const manifest = JSON.parse(readFileSync(join(dir, 'out', 'manifest.json'), 'utf8'));
    expect(Object.keys(manifest.stacks).sort()).toEqual(['service', 'wif']);
    for (const stack of STACKS) {
      expect(stacks[stack]?.terraform?.required_providers?.google).toEqual({ source: 'google', version: '6.50.0' });
      expect(Object.keys(stacks[stack]?.resource ?? {}).length).toBeGreaterThan(3);
    }
  });

  it('refers only to resources it declares, and lists dependencies as plain addresses', () => {
    for (const stack of STACKS) {
      const json = stacks[stack]!;
      const names = declared(json);
      expect(references(json).filter((ref) => !names.has(ref)), stack).toEqual([]);
      // Terraform rejects an interpolation in depends_on; it wants bare addresses.
      expect(dependsOn(json).filter((ref) => !names.has(ref)), stack).toEqual([]);
    }
  });

  it('catches a dangling reference (the check above is not vacuous)', () => {
    const broken = structuredClone(stacks.service!);
    broken.output!.webhook_url!.value = '${google_cloud_run_v2_service.gone.uri}';
    const names = declared(broken);
    expect(references(broken).filter((ref) => !names.has(ref))).toEqual(['google_cloud_run_v2_service.gone']);
  });

  // Plain Terraform parses the JSON offline (`terraform providers` needs no provider download); a full
  // `terraform validate` would need the google provider from the registry, which this machine cannot reach.
  it.runIf(hasTerraform())('is read by plain terraform', async () => {
    for (const stack of STACKS) {
      const copy = join(dir, `tf-${stack}`);
      cpSync(join(dir, 'out', 'stacks', stack), copy, { recursive: true });
      const file = join(copy, 'cdk.tf.json');
      const json = JSON.parse(readFileSync(file, 'utf8')) as TfJson;
      delete json.terraform!.backend; // the local state file is the deployer's, not this test's
      writeFileSync(file, JSON.stringify(json));
      const { stdout } = await run('terraform', ['providers', '-no-color'], { cwd: copy, env: quiet });
      expect(stdout).toContain('provider[registry.terraform.io/hashicorp/google] 6.50.0');
    }
    // And it does reject what it cannot read.
    const bad = join(dir, 'tf-bad');
    cpSync(join(dir, 'tf-service'), bad, { recursive: true });
    const json = JSON.parse(readFileSync(join(bad, 'cdk.tf.json'), 'utf8')) as TfJson;
    json.output!.webhook_url!.depends_on = ['${google_cloud_run_v2_service.x}'];
    writeFileSync(join(bad, 'cdk.tf.json'), JSON.stringify(json));
    await expect(run('terraform', ['providers', '-no-color'], { cwd: bad, env: quiet })).rejects.toMatchObject({
      stderr: expect.stringContaining('Invalid expression'),
    });
  }, 30_000);
});

describe('a bad config', () => {
  it('fails the CLI synth with a message naming each bad field', async () => {
    const raw = rawConfigWith({ gitlab: { projectIds: ['22222222', 'group/app'] } });
    delete raw.project.id;
    const configFile = join(dir, 'bad.json');
    writeFileSync(configFile, JSON.stringify(raw));
    const failure = await run('npx', ['cdktf', 'synth', '--output', join(dir, 'bad-out')], {
      env: { ...quiet, INFRA_CONFIG: configFile },
      timeout: 60_000,
    }).catch((error: { code: number; stdout: string; stderr: string }) => error);
    expect(failure).toMatchObject({ code: 1 });
    const said = `${'stdout' in failure ? failure.stdout : ''}${'stderr' in failure ? failure.stderr : ''}`;
    expect(said).toContain(`Invalid infra config (${configFile}):`);
    expect(said).toContain('- project.id: is required');
    expect(said).toContain('- gitlab.projectIds[1]: must be a numeric GitLab project id, got "group/app"');
    for (const stack of STACKS) expect(existsSync(join(dir, 'bad-out', 'stacks', stack, 'cdk.tf.json'))).toBe(false);
  }, 60_000);

  it('names the missing file and what to do', async () => {
    const failure = await run('npx', ['tsx', 'infra/main.ts'], {
      env: { ...quiet, INFRA_CONFIG: join(dir, 'nope.json'), CDKTF_OUTDIR: join(dir, 'none') },
    }).catch((error: { code: number; stderr: string }) => error);
    expect(failure).toMatchObject({ code: 1, stderr: expect.stringContaining('copy infra/config.example.json to infra/config.json') });
  }, 30_000);
});
