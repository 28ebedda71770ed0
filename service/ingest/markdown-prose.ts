// The parts of a GitLab-flavoured markdown comment that a reader sees as the author's own prose: not code
// (inline spans, fenced and indented blocks, <code>/<pre>), not quotes (`>` lines, their lazy continuation
// lines, GitLab's `>>>` blocks), not HTML comments. A mention is only an instruction where it is prose:
// quoting someone's `@claude ...` or showing it in a code sample must not start a run.
//
// This is a line scanner that follows CommonMark's block rules where they decide what is prose (fence
// open/close, indented code only outside a paragraph, list item content columns, lazy quote lines), not a
// renderer. Where it has to guess, it guesses "not prose": a missed mention costs one more comment, a
// false one costs a pipeline.

import { blankInlineNonProse } from './markdown-inline.js';

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

function expandTabs(line: string): string {
  if (!line.includes('\t')) return line;
  let out = '';
  for (const char of line) out += char === '\t' ? ' '.repeat(4 - (out.length % 4)) : char;
  return out;
}
