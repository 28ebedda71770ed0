// The esbuild options of the service's start-up bundle (scripts/bundle.mjs), shared with the test that checks
// what the bundle loads at start (test/service/start-bundle.test.ts).

// lazy-api.ts loads the gitbeaker client with import('./rest-api.js'). Bundled, that module would be inlined and
// its static import of @gitbeaker/rest hoisted to the bundle's top, so every start would load gitbeaker. Kept
// external, the path must be relative to the bundle (dist/service/cli.js), not to service/gitlab/.
const lazyFromServiceRoot = {
  name: 'lazy-from-service-root',
  setup(build) {
    build.onResolve({ filter: /^\.\/rest-api\.js$/ }, (args) =>
      args.importer.endsWith('lazy-api.ts') ? { path: './gitlab/rest-api.js', external: true } : undefined,
    );
  },
};

/** @returns {import('esbuild').BuildOptions} */
export function serviceBundleOptions(outfile) {
  return {
    entryPoints: ['service/cli.ts'],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    sourcemap: true,
    // The Google wiring stays in its own modules (tsc emits them beside the bundle): bundled, their imports of
    // the Google clients would be hoisted to the top of the bundle and load at every start. These are the
    // paths service/backends.ts imports lazily.
    external: ['@google-cloud/*', 'google-auth-library', '@gitbeaker/*', './queue/pubsub/backends.js', './store/firestore/create.js', './runner/main.js', './doctor/main.js', './control/main.js'],
    plugins: [lazyFromServiceRoot],
    // express and friends are CommonJS and call require(); give the ESM bundle one.
    banner: { js: "#!/usr/bin/env node\nimport { createRequire as __createRequire } from 'node:module';\nconst require = __createRequire(import.meta.url);" },
    logLevel: 'warning',
  };
}
