import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// The README and docs/ are what a newcomer reads: every relative link must reach a file, and every
// anchor a heading of it, as GitHub renders them. The README stays short enough to read in five minutes.

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** Markdown without fenced code blocks and inline code, where brackets are not links or headings. */
function prose(markdown: string): string {
  return markdown.replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[^\n]*$/gm, '').replace(/`[^`\n]*`/g, (code) => code.replace(/[[\]()#]/g, ' '));
}

/** GitHub's anchors of a file's headings: lowercased, punctuation dropped, spaces to hyphens, repeats numbered. */
function headingAnchors(markdown: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  const withoutFences = markdown.replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[^\n]*$/gm, '');
  for (const match of withoutFences.matchAll(/^#{1,6}[ \t]+(.+?)[ \t#]*$/gm)) {
    const text = match[1]!.replace(/`/g, '').replace(/\[([^\]]*)\]\([^)]*\)/g, '$1');
    const base = text.toLowerCase().replace(/[^\p{L}\p{N}\s_-]/gu, '').replace(/\s/g, '-');
    const count = seen.get(base) ?? 0;
    seen.set(base, count + 1);
    anchors.add(count === 0 ? base : `${base}-${count}`);
  }
  return anchors;
}

/** Every relative link of `file` that does not resolve, as "target (reason)". */
function brokenLinks(file: string, markdown: string, read: (path: string) => string | null): string[] {
  const broken: string[] = [];
  for (const match of prose(markdown).matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)) {
    const target = match[1]!;
    if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue; // https:, mailto: …: not ours to check offline
    const [path = '', anchor] = target.split('#', 2);
    const resolved = path === '' ? file : resolve(dirname(file), decodeURIComponent(path));
    const content = read(resolved);
    if (content === null) {
      broken.push(`${target} (no such file)`);
      continue;
    }
    if (anchor !== undefined && !headingAnchors(content).has(anchor)) broken.push(`${target} (no heading #${anchor})`);
  }
  return broken;
}

function readIfFile(path: string): string | null {
  if (!existsSync(path)) return null;
  // A link to a directory is fine on GitHub (it lists it); anchors into one are not.
  return statSync(path).isDirectory() ? '' : readFileSync(path, 'utf8');
}

const pages = ['README.md', ...readdirSync(join(root, 'docs')).filter((name) => name.endsWith('.md')).map((name) => `docs/${name}`)];

describe('README and docs', () => {
  it.each(pages)('%s: every relative link reaches a file and every anchor a heading', (page) => {
    const file = join(root, page);
    expect(brokenLinks(file, readFileSync(file, 'utf8'), readIfFile)).toEqual([]);
  });

  it('README.md links every page in docs/', () => {
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    const unlinked = pages.filter((page) => page.startsWith('docs/') && !readme.includes(`](${page}`));
    expect(unlinked).toEqual([]);
  });

  it('README.md stays under 230 lines', () => {
    const lines = readFileSync(join(root, 'README.md'), 'utf8').split('\n').length;
    expect(lines, `README.md has ${lines} lines: move detail into docs/`).toBeLessThan(230);
  });
});

describe('the link check itself', () => {
  const files: Record<string, string> = {
    '/r/README.md': '# Title\n\n## Quick start\n\nSee [a](docs/a.md#the-part), [b](docs/b.md), [c](#quick-start), [d](#nowhere), [e](https://example.com/x.md).\n',
    '/r/docs/a.md': '# A\n\n## The part\n\n```sh\n# not a heading\n```\n\n`[not](a-link.md)` [back](../README.md#title)\n',
  };
  const read = (path: string) => files[path] ?? null;

  it('reports a missing file and a missing anchor, and nothing else', () => {
    expect(brokenLinks('/r/README.md', files['/r/README.md']!, read)).toEqual(['docs/b.md (no such file)', '#nowhere (no heading #nowhere)']);
    expect(brokenLinks('/r/docs/a.md', files['/r/docs/a.md']!, read)).toEqual([]);
  });

  it("makes GitHub's anchors: punctuation and code marks dropped, repeated headings numbered", () => {
    expect([...headingAnchors('## 3. CI/CD variables\n## One `include:` line\n## Deploy\n### Deploy\n')]).toEqual(['3-cicd-variables', 'one-include-line', 'deploy', 'deploy-1']);
  });
});
