// The layer rules of service/, checked in `npm test` by test/service/layers.test.ts (which cruises a
// transpiled copy: dependency-cruiser cannot parse TypeScript with the TypeScript 7 we use). Paths are
// relative to the repository; the copy keeps them, with .js for .ts.
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment: 'A cycle makes the start-up order matter and the parts impossible to read or test alone.',
      severity: 'error',
      from: { path: '^service/' },
      to: { circular: true },
    },
    {
      name: 'runner-stays-small',
      comment:
        'The runner runs in a CI job with the job token only: it must not pull in the service side ' +
        '(worker, store, queue), not even through a shared module.',
      severity: 'error',
      from: { path: '^service/runner/' },
      to: { path: '^service/(worker|store|queue)/', reachable: true },
    },
    {
      name: 'http-is-the-edge',
      comment: 'Ingest and the worker decide; only http/ speaks HTTP. They must not reach back into it.',
      severity: 'error',
      from: { path: '^service/(ingest|worker)/' },
      to: { path: '^service/http/', reachable: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    // Type-only imports count: a layer that names another's types depends on it as much.
    tsPreCompilationDeps: true,
  },
};
