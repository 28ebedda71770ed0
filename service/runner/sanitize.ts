// What GitLab renders is what the person who wrote @claude saw; anything the page hides (HTML comments,
// zero-width and bidi characters, image alt text, link titles, reference-definition "comments") is where
// a prompt injection hides. User-written markdown goes through stripHiddenMarkdown before it reaches the
// prompt; code (diffs, files) keeps its text but has invisible characters made visible, since removing
// them would misquote the code and hiding them is the Trojan Source trick.

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

/**
 * Splits markdown into code (fenced blocks, inline code spans: shown verbatim by GitLab) and prose, and
 * drops HTML comments from prose on the way (an unterminated `<!--` hides the rest, as it does on the page).
 */
function segments(text: string): Segment[] {
  const out: Segment[] = [];
  let prose = '';
  const flushProse = () => {
    if (prose) out.push({ code: false, text: prose });
    prose = '';
  };
  let i = 0;
  let atLineStart = true;
  while (i < text.length) {
    if (atLineStart) {
      // A backtick fence's info string cannot contain a backtick (CommonMark 4.5).
      const fence = /^ {0,3}(`{3,}(?=[^`\n]*(?:\n|$))|~{3,})[^\n]*(\n|$)/.exec(text.slice(i));
      if (fence) {
        const marker = fence[1]!;
        const closer = new RegExp(`\\n {0,3}${marker[0] === '`' ? '`' : '~'}{${marker.length},}[ \\t]*(?=\\n|$)`, 'g');
        closer.lastIndex = i + fence[0].length - 1;
        const close = closer.exec(text);
        const end = close ? close.index + close[0].length : text.length;
        flushProse();
        out.push({ code: true, text: text.slice(i, end) });
        i = end;
        atLineStart = false;
        continue;
      }
    }
    const char = text[i]!;
    if (char === '<' && text.startsWith('<!--', i)) {
      const close = text.indexOf('-->', i + 4);
      i = close === -1 ? text.length : close + 3;
      atLineStart = false;
      continue;
    }
    if (char === '`') {
      const run = /^`+/.exec(text.slice(i))![0];
      const paragraphEnd = text.indexOf('\n\n', i);
      const limit = paragraphEnd === -1 ? text.length : paragraphEnd;
      const closer = new RegExp(`(?<!\`)${run}(?!\`)`, 'g');
      closer.lastIndex = i + run.length;
      const close = closer.exec(text);
      if (close && close.index < limit) {
        flushProse();
        const end = close.index + run.length;
        out.push({ code: true, text: text.slice(i, end) });
        i = end;
        atLineStart = false;
        continue;
      }
      prose += run;
      i += run.length;
      atLineStart = false;
      continue;
    }
    prose += char;
    atLineStart = char === '\n';
    i += 1;
  }
  flushProse();
  return out;
}

function stripProse(text: string): string {
  return (
    text
      // Image alt text and titles are not shown on the page: ![alt](url "title") → ![](url).
      .replace(/!\[[^\]]*\]\(\s*(<[^>]*>|[^\s)]*)(?:\s+(?:"[^"]*"|'[^']*'|\([^)]*\)))?\s*\)/g, '![]($1)')
      // Link titles only show on hover: [text](url "title") → [text](url).
      .replace(/(?<!!)\[([^\]]*)\]\(\s*(<[^>]*>|[^\s)]*)\s+(?:"[^"]*"|'[^']*'|\([^)]*\))\s*\)/g, '[$1]($2)')
      // Reference definitions render as nothing: `[//]: # (hidden)` and `[x]: url "hidden"`.
      .replace(/^ {0,3}\[[^\]\n]+\]:[^\n]*$/gm, '')
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
