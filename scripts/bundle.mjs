// Bundles the entry point into one file after tsc has type-checked and emitted: start-up then reads one
// module instead of resolving hundreds (express, zod, pino and ours), which is most of the time from
// process start to the first /healthz. Google's clients stay external: they load only when configured.
import { build } from 'esbuild';

await build({
  entryPoints: ['service/cli.ts'],
  outfile: 'dist/service/cli.js',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  sourcemap: true,
  // The Google wiring stays its own module (tsc emits it beside the bundle): bundled, its imports of the
  // Google clients would be hoisted to the top of the bundle and load at every start.
  external: ['@google-cloud/*', 'google-auth-library', './backends-google.js'],
  // express and friends are CommonJS and call require(); give the ESM bundle one.
  banner: { js: "#!/usr/bin/env node\nimport { createRequire as __createRequire } from 'node:module';\nconst require = __createRequire(import.meta.url);" },
  logLevel: 'warning',
});
