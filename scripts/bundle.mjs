// Bundles the entry point into one file after tsc has type-checked and emitted: start-up then reads one
// module instead of resolving hundreds (express, zod, pino and ours), which is most of the time from
// process start to the first /healthz. Google's clients stay external (they load only when configured), and so
// does gitbeaker (the worker loads it on its first GitLab call), and the runner, doctor and control commands (the
// service never runs them): none is parsed at start.
import { build } from 'esbuild';
import { serviceBundleOptions } from './bundle-options.mjs';

await build(serviceBundleOptions('dist/service/cli.js'));
