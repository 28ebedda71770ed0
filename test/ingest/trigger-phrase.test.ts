import { describe, expect, it } from 'vitest';
import { SERVICE_NOTE_MARKER } from '../../service/tracking-note.js';
import { proseOf } from '../../service/ingest/markdown-prose.js';
import { containsTriggerPhrase } from '../../service/ingest/trigger-phrase.js';

// [comment markdown, mentions @claude?, why]
const CASES: Array<[string, boolean, string]> = [
  // A word at the start, after whitespace or opening punctuation, followed by whitespace, punctuation or end.
  ['@claude fix the flaky test', true, 'at the start'],
  ['@claude', true, 'the whole comment'],
  ['Hey @claude, can you fix this?', true, 'followed by a comma'],
  ['Thanks, @claude.', true, 'sentence end'],
  ['what do you think @claude?', true, 'question mark'],
  ['@claude: rebase this', true, 'colon'],
  ['@claude! now', true, 'exclamation mark'],
  ["@claude's turn", true, 'apostrophe'],
  ['ask @claude...', true, 'ellipsis is not a longer username'],
  ['(@claude) please', true, 'opening parenthesis'],
  ['"@claude" said', true, 'quotation marks'],
  ['**@claude** fix it', true, 'bold'],
  ['*@claude* fix it', true, 'italic'],
  ['~~@claude~~ fix it', true, 'strikethrough still mentions'],
  ['@CLAUDE fix', true, 'case-insensitive'],
  ['@Claude fix', true, 'capitalised'],
  ['line one\n@claude line two', true, 'start of a later line'],
  ['tab\t@claude', true, 'after a tab'],
  ['text\u00a0@claude', true, 'after a no-break space'],
  ['# @claude fix the header', true, 'in a heading'],
  ['- @claude fix this item', true, 'in a list item'],
  ['1. @claude first', true, 'in an ordered list item'],
  ['- [ ] @claude task', true, 'in a task list item'],
  ['| a | @claude |\n|---|---|', true, 'in a table cell'],
  ['`code` then @claude', true, 'after a code span'],
  ['`@claude` and then @claude for real', true, 'one mention outside the code span'],
  ['> quoted\n\n@claude answer that', true, 'after a quote and a blank line'],
  ['```\ncode\n```\n@claude after the fence', true, 'after a closed fence'],
  ['~~~\ncode\n~~~\n@claude after the tilde fence', true, 'after a closed tilde fence'],
  ['para\n    @claude continued', true, 'indented line continuing a paragraph is prose'],
  ['- item\n\n  @claude in the item', true, 'list item continuation paragraph'],
  ['- item\n\n    @claude still in the item', true, 'indent inside a list item is not code'],
  ['>>>\nquoted\n>>>\n@claude after the quote block', true, 'after a closed multi-line quote'],
  ['<!-- note -->@claude', true, 'after an HTML comment'],
  ['`` a ` b `` @claude', true, 'after a double-backtick span holding a backtick'],
  ['\\`not code @claude\\`', true, 'escaped backticks open no code span'],
  ['`unclosed @claude', true, 'an unclosed backtick is literal'],
  ['see [the docs](https://docs.example.com) @claude', true, 'after a link'],
  ['<details>\n\n@claude inside details\n\n</details>', true, 'inside details (visible when expanded)'],
  ['\r\n@claude with CRLF\r\n', true, 'CRLF line endings'],
  ['İİİİ <CODE>x</CODE> @claude', true, 'after an upper-case code element and letters whose lower case is longer'],

  // Not mentions.
  ['', false, 'empty comment'],
  ['claude fix it', false, 'no @'],
  ['`@claude`', false, 'inline code'],
  ['`` @claude ``', false, 'double-backtick code span'],
  ['``x `@claude` y``', false, 'backticks nested in a double-backtick span'],
  ['`code\n@claude`', false, 'code span across a line break'],
  ['```\n@claude\n```', false, 'fenced code block'],
  ['```js\n@claude\n```', false, 'fenced code block with info string'],
  ['~~~\n@claude\n~~~', false, 'tilde fence'],
  ['````\n```\n@claude\n````', false, 'a shorter fence inside a longer one does not close it'],
  ['```\n@claude never closed', false, 'an unclosed fence runs to the end'],
  ['  ```\n  @claude\n  ```', false, 'indented fence'],
  ['- item\n  ```\n  @claude\n  ```', false, 'fence inside a list item'],
  ['    @claude indented code', false, 'indented code block'],
  ['text\n\n    @claude indented code', false, 'indented code after a blank line'],
  ['\t@claude tab-indented code', false, 'tab-indented code'],
  ['> @claude', false, 'block quote'],
  ['> > @claude', false, 'nested block quote'],
  ['>> @claude', false, 'nested block quote without spaces'],
  ['   > @claude', false, 'indented block quote'],
  ['> quoted text\n@claude lazy continuation', false, 'lazy continuation line of a quote'],
  ['- > @claude', false, 'quote inside a list item'],
  ['>>>\n@claude\n>>>', false, 'GitLab multi-line quote'],
  ['>>>\n\n@claude with blank lines\n\n>>>', false, 'multi-line quote with blank lines'],
  ['>>>\n@claude never closed', false, 'unclosed multi-line quote runs to the end'],
  ['>>> @claude', false, 'triple quote marker on one line'],
  ['me@claude.dev', false, 'e-mail address'],
  ['mail me at me@claude.dev', false, 'e-mail address in a sentence'],
  ['<me@claude.dev>', false, 'e-mail autolink'],
  ['https://gitlab.com/@claude', false, 'URL'],
  ['<https://example.com/@claude>', false, 'autolink'],
  ['[profile](https://example.com/@claude)', false, 'link destination'],
  ['[@claude](https://example.com/claude)', false, 'link text'],
  ['@claudette help', false, 'longer username'],
  ['@claude-bot help', false, 'hyphenated username'],
  ['@claude_2 help', false, 'underscored username'],
  ['_@claude_ fix it', false, 'underscores belong to usernames (italic with * works)'],
  ['@claude.dev help', false, 'dotted username'],
  ['@claude2', false, 'username with digits'],
  ['@claude/team', false, 'group path'],
  ['x@claude', false, 'glued to a word'],
  ['\\@claude', false, 'escaped @'],
  ['cc:@claude', false, 'after a colon'],
  ['#@claude', false, 'after a hash'],
  ['@ claude', false, 'space inside'],
  ['<!-- @claude -->', false, 'HTML comment'],
  ['<!--\n@claude\n\nstill a comment\n-->', false, 'multi-line HTML comment with a blank line'],
  ['text <!-- @claude --> text', false, 'inline HTML comment'],
  ['<code>@claude</code>', false, 'HTML code element'],
  ['<pre>\n@claude\n</pre>', false, 'HTML pre block'],
  [`${SERVICE_NOTE_MARKER}\nClaude is on it`, false, 'our own marker mentions nothing'],
  ['claude@claude', false, 'username@host'],
];

