// What GitLab renders is what the person who wrote @claude saw; anything the page hides (HTML comments, <script>,
// processing instructions and declarations, zero-width and bidi characters, image alt text, link titles,
// reference-definition "comments") is where a prompt injection hides. User-written markdown goes through
// stripHiddenMarkdown before it reaches the prompt; code (diffs, files) keeps its text but has invisible characters
// made visible, since removing them would misquote the code and hiding them is the Trojan Source trick.

// Unicode's Default_Ignorable_Code_Point: characters a renderer shows as nothing. It covers zero-width spaces and
// joiners, the soft hyphen, bidi marks, embeddings, overrides and isolates (the Trojan Source trick), variation
// selectors, the Hangul fillers U+115F, U+1160, U+3164 and U+FFA0, the combining grapheme joiner U+034F and the
// "tag" characters (invisible ASCII look-alikes used to smuggle text). U+2800, the blank braille pattern, is not in
// the property but shows as blank too.
const INVISIBLE = /[\p{Default_Ignorable_Code_Point}\u2800]/gu;

export function removeInvisible(text: string): string {
  return text.replace(INVISIBLE, '');
}

/** For code: keeps the text honest and shows where invisible characters were. */
export function revealInvisible(text: string): string {
  return text.replace(INVISIBLE, (char) => `<U+${char.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}>`);
}

type Segment = { code: boolean; text: string };

// A backslash before ASCII punctuation makes it a literal character (CommonMark 2.4): `\<!--` is shown, not a comment.
const ESCAPABLE = /[!-\/:-@[-`{-~]/;

/**
 * Splits markdown into code (fenced blocks, inline code spans: shown verbatim by GitLab) and prose, and
 * drops what the page does not show on the way.
 */
function segments(text: string): Segment[] {
  const out: Segment[] = [];
  let prose = '';
  const flushProse = () => {
    if (prose) out.push({ code: false, text: prose });
    prose = '';
  };
  const find = finder(text);
  let i = 0;
  while (i < text.length) {
    const lineStart = i === 0 || text[i - 1] === '\n';
    const code = (lineStart ? fenceEnd(text, i) : undefined) ?? codeSpanEnd(text, i, find);
    if (code !== undefined) {
      flushProse();
      out.push({ code: true, text: text.slice(i, code) });
      i = code;
      continue;
    }
    const hidden = (lineStart ? definitionEnd(text, i) : undefined) ?? hiddenHtmlEnd(text, i, find);
    if (hidden !== undefined) {
      i = hidden;
      continue;
    }
    const literal = literalLength(text, i);
    prose += text.slice(i, i + literal);
    i += literal;
  }
  flushProse();
  return out;
}

/** How much literal text starts at `i`: an escaped character, a backtick run that opens no code span, or one char. */
function literalLength(text: string, i: number): number {
  if (text[i] === '\\' && ESCAPABLE.test(text[i + 1] ?? '')) return 2;
  return text[i] === '`' ? backtickRun(text, i) : 1;
}

type Find = (needle: string | RegExp, from: number) => number;

const BLANK_LINE = /\n[ \t]*\n/g;

/**
 * indexOf (or a global regex's search) that remembers its last answer: the scanner asks from ever-later positions,
 * so one pass over the text serves them all, and many unclosed openers cost no more than one.
 */
function finder(text: string): Find {
  const last = new Map<string | RegExp, { from: number; at: number }>();
  return (needle, from) => {
    const hit = last.get(needle);
    if (hit && hit.from <= from && (hit.at === -1 || hit.at >= from)) return hit.at;
    let at: number;
    if (typeof needle === 'string') at = text.indexOf(needle, from);
    else {
      needle.lastIndex = from;
      at = needle.exec(text)?.index ?? -1;
    }
    last.set(needle, { from, at });
    return at;
  };
}

/** Whether `position` (-1: nowhere) comes before the end of the paragraph that `from` is in. */
function inParagraph(find: Find, from: number, position: number): boolean {
  const blank = find(BLANK_LINE, from);
  return position !== -1 && (blank === -1 || position < blank);
}

// A backtick fence's info string cannot contain a backtick (CommonMark 4.5).
const FENCE = / {0,3}(`{3,}(?=[^`\n]*(?:\n|$))|~{3,})[^\n]*(\n|$)/y;

