import { parse, stringify } from 'yaml';

// Gitlab::Ci::Config's include step, reduced to what the stand-in serves: `include:` as a string, a list,
// `remote:` (answered from the stand-in's remote files) and `local:` (from the same commit). Included
// files merge first, in order, and the including file's keys win (Config::External::Processor:
// deep_merge, hashes merged, anything else replaced). Other include kinds are not modelled: they throw.

export interface MergeSources {
  remote: (url: string) => string | undefined;
  local: (path: string) => Promise<string | undefined>;
}

export type MergeResult = { valid: true; merged: Record<string, unknown> } | { valid: false; errors: string[] };

type Hash = Record<string, unknown>;

/** Includes nest at most this deep (Gitlab::Ci::Config::External::Context::MAX_NESTING... is 150; plenty). */
const MAX_DEPTH = 100;

export async function mergeConfig(content: string | undefined, sources: MergeSources): Promise<MergeResult> {
  if (content === undefined || content.trim() === '')
    return { valid: false, errors: ['Please provide content of .gitlab-ci.yml'] };
  const errors: string[] = [];
  const merged = await expand(content, sources, errors, 0);
  return errors.length > 0 || !merged ? { valid: false, errors } : { valid: true, merged };
}

/** The lint API's `merged_yaml`: Ruby's to_yaml starts with a document marker. */
export function mergedYaml(merged: Hash): string {
  return `---\n${stringify(merged)}`;
}

async function expand(content: string, sources: MergeSources, errors: string[], depth: number): Promise<Hash | null> {
  const doc = load(content, errors);
  if (!doc) return null;
  const { include, ...own } = doc;
  if (include === undefined) return own;
  if (depth >= MAX_DEPTH) {
    errors.push(`Maximum of ${MAX_DEPTH} nested includes are allowed!`);
    return null;
  }
  let result: Hash = {};
  for (const entry of Array.isArray(include) ? include : [include]) {
    const text = await fetchInclude(entry, sources, errors);
    if (text === undefined) continue;
    const included = await expand(text, sources, errors, depth + 1);
    if (included) result = deepMerge(result, included);
  }
  return deepMerge(result, own);
}

function load(content: string, errors: string[]): Hash | null {
  let doc: unknown;
  try {
    doc = parse(content);
  } catch (error) {
    errors.push(`(<unknown>): ${(error as Error).message.split('\n')[0]}`);
    return null;
  }
  if (!isHash(doc)) {
    errors.push('Invalid configuration format');
    return null;
  }
  return doc;
}

async function fetchInclude(entry: unknown, sources: MergeSources, errors: string[]): Promise<string | undefined> {
  const spec = typeof entry === 'string' ? (/^https?:\/\//.test(entry) ? { remote: entry } : { local: entry }) : entry;
  if (isHash(spec) && typeof spec.remote === 'string') {
    const text = sources.remote(spec.remote);
    // What GitLab says when the URL answers 404 (lib/gitlab/ci/config/external/file/remote.rb).
    if (text === undefined)
      errors.push(`Remote file \`${spec.remote}\` could not be fetched because of HTTP code \`404\` error!`);
    return text;
  }
  if (isHash(spec) && typeof spec.local === 'string') {
    const text = await sources.local(spec.local.replace(/^\/+/, ''));
    if (text === undefined) errors.push(`Local file \`${spec.local}\` does not exist!`);
    return text;
  }
  throw new Error(`stand-in: include ${JSON.stringify(entry)} is not modelled (only remote and local)`);
}

function deepMerge(base: Hash, over: Hash): Hash {
  const out: Hash = { ...base };
  for (const [key, value] of Object.entries(over)) {
    const current = out[key];
    out[key] = isHash(current) && isHash(value) ? deepMerge(current, value) : value;
  }
  return out;
}

function isHash(value: unknown): value is Hash {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
