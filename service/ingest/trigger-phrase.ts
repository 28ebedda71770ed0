import { proseOf } from './markdown-prose.js';

// When does a comment mention the trigger phrase (docs/architecture.md, "A message's path")? As a word, in the author's own prose.
// - Before it: the start of a line or whitespace, optionally followed by opening punctuation or emphasis
//   (`(@claude`, `"@claude`, `**@claude**`, `~~@claude~~`). Not `[`: `[@claude](url)` is a link, not a
//   mention, and not a letter, digit, `_`, `/`, `\`, `.` or `:` (e-mail addresses, URLs, escapes, `cc:@claude`).
// - After it: the end, whitespace or punctuation, except where GitLab would read a longer username:
//   `-` and `_` continue one (`@claude-bot`, `@claude_2`, so `_@claude_` is not italic for us: `*@claude*`
//   is), and so do `.` or `/` followed by a name character (`@claude.dev`, `@claude/group`); a
//   sentence-ending `@claude.` still mentions.
// - Case-insensitive, as GitLab usernames are; whitespace inside a multi-word phrase matches any run.
const BEFORE = String.raw`(?<=(?:^|\s)[("'“‘*~]*)`;
const AFTER = String.raw`(?![\p{L}\p{N}_-])(?![./][\p{L}\p{N}_-])`;

const patterns = new Map<string, RegExp>();

export function triggerPattern(phrase: string): RegExp {
  let pattern = patterns.get(phrase);
  if (!pattern) {
    const words = phrase.trim().split(/\s+/).filter((word) => word !== '');
    // An empty phrase would match every comment: refuse it loudly rather than trigger on everything.
    if (words.length === 0) throw new TypeError('trigger phrase must not be empty');
    pattern = new RegExp(`${BEFORE}${words.map(escapeRegExp).join(String.raw`\s+`)}${AFTER}`, 'iu');
    patterns.set(phrase, pattern);
  }
  return pattern;
}

/** Whether `markdown` mentions `phrase` in its prose (not in code, quotes or HTML comments). */
export function containsTriggerPhrase(markdown: string, phrase: string): boolean {
  const pattern = triggerPattern(phrase);
  // Most comments never name the phrase: skip the markdown scan for them (its first word must appear).
  const firstWord = phrase.trim().split(/\s+/)[0]?.toLowerCase() ?? '';
  if (!markdown.toLowerCase().includes(firstWord)) return false;
  return proseOf(markdown).some((paragraph) => pattern.test(paragraph));
}

function escapeRegExp(text: string): string {
  // Only syntax characters: the `u` flag rejects needless escapes such as `\-`.
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}
