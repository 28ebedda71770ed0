import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';
// @ts-expect-error: a plain .mjs script without types
import { serviceBundleOptions } from '../../scripts/bundle-options.mjs';

// What `serve` parses before its first /healthz is what the start-up bundle imports statically. The heavy
// clients (gitbeaker, Google's) and the commands the service never runs must load only on use.
const LOADED_ON_USE = [/^@gitbeaker\//, /^@google-cloud\//, /^google-auth-library$/, /rest-api\.js$/, /runner\/main\.js$/, /doctor\/main\.js$/];

describe('the start-up bundle', () => {
  it('imports gitbeaker, the Google clients, the runner and the doctor only dynamically', async () => {
    const result = await build({ ...serviceBundleOptions('/tmp/start-bundle-check/cli.js'), write: false, metafile: true, sourcemap: false });
    const output = Object.values(result.metafile?.outputs ?? {}).find((entry) => entry.entryPoint === 'service/cli.ts');
    const imports = output?.imports ?? [];
    const heavy = imports.filter((entry) => LOADED_ON_USE.some((pattern) => pattern.test(entry.path)));
    expect(heavy.map((entry) => entry.path)).toEqual(expect.arrayContaining(['./gitlab/rest-api.js', './runner/main.js']));
    expect(heavy.filter((entry) => entry.kind !== 'dynamic-import')).toEqual([]);
  });
});