/** Where a fenced code block opening at line start `i` ends (at its closing fence, or the end of the text). */
function fenceEnd(text: string, i: number): number | undefined {
  FENCE.lastIndex = i;
  const fence = FENCE.exec(text);
  if (!fence) return undefined;
  const marker = fence[1]!;
  const closer = new RegExp(`\\n {0,3}${marker[0] === '`' ? '`' : '~'}{${marker.length},}[ \\t]*(?=\\n|$)`, 'g');
  closer.lastIndex = i + fence[0].length - 1;
  const close = closer.exec(text);
  return close ? close.index + close[0].length : text.length;
}

function backtickRun(text: string, i: number): number {
  let end = i;
  while (text[end] === '`') end += 1;
  return end - i;
}

const CODE_SPAN_CLOSERS = new Map<number, RegExp>();

/** Where a code span opening at `i` ends: at the next backtick run of the same length in the same paragraph. */
function codeSpanEnd(text: string, i: number, find: Find): number | undefined {
  if (text[i] !== '`') return undefined;
  const run = backtickRun(text, i);
  let closer = CODE_SPAN_CLOSERS.get(run);
  if (!closer) CODE_SPAN_CLOSERS.set(run, (closer = new RegExp(`(?<!\`)\`{${run}}(?!\`)`, 'g')));
  const close = find(closer, i + run);
  return inParagraph(find, i, close) ? close + run : undefined;
}

// A link reference definition renders as nothing, title included, and the title may span lines (CommonMark 4.7):
// [label]: destination "title". `[^label]:` is a footnote, which GitLab shows.
const LABEL = String.raw`\[(?!\^)((?:[^\\[\]]|\\[\s\S]){1,999})\]`;
const DESTINATION = String.raw`(?:<(?:[^<>\n\\]|\\.)*>|[^\s<]\S*)`;
const TITLE = String.raw`(?:"(?:[^"\\]|\\[\s\S])*"|'(?:[^'\\]|\\[\s\S])*'|\((?:[^()\\]|\\[\s\S])*\))`;
const DEFINITION = new RegExp(String.raw` {0,3}${LABEL}:[ \t]*(?:\n[ \t]*)?${DESTINATION}`, 'y');
const DEFINITION_TITLE = new RegExp(String.raw`(?:[ \t]+(?:\n[ \t]*)?|\n[ \t]*)${TITLE}[ \t]*(?=\n|$)`, 'y');
const LINE_END = /[ \t]*(?=\n|$)/y;

/** Where a link reference definition at line start `i` ends. */
function definitionEnd(text: string, i: number): number | undefined {
  DEFINITION.lastIndex = i;
  const label = DEFINITION.exec(text)?.[1];
  if (label === undefined || !/\S/.test(label) || /\n[ \t]*\n/.test(label)) return undefined;
  const destinationEnd = DEFINITION.lastIndex;
  DEFINITION_TITLE.lastIndex = destinationEnd;
  const title = DEFINITION_TITLE.exec(text);
  if (title && !/\n[ \t]*\n/.test(title[0])) return DEFINITION_TITLE.lastIndex;
  // Without a valid title the definition still stands if its line ends at the destination; what follows shows.
  return matchEnd(LINE_END, text, destinationEnd);
}

/** Where raw HTML that the page does not show, opening at `i`, ends. */
function hiddenHtmlEnd(text: string, i: number, find: Find): number | undefined {
  if (text[i] !== '<') return undefined;
  return commentEnd(text, i) ?? scriptEnd(text, i) ?? bogusCommentEnd(text, i, find);
}

/**
 * CommonMark 0.31: `<!-->` and `<!--->` are whole (empty) comments; any other `<!--` runs to the next `-->`, and
 * an unterminated one hides the rest, as it does on the page.
 */
function commentEnd(text: string, i: number): number | undefined {
  if (!text.startsWith('<!--', i)) return undefined;
  const empty = matchEnd(/<!---?>/y, text, i);
  if (empty !== undefined) return empty;
  const close = text.indexOf('-->', i + 4);
  return close === -1 ? text.length : close + 3;
}

