import { paramErrors } from './errors.js';

// Request parameters the way GitLab (Rack + Grape) sees them: query string and body merged, form bodies
// parsed with Rack's nested-key rules, so `variables[K]=v` is a hash and `variables[][key]=K` an array
// of hashes, exactly the two shapes the two pipeline APIs tell apart.

export type Params = Record<string, unknown>;

/** Rack::QueryParser#normalize_params, reduced to the forms clients send. */
export function parseRackQuery(raw: string): Params {
  const out: Params = {};
  if (!raw) return out;
  for (const pair of raw.split('&')) {
    if (!pair) continue;
    const eq = pair.indexOf('=');
    const rawKey = eq === -1 ? pair : pair.slice(0, eq);
    const rawValue = eq === -1 ? '' : pair.slice(eq + 1);
    const key = decodeForm(rawKey);
    const value = decodeForm(rawValue);
    normalize(out, key, value);
  }
  return out;
}

function decodeForm(text: string): string {
  try {
    return decodeURIComponent(text.replace(/\+/g, ' '));
  } catch {
    return text;
  }
}

function normalize(target: Params, name: string, value: unknown): void {
  const match = /^\[?([^[\]]+)\]?(.*)$/.exec(name);
  if (!match) return;
  const key = match[1] as string;
  const after = match[2] as string;
  if (after === '') {
    target[key] = value;
    return;
  }
  if (after === '[]') {
    const list = Array.isArray(target[key]) ? (target[key] as unknown[]) : [];
    list.push(value);
    target[key] = list;
    return;
  }
  const arrayOfHashes = /^\[\]\[?([^[\]]+)\]?(.*)$/.exec(after);
  if (arrayOfHashes) {
    // Rack starts a new hash when the last one already has this key.
    const childKey = `${arrayOfHashes[1] as string}${arrayOfHashes[2] as string}`;
    const list = Array.isArray(target[key]) ? (target[key] as unknown[]) : [];
    const last = list[list.length - 1];
    const firstChild = arrayOfHashes[1] as string;
    if (isPlainObject(last) && !(firstChild in last)) {
      normalize(last, childKey, value);
    } else {
      const fresh: Params = {};
      normalize(fresh, childKey, value);
      list.push(fresh);
    }
    target[key] = list;
    return;
  }
  const child = isPlainObject(target[key]) ? (target[key] as Params) : {};
  normalize(child, after, value);
  target[key] = child;
}

export function isPlainObject(value: unknown): value is Params {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Parses a request body by its content type: JSON or urlencoded form, like GitLab's API accepts. */
export function parseBody(contentType: string | undefined, raw: Buffer): Params {
  if (raw.length === 0) return {};
  const type = (contentType ?? '').split(';')[0]?.trim().toLowerCase();
  if (type === 'application/json') {
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw.toString('utf8'));
    } catch {
      // Grape::Exceptions::InvalidMessageBody.
      throw paramErrors(['message body does not match declared format']);
    }
    return isPlainObject(parsed) ? parsed : {};
  }
  if (type === 'application/x-www-form-urlencoded') return parseRackQuery(raw.toString('utf8'));
  // Other bodies (multipart among them) are not read: see the README note in index.ts.
  return {};
}

/**
 * Grape's declared-parameter checks, collected in declaration order and joined into one 400 like Grape
 * does ("ref is missing, token is missing").
 */
export class ParamCheck {
  private readonly errors: string[] = [];

  constructor(private readonly params: Params) {}

  /** `requires :name, type: String` (Grape coerces numbers to strings; rejects arrays and hashes). */
  requiredString(name: string, options: { allowBlank?: boolean } = {}): string {
    const value = this.params[name];
    if (value === undefined || value === null) {
      this.errors.push(`${name} is missing`);
      return '';
    }
    return this.string(name, value, options.allowBlank ?? true) ?? '';
  }

  optionalString(name: string, options: { allowBlank?: boolean } = {}): string | undefined {
    const value = this.params[name];
    if (value === undefined || value === null) return undefined;
    return this.string(name, value, options.allowBlank ?? true);
  }

  optionalInteger(name: string): number | undefined {
    const value = this.params[name];
    if (value === undefined || value === null || value === '') return undefined;
    const number = typeof value === 'number' ? value : typeof value === 'string' && /^-?\d+$/.test(value.trim()) ? Number(value) : NaN;
    if (!Number.isInteger(number)) {
      this.errors.push(`${name} is invalid`);
      return undefined;
    }
    return number;
  }

  optionalBoolean(name: string): boolean | undefined {
    const value = this.params[name];
    if (value === undefined || value === null) return undefined;
    if (value === true || value === 'true' || value === '1' || value === 1) return true;
    if (value === false || value === 'false' || value === '0' || value === 0) return false;
    this.errors.push(`${name} is invalid`);
    return undefined;
  }

  /** `values: [...]` */
  optionalEnum<T extends string>(name: string, values: readonly T[]): T | undefined {
    const value = this.optionalString(name);
    if (value === undefined) return undefined;
    if (!(values as readonly string[]).includes(value)) {
      this.errors.push(`${name} does not have a valid value`);
      return undefined;
    }
    return value as T;
  }

  /** `type: DateTime`: ISO 8601. */
  optionalDate(name: string): Date | undefined {
    const value = this.optionalString(name);
    if (value === undefined) return undefined;
    const date = new Date(value);
    if (!/^\d{4}-\d{2}-\d{2}/.test(value) || Number.isNaN(date.getTime())) {
      this.errors.push(`${name} is invalid`);
      return undefined;
    }
    return date;
  }

  raw(name: string): unknown {
    return this.params[name];
  }

  add(message: string): void {
    this.errors.push(message);
  }

  /** Throws the collected 400, if any. */
  done(): void {
    if (this.errors.length > 0) throw paramErrors(this.errors);
  }

  private string(name: string, value: unknown, allowBlank: boolean): string | undefined {
    let text: string;
    if (typeof value === 'string') text = value;
    else if (typeof value === 'number' || typeof value === 'boolean') text = String(value);
    else {
      this.errors.push(`${name} is invalid`);
      return undefined;
    }
    // Grape's allow_blank: false strips whitespace before deciding.
    if (!allowBlank && text.trim() === '') {
      this.errors.push(`${name} is empty`);
      return undefined;
    }
    return text;
  }
}
