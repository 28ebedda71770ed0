// Copies Claude Code's native `claude` binary, for the platform this runs on, to the path given.
// @anthropic-ai/claude-agent-sdk carries it in one optional package per platform
// (@anthropic-ai/claude-agent-sdk-linux-x64, -linux-arm64, -linux-x64-musl, …) and npm installs the
// one that matches, so an image built for linux/arm64 gets the arm64 binary without naming it.
// The runner target of the Dockerfile runs this in its build stage: `node scripts/claude-binary.mjs DEST`.
import { chmodSync, copyFileSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

const dest = process.argv[2];
if (!dest) throw new Error('usage: node scripts/claude-binary.mjs DEST');

// process.report tells glibc from musl: only a glibc build of node reports the glibc version.
const { glibcVersionRuntime } = /** @type {{ header: { glibcVersionRuntime?: string } }} */ (process.report.getReport()).header;
const musl = process.platform === 'linux' && !glibcVersionRuntime ? '-musl' : '';
const name = `@anthropic-ai/claude-agent-sdk-${process.platform}-${process.arch}${musl}`;
const require = createRequire(path.join(process.cwd(), 'package.json'));
let packageJson;
try {
  packageJson = require.resolve(`${name}/package.json`);
} catch {
  throw new Error(`${name} is not installed: npm installs it with @anthropic-ai/claude-agent-sdk (a devDependency) on ${process.platform}-${process.arch}${musl}`);
}
mkdirSync(path.dirname(path.resolve(dest)), { recursive: true });
copyFileSync(path.join(path.dirname(packageJson), 'claude'), dest);
chmodSync(dest, 0o755);
console.log(`${name} -> ${dest}`);
