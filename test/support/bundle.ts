import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { build } from 'esbuild';

// Bundles a TypeScript entry into one .mjs and puts a shell wrapper named `name` into `binDir`, so a
// job under gitlab-ci-local (or any child process) finds it on PATH and starts it in plain node,
// without tsx's start-up cost on every call.
export async function bundleExecutable(entry: string, binDir: string, name: string): Promise<string> {
  await mkdir(binDir, { recursive: true });
  const bundle = join(binDir, `${name}.mjs`);
  await build({
    entryPoints: [entry],
    outfile: bundle,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    logLevel: 'error',
    // Bundled CommonJS dependencies still call require().
    banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
  });
  const wrapper = join(binDir, name);
  await writeFile(wrapper, `#!/bin/sh\nexec node "${bundle}" "$@"\n`);
  await chmod(wrapper, 0o755);
  return wrapper;
}