describe('containsTriggerPhrase', () => {
  it.each(CASES)('%j → %s (%s)', (markdown, expected) => {
    expect(containsTriggerPhrase(markdown, '@claude')).toBe(expected);
  });

  it('has at least 30 positive and 30 negative cases', () => {
    expect(CASES.filter(([, mentions]) => mentions).length).toBeGreaterThanOrEqual(30);
    expect(CASES.filter(([, mentions]) => !mentions).length).toBeGreaterThanOrEqual(30);
  });

  it.each([
    ['/claude fix', '/claude', true],
    ['please /claude fix', '/claude', true],
    ['path/claude fix', '/claude', false],
    ['@ai-helper do it', '@ai-helper', true],
    ['@ai-helpers do it', '@ai-helper', false],
    ['@claude do it', '@ai-helper', false],
    ['hey claude, fix', 'hey claude', true],
    ['Hey   Claude fix', 'hey claude', true],
    ['they claude', 'hey claude', false],
    ['a+b @c.d', '@c.d', true],
    ['a+b @cxd', '@c.d', false],
  ] as const)('configured phrase: %j with %j → %s', (markdown, phrase, expected) => {
    expect(containsTriggerPhrase(markdown, phrase)).toBe(expected);
  });

  it('stays linear on adversarial comments (GitLab allows a megabyte)', () => {
    const size = 200_000;
    // [comment, mentions]: an unclosed `<!--` at the start of a line opens an HTML block that runs to the end.
    const adversarial: Array<[string, boolean]> = [
      ['*'.repeat(size), true],
      ['x <!--'.repeat(size / 6), true],
      ['<!--'.repeat(size / 4), false],
      ['](('.repeat(size / 3), true],
      ['](x'.repeat(size / 3), true],
      ['<code>'.repeat(size / 6), true],
      [Array.from({ length: 600 }, (_, i) => '`'.repeat(i + 1)).join('a'), true],
      ['> a\n'.repeat(size / 4), true],
    ];
    const started = performance.now();
    for (const [markdown, mentions] of adversarial) expect(containsTriggerPhrase(`${markdown}\n\n@claude`, '@claude')).toBe(mentions);
    // Quadratic scanning took 9 to 21 s per input of this size; linear takes well under 100 ms.
    expect(performance.now() - started).toBeLessThan(3_000);
  });

  it('refuses an empty phrase instead of matching everything', () => {
    expect(() => containsTriggerPhrase('anything', '  ')).toThrow('trigger phrase must not be empty');
  });
});

describe('proseOf', () => {
  it('keeps prose paragraphs and blanks out code, quotes and comments', () => {
    const markdown = ['Intro `code` text', '', '> quoted', '', '```', 'fenced', '```', '# Title', 'a <!-- c --> b [x](https://u)'].join('\n');
    expect(proseOf(markdown)).toEqual(['Intro   text', '# Title', 'a   b [x] ']);
  });
});
