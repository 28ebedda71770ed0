import { parse } from 'yaml';

// The files a project's CI configuration includes from its own repository (`include: local`, and the
// bare-string short form), as repository-relative globs: changing one changes the pipeline as surely as
// changing .gitlab-ci.yml. Remote, project, template and component includes live elsewhere.

export function localIncludes(ciConfig: string | null): string[] {
  if (!ciConfig) return [];
  let document: unknown;
  try {
    document = parse(ciConfig);
  } catch {
    return [];
  }
  if (!document || typeof document !== 'object') return [];
  const include = (document as Record<string, unknown>).include;
  const entries = Array.isArray(include) ? include : include === undefined ? [] : [include];
  const paths: string[] = [];
  for (const entry of entries) {
    if (typeof entry === 'string' && !/^https?:\/\//i.test(entry)) paths.push(entry);
    else if (entry && typeof entry === 'object' && typeof (entry as { local?: unknown }).local === 'string') paths.push((entry as { local: string }).local);
  }
  return paths.map((path) => path.trim().replace(/^\/+/, '')).filter(Boolean);
}
