// The inline half of markdown-prose.ts: within a paragraph, what a reader sees as text, with code spans,
// HTML comments, inline <code>-like elements and link destinations blanked out.

const ASCII_PUNCTUATION = /[!-/:-@[-`{-~]/;
const INLINE_HTML_CODE = /^<(code|pre|kbd|samp)(?:\s[^>]*)?>/i;

/**
 * Replaces code spans, HTML comments, inline <code>-like elements and link destinations with a space, so
 * that what is left is what the reader sees as text. Unclosed openers stay literal, as CommonMark has it.
 * Linear in the text: a comment body can be a megabyte, and an unclosed opener must not rescan the rest
 * for each later opener.
 */
export function blankInlineNonProse(text: string): string {
  // ASCII only: full toLowerCase can change the length ('İ' → 'i̇') and shift every index after it.
  const lower = text.replace(/[A-Z]+/g, (letters) => letters.toLowerCase());
  const backticks = new BacktickRuns(text);
  const unclosed = new Set<string>();
  /** Index of `closer` at or after `from`, or -1; remembers failures, since none later means none after any later `from`. */
  const find = (closer: string, from: number): number => {
    if (unclosed.has(closer)) return -1;
    const at = lower.indexOf(closer, from);
    if (at === -1) unclosed.add(closer);
    return at;
  };
  let out = '';
  let i = 0;
  const special = /[\\`<\]]/g;
  while (i < text.length) {
    // Copy plain text up to the next character that can open something, in one slice.
    special.lastIndex = i;
    const next = special.exec(text);
    if (!next) {
      out += text.slice(i);
      break;
    }
    if (next.index > i) {
      out += text.slice(i, next.index);
      i = next.index;
    }
    const char = text[i] as string;
    if (char === '\\' && i + 1 < text.length && ASCII_PUNCTUATION.test(text[i + 1] as string)) {
      out += text.slice(i, i + 2);
      i += 2;
      continue;
    }
    if (char === '`') {
      const run = runLength(text, i, '`');
      const end = backticks.closingAfter(i + run, run);
      if (end !== -1) {
        out += ' ';
        i = end;
      } else {
        out += '`'.repeat(run);
        i += run;
      }
      continue;
    }
    if (text.startsWith('<!--', i)) {
      const end = find('-->', i + 4);
      if (end !== -1) {
        out += ' ';
        i = end + 3;
        continue;
      }
    }
    if (char === '<') {
      const tag = INLINE_HTML_CODE.exec(text.slice(i, i + 256));
      if (tag) {
        const closer = `</${tag[1]?.toLowerCase()}>`;
        const close = find(closer, i + tag[0].length);
        if (close !== -1) {
          out += ' ';
          i = close + closer.length;
          continue;
        }
      }
    }
    if (char === ']' && text[i + 1] === '(' && find(')', i + 2) !== -1) {
      const close = closingParenthesis(text, i + 2);
      if (close !== -1) {
        out += '] ';
        i = close + 1;
        continue;
      }
    }
    out += char;
    i += 1;
  }
  return out;
}

function runLength(text: string, from: number, char: string): number {
  let end = from;
  while (text[end] === char) end += 1;
  return end - from;
}

/** The backtick runs of a text by length, to find a code span's closing run without rescanning. */
class BacktickRuns {
  private readonly starts = new Map<number, number[]>();
  private readonly next = new Map<number, number>();

  constructor(text: string) {
    for (const match of text.matchAll(/`+/g)) {
      const list = this.starts.get(match[0].length) ?? [];
      list.push(match.index);
      this.starts.set(match[0].length, list);
    }
  }

  /** Index just past the first run of exactly `length` backticks starting at or after `from`, or -1. */
  closingAfter(from: number, length: number): number {
    const list = this.starts.get(length) ?? [];
    let index = this.next.get(length) ?? 0;
    while (index < list.length && (list[index] as number) < from) index += 1;
    this.next.set(length, index);
    return index < list.length ? (list[index] as number) + length : -1;
  }
}

/** Longer than any link destination and title worth reading; bounds the work per unmatched `](`. */
const MAX_DESTINATION = 512;
/** CommonMark's own limit on nested parentheses in a destination. */
const MAX_NESTING = 32;

/** Index of the `)` that closes a link destination starting at `from` (nested parentheses balance), or -1. */
function closingParenthesis(text: string, from: number): number {
  let depth = 0;
  const end = Math.min(text.length, from + MAX_DESTINATION);
  for (let i = from; i < end; i += 1) {
    const char = text[i];
    if (char === '\\') i += 1;
    else if (char === '\n' && text[i + 1] === '\n') return -1;
    else if (char === '(') {
      depth += 1;
      if (depth > MAX_NESTING) return -1;
    } else if (char === ')') {
      if (depth === 0) return i;
      depth -= 1;
    }
  }
  return -1;
}
