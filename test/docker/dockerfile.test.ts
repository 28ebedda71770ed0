// Proves the Dockerfile without a Docker engine: executes its own steps (dockerfile-sim.ts reads and
// interprets the file; nothing here restates them) on a clean copy of the repository, building both
// targets (`service`, the Cloud Run image, and `runner`, the CI job image), then runs the service's CMD
// the way Cloud Run would, checks what each image ships and prints their sizes.
//
// What differs from a real `docker build`: the apt-get lines are recorded, not run (asserted below to be
// the git install); npm and node are this machine's, standing in for the image's Node 24 (the code's
// engines floor is Node 20, which the test insists this machine is at least); the machine's npm cache
// stands in for the image's, with --prefer-offline, so `npm cache clean` is skipped.
// Set KEEP_DOCKER_SIM=1 to keep the stage directories for inspection.
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, closeSync, cpSync, existsSync, lstatSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, readSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import { builtinModules } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inStage, isIgnored, parseDockerignore, simulate, type Stage, type StepTiming } from './dockerfile-sim.js';

const REPO = fileURLToPath(new URL('../..', import.meta.url));
const BUILD_TIMEOUT_MS = 6 * 60_000;

// The runner's only RUN commands: installing git for `claude-gitlab-flow run`.
const APT_INSTALL_GIT = ['apt-get update', 'apt-get install -y --no-install-recommends git ca-certificates', 'rm -rf /var/lib/apt/lists/*'];
const NPM_CACHE_CLEAN = 'npm cache clean --force';
// The build stage's one non-npm command: Claude Code's binary for this platform, out of node_modules.
const CLAUDE_BINARY = 'node scripts/claude-binary.mjs claude-code/claude';
// ELF e_machine of the `claude` binary each Node architecture needs.
const ELF_MACHINE: Record<string, number> = { x64: 0x3e, arm64: 0xb7 };
// The agent's user (needs root in a container): exactly this uid, never 0, no login shell.
const AGENT_USER = [
  'groupadd --system --gid 10001 claude-agent',
  'useradd --system --uid 10001 --gid 10001 --home-dir /nonexistent --no-create-home --shell /usr/sbin/nologin claude-agent',
];

// The official node images: this PATH, and a `node` user with uid/gid 1000.
const IMAGE_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
const IMAGE_USERS: Record<string, { uid: number; gid: number; home: string }> = {
  root: { uid: 0, gid: 0, home: '/root' },
  node: { uid: 1000, gid: 1000, home: '/home/node' },
};

let tmp: string;
let context: string;
let ignoredFiles: string[] = [];
let stages: Stage[] = [];
let build: Stage;
let deps: Stage;
let runner: Stage;
let service: Stage;
const timings: StepTiming[] = [];
const suiteStarted = Date.now();

function timed<T>(step: string, fn: () => T): T {
  const started = Date.now();
  const result = fn();
  timings.push({ step, ms: Date.now() - started });
  return result;
}

// The context `docker build .` would send: the files git knows (tracked, or untracked and not
// gitignored) that exist in the working tree, minus what .dockerignore excludes.
function copyContext(dest: string): { copied: string[]; ignored: string[] } {
  const listed = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: REPO, maxBuffer: 256 * 1024 * 1024 })
    .toString()
    .split('\0')
    .filter(Boolean);
  const dockerignore = path.join(REPO, '.dockerignore');
  const patterns = existsSync(dockerignore) ? parseDockerignore(readFileSync(dockerignore, 'utf8')) : [];
  const copied: string[] = [];
  const ignored: string[] = [];
  for (const file of new Set(listed)) {
    const from = path.join(REPO, file);
    if (!existsSync(from) || lstatSync(from).isDirectory()) continue; // deleted in the tree, or a gitlink
    if (isIgnored(patterns, file)) {
      ignored.push(file);
      continue;
    }
    const to = path.join(dest, file);
    mkdirSync(path.dirname(to), { recursive: true });
    cpSync(from, to, { verbatimSymlinks: true });
    copied.push(file);
  }
  return { copied, ignored };
}

