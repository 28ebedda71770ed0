// GitLab webhooks mix two timestamp forms: Ruby's `2015-05-17 18:21:36 UTC` (also seen with a numeric
// offset, `2015-05-17 18:21:36 +0200`) in note, issue and pipeline hooks, and ISO 8601
// (`2019-06-05T14:32:20.211Z`, `2016-08-12T17:23:21+02:00`) in labels and commits. Date.parse accepts
// far more than that (and differs between engines), so both forms are matched exactly and every field is
// range-checked: anything else is garbage, not a time.

const RUBY_FORM = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2}) (UTC|[+-]\d{4})$/;
const ISO_FORM = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:?\d{2})$/;

/** Parses either GitLab timestamp form to ISO 8601 UTC with milliseconds (`2015-05-17T18:21:36.000Z`); null if it is neither. */
export function parseGitlabTimestamp(value: string): string | null {
  const match = RUBY_FORM.exec(value) ?? ISO_FORM.exec(value);
  if (!match) return null;
  const [, year, month, day, hour, minute, second] = match.map(Number) as [number, number, number, number, number, number, number];
  const fraction = match.length === 9 ? match[7] : undefined;
  const zone = match[match.length - 1] as string;
  if (month < 1 || month > 12 || hour > 23 || minute > 59 || second > 59) return null;
  if (day < 1 || day > daysInMonth(year, month)) return null;
  const offsetMinutes = parseOffset(zone);
  if (offsetMinutes === null) return null;
  const millis = fraction ? Number(fraction.slice(0, 3).padEnd(3, '0')) : 0;
  const date = new Date(0);
  // setUTCFullYear, not Date.UTC: Date.UTC maps years 0-99 to 1900-1999.
  date.setUTCFullYear(year, month - 1, day);
  date.setUTCHours(hour, minute - offsetMinutes, second, millis);
  // An offset can push year 0000 or 9999 out of the four-digit range that ISO strings keep.
  if (date.getUTCFullYear() < 0 || date.getUTCFullYear() > 9999) return null;
  return date.toISOString();
}

function daysInMonth(year: number, month: number): number {
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  return [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1] as number;
}

function parseOffset(zone: string): number | null {
  if (zone === 'UTC' || zone === 'Z') return 0;
  const digits = zone.slice(1).replace(':', '');
  const hours = Number(digits.slice(0, 2));
  const minutes = Number(digits.slice(2));
  if (hours > 23 || minutes > 59) return null;
  return (zone.startsWith('-') ? -1 : 1) * (hours * 60 + minutes);
}
