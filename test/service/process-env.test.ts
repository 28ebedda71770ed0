import { describe, expect, it } from 'vitest';
import { transpileService } from '../support/cruise-service.js';

// Only the entry points read the environment; everything else is given its configuration (config.ts
// parses an `env` it is passed). dependency-cruiser sees imports, not reads of a global, hence this test.
// Comments are gone in the transpiled code, so a comment that names process.env does not count.

const ALLOWED = new Set(['service/cli.ts', 'service/runner/main-cli.ts']);
const READS_ENV = [/\bprocess\s*(\.|\?\.|\[\s*['"`])\s*env\b/, /\{[^}]*\benv\b[^}]*\}\s*=\s*(globalThis\.)?process\b/];

describe('process.env', () => {
  it('is read only by the entry points', async () => {
    const readers = [...(await transpileService())]
      .filter(([path, code]) => !ALLOWED.has(path) && READS_ENV.some((pattern) => pattern.test(code)))
      .map(([path]) => path);
    expect(readers).toEqual([]);
  });
});
