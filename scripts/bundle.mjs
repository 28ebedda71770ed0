// Bundles the entry point into one file after tsc has type-checked and emitted: start-up then reads one
// module instead of resolving hundreds (express, zod, pino and ours), which is most of the time from
// process start to the first /healthz. Google's clients stay external (they load only when configured), and so
// does gitbeaker (the worker loads it on its first GitLab call), and the runner, doctor and control commands (the
// service never runs them): none is parsed at start.
import { build } from 'esbuild';

await build({
  entryPoints: ['service/cli.ts'],
  outfile: 'dist/service/cli.js',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  sourcemap: true,
  // The Google wiring stays in its own modules (tsc emits them beside the bundle): bundled, their imports of
  // the Google clients would be hoisted to the top of the bundle and load at every start. These are the
  // paths service/backends.ts imports lazily.
  external: ['@google-cloud/*', 'google-auth-library', '@gitbeaker/*', './queue/pubsub/backends.js', './store/firestore/create.js', './runner/main.js', './doctor/main.js', './control/main.js'],
  // express and friends are CommonJS and call require(); give the ESM bundle one.
  banner: { js: "#!/usr/bin/env node\nimport { createRequire as __createRequire } from 'node:module';\nconst require = __createRequire(import.meta.url);" },
  logLevel: 'warning',
});
