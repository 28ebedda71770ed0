// A small Dockerfile interpreter for the subset our Dockerfile uses, so a test can execute the image's
// real steps where no Docker engine runs. Each stage gets its own directory standing in for its
// filesystem root; the build context is a directory too. What it cannot do as an unprivileged process
// outside a container (apt-get, …) the caller decides per RUN command: run it, or record it as skipped.
// Anything outside the subset throws, so the Dockerfile cannot quietly outgrow the test.
import { spawn } from 'node:child_process';
import { chmodSync, cpSync, existsSync, lstatSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

export interface Instruction {
  keyword: string;
  args: string;
  /** 1-based line where the instruction starts. */
  line: number;
}

export interface Stage {
  index: number;
  name: string | null;
  base: string;
  /** The directory standing in for this stage's `/`. */
  root: string;
  /** Absolute path inside the stage, as WORKDIR set it. */
  workdir: string;
  env: Record<string, string>;
  user: string | null;
  expose: string[];
  cmd: string[] | null;
  /** RUN commands (split on &&) that were executed / recorded as skipped, in order. */
  ran: string[];
  skipped: string[];
}

export interface StepTiming {
  step: string;
  ms: number;
}

export interface SimulateOptions {
  dockerfile: string;
  /** The build context directory (already filtered by .dockerignore). */
  context: string;
  /** Where the stage directories are created. */
  workDir: string;
  /** The environment every RUN starts from (the stage's ENV is laid over it). */
  runEnv: Record<string, string>;
  /** For each `&&`-separated RUN command: execute it, or record it as skipped (throw to refuse it). */
  classifyRun(command: string, stage: Stage): 'run' | 'skip';
  log?(line: string): void;
}

export function parseDockerfile(text: string): Instruction[] {
  const instructions: Instruction[] = [];
  const lines = text.split(/\r?\n/);
  let pending: { parts: string[]; line: number } | null = null;
  lines.forEach((raw, i) => {
    const trimmed = raw.trim();
    // Comment lines (parser directives included) are dropped, also inside a continuation.
    if (trimmed.startsWith('#')) return;
    if (trimmed === '' && pending === null) return;
    const continues = /\\\s*$/.test(raw);
    const text = continues ? raw.replace(/\\\s*$/, '') : raw;
    pending ??= { parts: [], line: i + 1 };
    pending.parts.push(text.trim());
    if (continues) return;
    const joined = pending.parts.filter(Boolean).join(' ');
    const match = /^(\S+)\s*(.*)$/s.exec(joined);
    if (match) instructions.push({ keyword: match[1]!.toUpperCase(), args: match[2]!.trim(), line: pending.line });
    pending = null;
  });
  if (pending) throw new Error('Dockerfile ends inside a line continuation');
  return instructions;
}

export async function simulate(options: SimulateOptions): Promise<{ stages: Stage[]; timings: StepTiming[] }> {
  const log = options.log ?? (() => {});
  const stages: Stage[] = [];
  const timings: StepTiming[] = [];
  const instructions = parseDockerfile(readFileSync(options.dockerfile, 'utf8'));
  let stage: Stage | null = null;

  for (const instruction of instructions) {
    const { keyword, args } = instruction;
    const where = `Dockerfile line ${instruction.line}: ${keyword} ${args}`;
    const started = Date.now();
    if (keyword === 'FROM') {
      const match = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(args);
      if (!match || match[1]!.startsWith('--')) throw new Error(`unsupported ${where}`);
      const base = match[1]!;
      if (stages.some((s) => s.name === base)) throw new Error(`unsupported (FROM an earlier stage) ${where}`);
      const index = stages.length;
      const name = match[2] ?? null;
      const root = path.join(options.workDir, `stage-${index}${name ? `-${name}` : ''}`);
      mkdirSync(root, { recursive: true });
      chmodSync(root, 0o755);
      stage = { index, name, base, root, workdir: '/', env: {}, user: null, expose: [], cmd: null, ran: [], skipped: [] };
      stages.push(stage);
      continue;
    }
    if (!stage) throw new Error(`instruction before FROM: ${where}`);
    switch (keyword) {
      case 'WORKDIR': {
        stage.workdir = path.posix.resolve(stage.workdir, args);
        mkdirSync(inStage(stage, stage.workdir), { recursive: true });
        break;
      }
      case 'ENV': {
        Object.assign(stage.env, parseEnv(args, where));
        break;
      }
      case 'USER': {
        if (!/^\S+$/.test(args)) throw new Error(`unsupported ${where}`);
        stage.user = args;
        break;
      }
      case 'EXPOSE': {
        stage.expose.push(...args.split(/\s+/));
        break;
      }
      case 'CMD': {
        stage.cmd = args.startsWith('[') ? parseExecForm(args, where) : ['/bin/sh', '-c', args];
        break;
      }
      case 'COPY': {
        copy(stage, stages, options.context, args, where);
        timings.push({ step: `${stage.name ?? stage.index}: COPY ${args}`, ms: Date.now() - started });
        break;
      }
      case 'RUN': {
        if (args.startsWith('[') || args.startsWith('--')) throw new Error(`unsupported (exec form or flags) ${where}`);
        if (/[;|&'"`$<>()]/.test(args.replace(/&&/g, ''))) {
          throw new Error(`unsupported (only plain commands joined by &&) ${where}`);
        }
        for (const command of args.split('&&').map((part) => part.trim())) {
          const commandStarted = Date.now();
          if (options.classifyRun(command, stage) === 'skip') {
            stage.skipped.push(command);
            log(`[${stage.name ?? stage.index}] skipped: ${command}`);
            continue;
          }
          log(`[${stage.name ?? stage.index}] RUN ${command}`);
          await runShell(command, inStage(stage, stage.workdir), { ...options.runEnv, ...stage.env });
          stage.ran.push(command);
          timings.push({ step: `${stage.name ?? stage.index}: RUN ${command}`, ms: Date.now() - commandStarted });
        }
        break;
      }
      default:
        throw new Error(`unsupported instruction ${where}`);
    }
  }
  return { stages, timings };
}

/** A path inside the stage, as a path on this machine. */
export function inStage(stage: Stage, absolute: string): string {
  const normal = path.posix.resolve('/', absolute);
  return path.join(stage.root, normal);
}

function parseExecForm(args: string, where: string): string[] {
  const parsed: unknown = JSON.parse(args);
  if (!Array.isArray(parsed) || parsed.length === 0 || !parsed.every((part) => typeof part === 'string')) {
    throw new Error(`exec form must be a JSON array of strings: ${where}`);
  }
  return parsed as string[];
}

function parseEnv(args: string, where: string): Record<string, string> {
  const env: Record<string, string> = {};
  if (!args.includes('=')) throw new Error(`unsupported (legacy ENV key value) ${where}`);
  for (const token of args.match(/\S+=(?:"[^"]*"|\S*)/g) ?? []) {
    const eq = token.indexOf('=');
    env[token.slice(0, eq)] = token.slice(eq + 1).replace(/^"(.*)"$/, '$1');
  }
  return env;
}

function copy(stage: Stage, stages: Stage[], context: string, args: string, where: string): void {
  const tokens = args.split(/\s+/);
  let sourceRoot = context;
  while (tokens[0]?.startsWith('--')) {
    const flag = tokens.shift()!;
    const from = /^--from=(\S+)$/.exec(flag);
    if (!from) throw new Error(`unsupported COPY flag ${flag}: ${where}`);
    const source = stages.find((s) => s.name === from[1] || String(s.index) === from[1]);
    if (!source || source === stage) throw new Error(`COPY --from names no earlier stage: ${where}`);
    sourceRoot = source.root;
  }
  if (tokens.length < 2 || tokens[0]!.startsWith('[')) throw new Error(`unsupported COPY form: ${where}`);
  const dest = tokens.pop()!;
  if (tokens.length > 1 && !dest.endsWith('/')) throw new Error(`COPY with several sources needs a destination ending in /: ${where}`);
  const destPath = inStage(stage, path.posix.resolve(stage.workdir, dest));
  for (const src of tokens) {
    if (/[*?[]/.test(src)) throw new Error(`unsupported (wildcards) COPY source ${src}: ${where}`);
    // Sources never leave their root: the context's, or the other stage's `/`.
    const from = path.join(sourceRoot, path.posix.resolve('/', src));
    if (!existsSync(from)) throw new Error(`COPY source not found: ${src} (${where})`);
    if (lstatSync(from).isDirectory()) {
      // A directory's contents go into the destination directory.
      mkdirSync(destPath, { recursive: true });
      cpSync(from, destPath, { recursive: true, verbatimSymlinks: true });
    } else {
      const intoDir = dest.endsWith('/') || (existsSync(destPath) && statSync(destPath).isDirectory());
      const target = intoDir ? path.join(destPath, path.basename(from)) : destPath;
      mkdirSync(path.dirname(target), { recursive: true });
      cpSync(from, target, { verbatimSymlinks: true });
    }
  }
}

function runShell(command: string, cwd: string, env: Record<string, string>): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('sh', ['-c', command], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    const output: string[] = [];
    child.stdout.on('data', (chunk: Buffer) => output.push(chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => output.push(chunk.toString()));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (code === 0) return resolve();
      const tail = output.join('').split('\n').slice(-60).join('\n');
      reject(new Error(`RUN ${command} failed (exit ${code ?? signal}) in ${cwd}:\n${tail}`));
    });
  });
}

// ---- .dockerignore, with the semantics of moby/patternmatcher (what `docker build` uses) ----

interface IgnorePattern {
  exclusion: boolean;
  regex: RegExp;
}

export function parseDockerignore(text: string): IgnorePattern[] {
  const patterns: IgnorePattern[] = [];
  for (const raw of text.split(/\r?\n/)) {
    let line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const exclusion = line.startsWith('!');
    if (exclusion) line = line.slice(1).trim();
    line = path.posix.normalize(line);
    if (line.length > 1 && line.startsWith('/')) line = line.slice(1);
    if (line.length > 1 && line.endsWith('/')) line = line.slice(0, -1);
    patterns.push({ exclusion, regex: patternRegex(line) });
  }
  return patterns;
}

function patternRegex(pattern: string): RegExp {
  let out = '^';
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i]!;
    if (ch === '*') {
      if (pattern[i + 1] === '*') {
        i++;
        if (pattern[i + 1] === '/') i++;
        out += i + 1 >= pattern.length ? '.*' : '(.*/)?';
      } else {
        out += '[^/]*';
      }
    } else if (ch === '?') {
      out += '[^/]';
    } else if (ch === '\\' && i + 1 < pattern.length) {
      out += `\\${pattern[++i]}`;
    } else if (ch === '[') {
      const end = pattern.indexOf(']', i + 1);
      if (end < 0) throw new Error(`bad .dockerignore pattern ${pattern}`);
      out += pattern.slice(i, end + 1).replace(/^\[!/, '[^');
      i = end;
    } else {
      out += /[.+(){}|^$]/.test(ch) ? `\\${ch}` : ch;
    }
  }
  return new RegExp(`${out}$`);
}

/** Whether `docker build` leaves the file (a context-relative posix path) out of the context. */
export function isIgnored(patterns: IgnorePattern[], file: string): boolean {
  const dirs = path.posix.dirname(file).split('/');
  let matched = false;
  for (const pattern of patterns) {
    if (pattern.exclusion !== matched) continue;
    let match = pattern.regex.test(file);
    if (!match && dirs[0] !== '.') {
      for (let i = 1; i <= dirs.length && !match; i++) match = pattern.regex.test(dirs.slice(0, i).join('/'));
    }
    if (match) matched = !pattern.exclusion;
  }
  return matched;
}
