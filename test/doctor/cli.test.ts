import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { correctWorld, type World } from './world.js';

// The real entry point, as `npm run doctor` runs it: the environment in, the exit status out.

const run = promisify(execFile);
let w: World;
beforeEach(async () => {
  w = await correctWorld();
});
afterEach(async () => {
  await w.gitlab.close();
});

async function cli(env: Record<string, string>, args: string[]): Promise<{ code: number; stdout: string }> {
  try {
    const { stdout } = await run('npx', ['tsx', 'service/cli.ts', 'doctor', ...args], {
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
    });
    return { code: 0, stdout };
  } catch (error) {
    const failed = error as { code: number; stdout: string };
    return { code: failed.code, stdout: failed.stdout };
  }
}

it('exits 0 on a correct set-up and 1 once something fails, --json on stdout', async () => {
  const ok = await cli(w.env, [...w.args, '--json']);
  expect(ok.code).toBe(0);
  expect(JSON.parse(ok.stdout)).toMatchObject({ ok: true, summary: { fail: 0 } });
  w.gitlab.removeWebhook(w.hookId);
  const broken = await cli(w.env, w.args);
  expect(broken.code).toBe(1);
  expect(broken.stdout).toMatch(/^✘ group\/app project\.webhook: no webhook/m);
}, 60_000);
