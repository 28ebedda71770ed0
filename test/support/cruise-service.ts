import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { cruise, type IConfiguration, type IViolation } from 'dependency-cruiser';
import { transform } from 'esbuild';

// Runs the rules of .dependency-cruiser.cjs over service/. dependency-cruiser parses TypeScript with the
// TypeScript compiler's JavaScript API, which TypeScript 7 no longer has; so each file is transpiled by
// esbuild first, keeping every import (type-only ones too), into a copy with the same paths, and the copy is
// cruised as plain JavaScript (the CLI would also refuse Node 20).

const ROOT = join(import.meta.dirname, '..', '..');

export async function cruiseService(root = ROOT): Promise<IViolation[]> {
  const copy = await mkdtemp(join(tmpdir(), 'cruise-'));
  try {
    for (const [path, code] of await transpileService(root)) {
      const target = join(copy, path.replace(/\.ts$/, '.js'));
      await mkdir(dirname(target), { recursive: true });
      await writeFile(target, code);
    }
    const config = createRequire(import.meta.url)(join(root, '.dependency-cruiser.cjs')) as IConfiguration;
    const result = await cruise(['service'], { ...config.options, baseDir: copy, validate: true, ruleSet: config });
    if (typeof result.output === 'string') throw new Error('dependency-cruiser returned text, not a result');
    if (result.output.summary.totalCruised === 0) throw new Error('dependency-cruiser read no modules');
    return result.output.summary.violations;
  } finally {
    await rm(copy, { recursive: true, force: true });
  }
}

/** One line per violation: the rule, the edge, and the cycle when there is one. */
export function describeViolation(violation: IViolation): string {
  const edge = `${violation.rule.name}: ${violation.from} → ${violation.to}`;
  if (!violation.cycle) return edge;
  return `${edge} (cycle: ${[violation.from, ...violation.cycle.map((step) => step.name)].join(' → ')})`;
}

/** Every .ts file under service/, by its path from the repository: JavaScript, no comments, every import kept. */
export async function transpileService(root = ROOT): Promise<Map<string, string>> {
  const files = new Map<string, string>();
  for (const entry of await readdir(join(root, 'service'), { withFileTypes: true, recursive: true })) {
    if (!entry.isFile() || !entry.name.endsWith('.ts')) continue;
    const source = join(entry.parentPath, entry.name);
    files.set(relative(root, source), await keepEveryImport(await readFile(source, 'utf8')));
  }
  return files;
}

/** `import type` becomes `import`, and verbatimModuleSyntax keeps imports whose names are only types. */
async function keepEveryImport(code: string): Promise<string> {
  const valued = code.replace(/^import type\b/gm, 'import').replace(/^export type (\{[^}]*\}\s*from\b)/gm, 'export $1');
  const output = await transform(valued, {
    loader: 'ts',
    format: 'esm',
    tsconfigRaw: { compilerOptions: { verbatimModuleSyntax: true } },
  });
  return output.code;
}