// GitLab's sanitizer (html-pipeline's allow-list, remove_contents: script) drops <script> with its content. Every
// other tag off the list (style, noscript, svg, xmp, textarea, ...) goes without its text, which stays on the page.
const SCRIPT_OPEN = /<script(?:[\s/][^>]*)?>/iy;
const SCRIPT_CLOSE = /<\/script(?:[\s/][^>]*)?>/gi;

/** Where a <script> element opening at `i` ends; an unclosed one hides the rest. */
function scriptEnd(text: string, i: number): number | undefined {
  const open = matchEnd(SCRIPT_OPEN, text, i);
  if (open === undefined) return undefined;
  SCRIPT_CLOSE.lastIndex = open;
  return SCRIPT_CLOSE.exec(text) ? SCRIPT_CLOSE.lastIndex : text.length;
}

// Processing instructions, declarations and CDATA are raw HTML to CommonMark (6.6), and the browser reads each as a
// bogus comment that ends at the first `>`: GitLab shows `foo <![CDATA[>&<]]>` as "foo &<]]>". Inline, each needs
// its CommonMark closer within the paragraph; at the start of a line (an HTML block, 4.6) it needs none.
const BOGUS_COMMENTS = [
  { opener: /<\?/y, closer: '?>' },
  { opener: /<![A-Za-z]/y, closer: '>' },
  { opener: /<!\[CDATA\[/y, closer: ']]>' },
];

function bogusCommentEnd(text: string, i: number, find: Find): number | undefined {
  for (const { opener, closer } of BOGUS_COMMENTS) {
    const after = matchEnd(opener, text, i);
    if (after === undefined) continue;
    if (!atBlockStart(text, i) && !inParagraph(find, i, find(closer, after))) return undefined;
    const end = find('>', i + 2);
    return end === -1 ? text.length : end + 1;
  }
  return undefined;
}

/** Whether `i` starts a block: at most three spaces into its line. */
function atBlockStart(text: string, i: number): boolean {
  return /^ {0,3}$/.test(text.slice(text.lastIndexOf('\n', i - 1) + 1, i));
}

/** Where a match of the sticky `pattern` at `i` ends, if it matches there. */
function matchEnd(pattern: RegExp, text: string, i: number): number | undefined {
  pattern.lastIndex = i;
  return pattern.test(text) ? pattern.lastIndex : undefined;
}

function stripProse(text: string): string {
  return (
    text
      // Image alt text and titles are not shown on the page: ![alt](url "title") → ![](url).
      .replace(/!\[[^\]]*\]\(\s*(<[^>]*>|[^\s)]*)(?:\s+(?:"[^"]*"|'[^']*'|\([^)]*\)))?\s*\)/g, '![]($1)')
      // Link titles only show on hover: [text](url "title") → [text](url).
      .replace(/(?<!!)\[([^\]]*)\]\(\s*(<[^>]*>|[^\s)]*)\s+(?:"[^"]*"|'[^']*'|\([^)]*\))\s*\)/g, '[$1]($2)')
      // Alt and title attributes of raw HTML.
      .replace(/\s(?:alt|title)\s*=\s*(?:"[^"]*"|'[^']*'|[^\s>]+)/gi, '')
  );
}

/** For user-written markdown (notes, descriptions, titles, the instruction itself). */
export function stripHiddenMarkdown(text: string): string {
  const visible = segments(removeInvisible(text))
    .map((segment) => (segment.code ? segment.text : stripProse(segment.text)))
    .join('');
  // Removed comments and definitions leave blank runs behind.
  return visible.replace(/\n{3,}/g, '\n\n').trim();
}

/**
 * GitLab Runner expands `$VAR` references inside variable values before the job sees them, so a
 * comment that mentions `$GITLAB_TOKEN` can arrive in AI_FLOW_INPUT with the token pasted in. Known secret values never reach
 * the prompt or a note.
 */
export function redactSecrets(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) {
    if (secret.length >= 8) out = out.split(secret).join('[REDACTED]');
  }
  return out;
}
