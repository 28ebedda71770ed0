// The parts of a GitLab-flavoured markdown comment that a reader sees as the author's own prose: not code
// (inline spans, fenced and indented blocks, <code>/<pre>), not quotes (`>` lines, their lazy continuation
// lines, GitLab's `>>>` blocks), not HTML comments. A mention is only an instruction where it is prose:
// quoting someone's `@claude ...` or showing it in a code sample must not start a run.
//
// This is a line scanner that follows CommonMark's block rules where they decide what is prose (fence
// open/close, indented code only outside a paragraph, list item content columns, lazy quote lines), not a
// renderer. Where it has to guess, it guesses "not prose": a missed mention costs one more comment, a
// false one costs a pipeline.

const LIST_ITEM = /^([-+*]|\d{1,9}[.)])( *)(.*)$/;
const THEMATIC_BREAK = /^([-*_])(?:[ ]*\1){2,}[ ]*$/;
const ATX_HEADING = /^#{1,6}(?: |$)/;
const FENCE_OPEN = /^(`{3,}|~{3,})(.*)$/;
const MULTILINE_QUOTE = /^(>{3,})[ ]*$/;
const RAW_HTML_OPEN = /^<(pre|script|style|textarea)(?:[ >]|$)/i;

type Open =
  | { kind: 'fence'; char: string; length: number; column: number }
  | { kind: 'multiline-quote'; length: number }
  | { kind: 'raw-html'; end: RegExp };

/** Prose paragraphs of `markdown` with inline code, comments and link destinations blanked out. */
export function proseOf(markdown: string): string[] {
  const prose: string[] = [];
  let paragraph: string[] = [];
  let open: Open | null = null;
  let listColumn = 0;
  let lazyQuote = false;
  let previousBlank = true;

  const flush = (): void => {
    if (paragraph.length > 0) prose.push(blankInlineNonProse(paragraph.join('\n')));
    paragraph = [];
  };

  for (const rawLine of markdown.replace(/\r\n?/g, '\n').split('\n')) {
    const line = expandTabs(rawLine);

    if (open) {
      const rest = closeOpenBlock(open, line);
      if (rest === null) continue;
      open = null;
      if (rest.trim() !== '') paragraph.push(rest);
      previousBlank = false;
      continue;
    }

    if (line.trim() === '') {
      flush();
      lazyQuote = false;
      previousBlank = true;
      continue;
    }

    const indent = line.length - line.trimStart().length;
    let content = line.slice(indent);
    if (listColumn > 0 && indent < listColumn && previousBlank && !LIST_ITEM.test(content)) listColumn = 0;
    const relativeIndent = indent >= listColumn ? indent - listColumn : indent;
    const continuingParagraph = paragraph.length > 0 || lazyQuote;
    previousBlank = false;

    if (relativeIndent >= 4 && !continuingParagraph) continue; // indented code block

    if (lazyQuote && !startsBlock(content)) continue; // CommonMark lazy continuation: still inside the quote
    lazyQuote = false;

    if (THEMATIC_BREAK.test(content)) {
      flush();
      continue;
    }

    // A list item's content is a block of its own: `- > quote`, `1. ```` and `- - @claude` all nest.
    let column = indent >= listColumn ? listColumn : 0;
    let item: RegExpExecArray | null;
    let indentedCodeInItem = false;
    let markerColumn = indent;
    while ((item = LIST_ITEM.exec(content)) !== null && (item[2] !== '' || item[3] === '')) {
      const [, marker = '', spaces = '', rest = ''] = item;
      if (THEMATIC_BREAK.test(content)) break;
      flush();
      const gap = rest === '' || spaces.length > 4 ? 1 : spaces.length;
      listColumn = markerColumn + marker.length + gap;
      if (spaces.length > 4 && rest !== '') indentedCodeInItem = true;
      column = listColumn;
      markerColumn = listColumn + Math.max(0, spaces.length - gap);
      content = rest;
    }
    if (indentedCodeInItem || content === '') continue;

    const fence = FENCE_OPEN.exec(content);
    if (fence && !(fence[1]?.startsWith('`') && fence[2]?.includes('`'))) {
      flush();
      open = { kind: 'fence', char: fence[1]?.[0] ?? '`', length: fence[1]?.length ?? 3, column };
      continue;
    }
    const multiline = MULTILINE_QUOTE.exec(content);
    if (multiline) {
      flush();
      open = { kind: 'multiline-quote', length: multiline[1]?.length ?? 3 };
      continue;
    }
    if (content.startsWith('>')) {
      flush();
      const quoted = content.replace(/^(?:>[ ]?)+/, '').trimStart();
      lazyQuote = quoted !== '' && !startsBlock(quoted);
      continue;
    }
    if (content.startsWith('<!--') && !content.includes('-->', 4)) {
      flush();
      open = { kind: 'raw-html', end: /-->/ };
      continue;
    }
    const rawHtml = RAW_HTML_OPEN.exec(content);
    if (rawHtml) {
      const end = new RegExp(`</${rawHtml[1]}>`, 'i');
      if (!end.test(content)) {
        flush();
        open = { kind: 'raw-html', end };
        continue;
      }
    }
    if (ATX_HEADING.test(content)) {
      flush();
      prose.push(blankInlineNonProse(content));
      continue;
    }
    paragraph.push(content);
  }
  flush();
  return prose;
}

/** Null while `line` is still inside the open block; otherwise what follows the block on this line. */
function closeOpenBlock(open: Open, line: string): string | null {
  const trimmed = line.trimStart();
  const indent = line.length - trimmed.length;
  switch (open.kind) {
    case 'fence': {
      const closing = new RegExp(`^\\${open.char}{${open.length},}[ ]*$`);
      return indent - open.column < 4 && closing.test(trimmed) ? '' : null;
    }
    case 'multiline-quote': {
      const closing = new RegExp(`^>{${open.length},}[ ]*$`);
      return indent < 4 && closing.test(trimmed) ? '' : null;
    }
    case 'raw-html': {
      const match = open.end.exec(line);
      return match ? line.slice(match.index + match[0].length) : null;
    }
  }
}

/** Whether `content` starts a block, which ends a quote's lazy continuation instead of extending it. */
function startsBlock(content: string): boolean {
  return (
    content.startsWith('>') ||
    FENCE_OPEN.test(content) ||
    ATX_HEADING.test(content) ||
    THEMATIC_BREAK.test(content) ||
    /^([-+*]|\d{1,9}[.)])(?: |$)/.test(content) ||
    content.startsWith('<!--') ||
    RAW_HTML_OPEN.test(content)
  );
}

const ASCII_PUNCTUATION = /[!-/:-@[-`{-~]/;
const INLINE_HTML_CODE = /^<(code|pre|kbd|samp)(?:\s[^>]*)?>/i;

/**
 * Replaces code spans, HTML comments, inline <code>-like elements and link destinations with a space, so
 * that what is left is what the reader sees as text. Unclosed openers stay literal, as CommonMark has it.
 * Linear in the text: a comment body can be a megabyte, and an unclosed opener must not rescan the rest
 * for each later opener.
 */
function blankInlineNonProse(text: string): string {
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

function expandTabs(line: string): string {
  if (!line.includes('\t')) return line;
  let out = '';
  for (const char of line) out += char === '\t' ? ' '.repeat(4 - (out.length % 4)) : char;
  return out;
}
