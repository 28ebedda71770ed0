import type { Params } from './params.js';
import { paramErrors } from './errors.js';

// Offset pagination as GitLab documents it (https://docs.gitlab.com/api/rest/#offset-based-pagination):
// `page` (default 1) and `per_page` (default 20, at most 100), answered with X-Page, X-Per-Page,
// X-Next-Page, X-Prev-Page (empty when there is none), X-Total, X-Total-Pages and a Link header.

export interface Page<T> {
  items: T[];
  headers: Record<string, string>;
}

export function paginate<T>(all: readonly T[], params: Params, requestUrl: URL): Page<T> {
  const page = readPositiveInt(params, 'page', 1);
  const perPage = Math.min(readPositiveInt(params, 'per_page', 20), 100);
  const total = all.length;
  const totalPages = Math.max(1, Math.ceil(total / perPage));
  const items = all.slice((page - 1) * perPage, page * perPage);
  const next = page < totalPages ? String(page + 1) : '';
  const prev = page > 1 ? String(Math.min(page - 1, totalPages)) : '';
  const link = (target: number) => {
    const url = new URL(requestUrl);
    url.searchParams.set('page', String(target));
    url.searchParams.set('per_page', String(perPage));
    return url.toString();
  };
  const links: string[] = [];
  if (prev) links.push(`<${link(Number(prev))}>; rel="prev"`);
  if (next) links.push(`<${link(Number(next))}>; rel="next"`);
  links.push(`<${link(1)}>; rel="first"`, `<${link(totalPages)}>; rel="last"`);
  return {
    items,
    headers: {
      'x-page': String(page),
      'x-per-page': String(perPage),
      'x-next-page': next,
      'x-prev-page': prev,
      'x-total': String(total),
      'x-total-pages': String(totalPages),
      link: links.join(', '),
    },
  };
}

function readPositiveInt(params: Params, name: string, fallback: number): number {
  const raw = params[name];
  if (raw === undefined || raw === null || raw === '') return fallback;
  const value = typeof raw === 'number' ? raw : typeof raw === 'string' && /^-?\d+$/.test(raw) ? Number(raw) : NaN;
  // Grape's `type: Integer` rejects what it cannot coerce.
  if (!Number.isInteger(value)) throw paramErrors([`${name} is invalid`]);
  return value < 1 ? fallback : value;
}