function imageUser(stage: Stage): { uid: number; gid: number; home: string } {
  const name = stage.user ?? 'root';
  const user = IMAGE_USERS[name];
  if (!user) throw new Error(`the simulation knows the image users ${Object.keys(IMAGE_USERS).join(', ')}, not ${name}`);
  return user;
}

/** Starts a process as the container would: the stage's workdir, ENV and USER, plus `-e` variables. */
function containerProcess(stage: Stage, env: Record<string, string>, command: string[] | null = stage.cmd): ChildProcess {
  if (!command || command.length === 0) throw new Error(`stage ${stage.name ?? stage.index} has no CMD`);
  const user = imageUser(stage);
  // Only root can switch users; elsewhere the processes run as whoever runs the tests.
  const ids = process.getuid?.() === 0 ? { uid: user.uid, gid: user.gid } : {};
  const [file, ...args] = command;
  return spawn(file!, args, {
    cwd: inStage(stage, stage.workdir),
    env: { PATH: `${path.dirname(process.execPath)}:${IMAGE_PATH}`, HOME: inStage(stage, user.home), ...stage.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    ...ids,
  });
}

interface Exited {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

function collect(child: ChildProcess): { output: () => { stdout: string; stderr: string }; exited: Promise<Exited> } {
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<Exited>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
  return { output: () => ({ stdout, stderr }), exited };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createNetServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

function logLines(stdout: string): Array<Record<string, unknown>> {
  return stdout
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => {
      try {
        return JSON.parse(line) as Record<string, unknown>;
      } catch {
        throw new Error(`stdout line is not a JSON log line: ${line}`);
      }
    });
}

// What `entry` can load: the relative modules it reaches (followed) and the packages they name, from
// import statements at the start of a line and string-literal import()/require() calls not inside a JSDoc
// type. Good enough for tsc's output and for an esbuild bundle, whose imports take those forms.
const IMPORT_STATEMENT = /^\s*(?:import|export)\b[^;'"]*?\bfrom\s*['"]([^'"]+)['"]|^\s*import\s*['"]([^'"]+)['"]/gm;
const IMPORT_CALL = /(?<![{<]\s*)\b(?:import|require|__require)\s*\(\s*['"]([^'"]+)['"]\s*\)/g;

function reachable(root: string, entry: string): { modules: string[]; packages: string[] } {
  const modules = new Set<string>();
  const packages = new Set<string>();
  const pending = [entry];
  while (pending.length > 0) {
    const file = pending.pop()!;
    if (modules.has(file)) continue;
    modules.add(file);
    const text = readFileSync(path.join(root, file), 'utf8');
    for (const match of [...text.matchAll(IMPORT_STATEMENT), ...text.matchAll(IMPORT_CALL)]) {
      const specifier = (match[1] ?? match[2])!;
      if (specifier.startsWith('./') || specifier.startsWith('../')) pending.push(path.posix.join(path.posix.dirname(file), specifier));
      else if (!specifier.startsWith('node:') && !builtinModules.includes(specifier)) packages.add(specifier);
    }
  }
  return { modules: [...modules].sort(), packages: [...packages].sort() };
}

/** Every file under `root` (symlinks included, not followed), as paths relative to it. */
function filesUnder(root: string): string[] {
  return (readdirSync(root, { recursive: true, withFileTypes: true }) as Array<{ name: string; parentPath: string; isDirectory(): boolean }>)
    .filter((entry) => !entry.isDirectory())
    .map((entry) => path.relative(root, path.join(entry.parentPath, entry.name)))
    .sort();
}

/** Bytes on disk under `path` (allocated blocks, as `du` counts them; hard links once). */
function diskBytes(target: string): number {
  const seen = new Set<string>();
  const count = (file: string): number => {
    const stat = lstatSync(file);
    const key = `${stat.dev}:${stat.ino}`;
    if (seen.has(key)) return 0;
    seen.add(key);
    const own = stat.blocks * 512;
    return stat.isDirectory() ? own + readdirSync(file).reduce((sum, entry) => sum + count(path.join(file, entry)), 0) : own;
  };
  return count(target);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

beforeAll(async () => {
  const started = Date.now();
  tmp = mkdtempSync(path.join(os.tmpdir(), 'cgf-docker-'));
  chmodSync(tmp, 0o755); // the image user must reach the stage directories
  context = path.join(tmp, 'context');
  const { ignored } = timed('build context (git ls-files, .dockerignore)', () => copyContext(context));
  ignoredFiles = ignored;
  const npmCache = execFileSync('npm', ['config', 'get', 'cache'], { encoding: 'utf8' }).trim();
  const proxyEnv = Object.fromEntries(
    Object.entries(process.env).filter((entry): entry is [string, string] => /^(https?_proxy|no_proxy)$/i.test(entry[0]) && entry[1] !== undefined),
  );
  const result = await simulate({
    dockerfile: path.join(context, 'Dockerfile'),
    context,
    workDir: tmp,
    // Not this process's environment (vitest sets NODE_ENV=test, npm sets npm_config_*): a clean one,
    // with the machine's npm cache and ~/.npmrc, so installs come from the cache where they can.
    runEnv: {
      PATH: `${path.dirname(process.execPath)}:${IMAGE_PATH}`,
      HOME: os.homedir(),
      npm_config_cache: npmCache,
      npm_config_prefer_offline: 'true',
      npm_config_update_notifier: 'false',
      ...proxyEnv,
    },
    classifyRun(command) {
      // Emptying the shared cache that stands in for the image's would only slow later installs here.
      if (command === NPM_CACHE_CLEAN) return 'skip';
      if (command.startsWith('npm ') || command === CLAUDE_BINARY) return 'run';
      // apt-get needs root in a container; the test asserts these are exactly the git install.
      if (APT_INSTALL_GIT.includes(command)) return 'skip';
      if (AGENT_USER.includes(command)) return 'skip';
      throw new Error(`the Docker simulation does not run ${JSON.stringify(command)}; extend classifyRun in ${path.basename(import.meta.url)}`);
    },
  });
  stages = result.stages;
  timings.push(...result.timings);
  const named = (name: string) => stages.find((stage) => stage.name === name)!;
  [build, deps, runner, service] = [named('build'), named('deps'), named('runner'), named('service')];
  for (const target of [runner, service]) {
    const home = inStage(target, imageUser(target).home);
    mkdirSync(home, { recursive: true });
    if (process.getuid?.() === 0) chownSync(home, imageUser(target).uid, imageUser(target).gid);
  }
  timings.push({ step: 'simulated docker build, total', ms: Date.now() - started });
}, BUILD_TIMEOUT_MS);

afterAll(() => {
  if (tmp && !process.env.KEEP_DOCKER_SIM) timed('remove stage directories', () => rmSync(tmp, { recursive: true, force: true }));
  else if (tmp) console.log(`KEEP_DOCKER_SIM: stage directories kept in ${tmp}`);
  timings.push({ step: 'whole file', ms: Date.now() - suiteStarted });
  console.log(`Dockerfile simulation timings:\n${timings.map(({ step, ms }) => `  ${(ms / 1000).toFixed(1).padStart(6)} s  ${step}`).join('\n')}`);
}, 120_000);

describe('Dockerfile', () => {
  it('has a build stage, a deps stage and two non-root targets, runner and service (the default), on the Node 24 slim image', () => {
    expect(stages.map((stage) => stage.name)).toEqual(['build', 'deps', 'runner', 'service']);
    for (const stage of stages) expect(stage.base).toMatch(/^node:24(\.\d+){0,2}-bookworm-slim$/);
    // This machine's node stands in for the image's: the code supports Node 20 and later (engines).
    const engines = (JSON.parse(readFileSync(path.join(REPO, 'package.json'), 'utf8')) as { engines: { node: string } }).engines.node;
    expect(engines).toBe('>=20');
    expect(Number(process.versions.node.split('.')[0])).toBeGreaterThanOrEqual(20);

    expect(build.ran).toEqual(['npm ci --no-audit --no-fund', CLAUDE_BINARY, 'npm run build']);
    expect(build.skipped).toEqual([]);
    expect(deps.ran).toEqual(['npm ci --omit=dev --no-audit --no-fund']);
    expect(deps.skipped).toEqual([NPM_CACHE_CLEAN]);
    expect(runner.ran).toEqual([]);
    expect(runner.skipped).toEqual([...APT_INSTALL_GIT, ...AGENT_USER]);
    expect(service.ran).toEqual([]);
    expect(service.skipped).toEqual([]);

    for (const target of [runner, service]) {
      expect(target.user).toBeTruthy();
      expect(target.user).not.toMatch(/^(root|0)(:|$)/);
      expect(target.env.NODE_ENV).toBe('production');
      expect(target.workdir).toBe('/app');
    }
    expect(service.expose).toEqual(['8080']);
    expect(service.cmd).toEqual(['node', 'dist/service/cli.js', 'serve']);
    expect(runner.expose).toEqual([]);
    expect(runner.cmd).toEqual(['node', 'dist/service/cli.js', 'run', '--help']);
  });

  it('sends a context without dependencies, build output, git state or secrets', () => {
    expect(existsSync(path.join(context, 'package-lock.json'))).toBe(true);
    expect(existsSync(path.join(context, 'service', 'cli.ts'))).toBe(true);
    for (const name of ['node_modules', 'dist', 'cdktf.out', '.git']) expect(existsSync(path.join(context, name)), name).toBe(false);
    const patterns = parseDockerignore(readFileSync(path.join(REPO, '.dockerignore'), 'utf8'));
    for (const file of ['node_modules/x/index.js', 'infra/node_modules/x.js', 'dist/service/cli.js', 'cdktf.out/stacks/a.json', '.git/HEAD', 'coverage/index.html', 'a/b.log', '.env', 'infra/.env.local']) {
      expect(isIgnored(patterns, file), file).toBe(true);
    }
    for (const file of ['package.json', 'package-lock.json', 'tsconfig.json', 'tsconfig.build.json', 'service/cli.ts', 'service/dist/x.ts', 'scripts/claude-binary.mjs', 'bin/claude-gitlab-flow']) {
      expect(isIgnored(patterns, file), file).toBe(false);
    }
    expect(ignoredFiles.filter((file) => file.startsWith('service/'))).toEqual([]);
  });

  it.each(['service', 'runner'])('%s: ships production dependencies and dist/ only, without the agent SDK', (name) => {
    const target = name === 'service' ? service : runner;
    const app = inStage(target, '/app');
    expect(readdirSync(app).sort()).toEqual(['dist', 'node_modules', 'package-lock.json', 'package.json']);
    expect(existsSync(path.join(app, 'dist', 'service', 'cli.js'))).toBe(true);

    const pkg = JSON.parse(readFileSync(path.join(app, 'package.json'), 'utf8')) as { dependencies: Record<string, string>; devDependencies: Record<string, string> };
    const lock = JSON.parse(readFileSync(path.join(app, 'package-lock.json'), 'utf8')) as { packages: Record<string, { dev?: boolean }> };
    for (const dev of ['vitest', 'typescript', 'tsx', 'cdktf', 'esbuild']) expect(existsSync(path.join(app, 'node_modules', dev)), dev).toBe(false);
    for (const dependency of Object.keys(pkg.dependencies)) expect(existsSync(path.join(app, 'node_modules', dependency)), dependency).toBe(true);
    // Everything the lockfile marks dev-only, at any depth, is absent: the agent SDK and its platform
    // packages (Claude Code's binary) among them.
    const devOnly = Object.entries(lock.packages).filter(([key, entry]) => key.startsWith('node_modules/') && entry.dev === true);
    expect(devOnly.length).toBeGreaterThan(Object.keys(pkg.devDependencies).length);
    expect(devOnly.map(([key]) => key)).toContain(`node_modules/@anthropic-ai/claude-agent-sdk-linux-${process.arch}`);
    const present = devOnly.map(([key]) => key).filter((key) => existsSync(path.join(app, key)));
    expect(present).toEqual([]);
    expect(readdirSync(path.join(app, 'node_modules')).filter((entry) => entry === '@anthropic-ai')).toEqual([]);
  });

  it('service: has no `claude` binary anywhere and no git', () => {
    const files = filesUnder(service.root);
    expect(files.filter((file) => path.basename(file) === 'claude' || file.includes('claude-agent-sdk'))).toEqual([]);
    expect(files.filter((file) => path.basename(file) === 'git')).toEqual([]);
    expect(existsSync(inStage(service, '/usr/local/bin'))).toBe(false);
  });

  it('loads everything the CLI can reach with production dependencies only, as the image user', async () => {
    const { modules, packages } = reachable(inStage(service, '/app'), 'dist/service/cli.js');
    // cli.js itself runs on import, so it is started below instead; every module and package it can
    // load (dynamic imports included: Google's clients load only when configured) is imported here,
    // so one needing a devDependency fails now rather than on the first request or CI job.
    const imports = [...modules.filter((file) => file !== 'dist/service/cli.js').map((file) => `./${file}`), ...packages];
    const dependencies = Object.keys((JSON.parse(readFileSync(inStage(service, '/app/package.json'), 'utf8')) as { dependencies: Record<string, string> }).dependencies);
    const packageName = (specifier: string) => specifier.split('/').slice(0, specifier.startsWith('@') ? 2 : 1).join('/');
    expect(packages.map(packageName).filter((name) => !dependencies.includes(name)), 'packages the CLI loads that are not dependencies').toEqual([]);
    const script = `for (const m of JSON.parse(process.env.IMPORTS)) {
      try { await import(m.startsWith('./') ? new URL(m, 'file://' + process.cwd() + '/') : m); }
      catch (error) { console.error(m + ': ' + error.message); process.exitCode = 1; }
    }
    process.exit();`;
    const { exited } = collect(containerProcess(service, { IMPORTS: JSON.stringify(imports) }, ['node', '--input-type=module', '-e', script]));
    const result = await exited;
    expect(result.stderr, `importing ${imports.join(', ')}`).toBe('');
    expect(result.code).toBe(0);
  });

  it("runner: its CMD (`run --help`) starts the runner entry point as the image user", async () => {
    const { exited } = collect(containerProcess(runner, {}));
    const result = await exited;
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('claude-gitlab-flow run');
  });

  it(`runner: puts the runner command and Claude Code for this machine's architecture (${process.arch}) on PATH`, () => {
    const launcher = inStage(runner, '/usr/local/bin/claude-gitlab-flow');
    expect(readFileSync(launcher, 'utf8')).toContain('exec node /app/dist/service/cli.js "$@"');
    expect(lstatSync(launcher).mode & 0o111).not.toBe(0);
    const claude = inStage(runner, '/usr/local/bin/claude');
    expect(lstatSync(claude).mode & 0o111).not.toBe(0);
    // An ELF executable for this architecture (e_machine, little-endian, at offset 18).
    const header = Buffer.alloc(20);
    const fd = openSync(claude, 'r');
    try {
      readSync(fd, header, 0, 20, 0);
    } finally {
      closeSync(fd);
    }
    expect(header.subarray(0, 4).toString('latin1')).toBe('\x7fELF');
    expect(header.readUInt16LE(18), `e_machine of ${claude}`).toBe(ELF_MACHINE[process.arch]);
    const version = execFileSync(claude, ['--version'], { encoding: 'utf8', timeout: 60_000 });
    expect(version).toMatch(/\d+\.\d+\.\d+/);
    // Only the one binary: no copy left in node_modules.
    expect(filesUnder(runner.root).filter((file) => path.basename(file) === 'claude')).toEqual(['usr/local/bin/claude']);
  });

  it('reports both images\' sizes: the service is the smaller by about the size of Claude Code', () => {
    // What each target's final stage holds on disk, without the node:24 base image both start from.
    const sizes = { service: diskBytes(service.root), runner: diskBytes(runner.root) };
    const claude = diskBytes(inStage(runner, '/usr/local/bin/claude'));
    const mb = (bytes: number) => `${(bytes / 1e6).toFixed(1)} MB`;
    const line = `image sizes over the node base image: service ${mb(sizes.service)}, runner ${mb(sizes.runner)} (of which claude ${mb(claude)})`;
    console.log(line);
    timings.push({ step: line, ms: 0 });
    expect(sizes.runner - sizes.service).toBeGreaterThanOrEqual(claude);
    expect(sizes.service).toBeLessThan(claude);
  });

  it('serves /healthz on PORT, and exits 0 with "shut down cleanly" on SIGTERM', async () => {
    // A GitLab stand-in, so the start-up token check stays on this machine.
    const tokens: Array<string | undefined> = [];
    const gitlab: Server = createServer((req, res) => {
      tokens.push(req.headers['private-token'] as string | undefined);
      res.setHeader('content-type', 'application/json');
      if (req.url === '/api/v4/user') res.end(JSON.stringify({ id: 4242, username: 'claude-bot' }));
      else res.writeHead(404).end('{}');
    });
    await new Promise<void>((resolve) => gitlab.listen(0, '127.0.0.1', resolve));
    try {
      const port = await freePort();
      const started = Date.now();
      const child = containerProcess(service, {
        PORT: String(port),
        GITLAB_URL: `http://127.0.0.1:${(gitlab.address() as AddressInfo).port}`,
        GITLAB_TOKEN: 'glpat-docker-simulation-token',
        GITLAB_WEBHOOK_SECRET: 'docker-simulation-webhook-secret',
        LOG_LEVEL: 'info',
      });
      const { output, exited } = collect(child);
      let exitedEarly: Exited | null = null;
      void exited.then((result) => (exitedEarly = result));

      let status = 0;
      while (Date.now() - started < 30_000 && !exitedEarly) {
        status = await fetch(`http://127.0.0.1:${port}/healthz`).then((res) => res.status, () => 0);
        if (status === 200) break;
        await sleep(100);
      }
      expect(exitedEarly, `the service exited before answering: ${JSON.stringify(exitedEarly)}`).toBeNull();
      expect(status).toBe(200);
      timings.push({ step: 'serve: start to /healthz 200', ms: Date.now() - started });
      // The token check runs in the background after start-up; wait for it to reach the stand-in.
      while (Date.now() - started < 30_000 && !logLines(output().stdout).some((line) => line.message === 'GitLab token works')) await sleep(50);

      const stopping = Date.now();
      child.kill('SIGTERM');
      const result = await exited;
      timings.push({ step: 'serve: SIGTERM to exit', ms: Date.now() - stopping });
      expect(result.stderr).toBe('');
      expect(result.signal).toBeNull();
      expect(result.code).toBe(0);
      const messages = logLines(result.stdout).map((line) => line.message);
      expect(messages, result.stdout).toContain('claude-gitlab-flow is listening');
      expect(messages, result.stdout).toContain('GitLab token works');
      expect(messages, result.stdout).toContain('signal received');
      // Not necessarily the last line: pino writes stdout asynchronously and flushes its buffer
      // synchronously at process.exit, so a line still in flight ('signal received') can land after it.
      expect(messages, result.stdout).toContain('shut down cleanly');
      expect(tokens).toEqual(['glpat-docker-simulation-token']);
      expect(result.stdout).not.toContain('glpat-docker-simulation-token');
    } finally {
      await new Promise((resolve) => gitlab.close(resolve));
    }
  });

  it('refuses to start without GITLAB_TOKEN, in one stderr line naming it', async () => {
    const { exited } = collect(
      containerProcess(service, { PORT: String(await freePort()), GITLAB_WEBHOOK_SECRET: 'docker-simulation-webhook-secret', LOG_LEVEL: 'info' }),
    );
    const result = await exited;
    expect(result.code).not.toBe(0);
    expect(result.code).not.toBeNull();
    const lines = result.stderr.split('\n').filter((line) => line.trim() !== '');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('GITLAB_TOKEN');
    expect(result.stdout).toBe('');
  });
});
