import { proseOf } from '../ingest/markdown-prose.js';
import { triggerPattern } from '../ingest/trigger-phrase.js';

// Command words: `@claude help`, `@claude stop`, `@claude review`, each the one word of the comment
// besides the trigger phrase. A word close to one (`@claude reveiw`) is a near miss, answered with
// "did you mean"; anything else is an instruction for Claude. Pure.

export const COMMAND_WORDS = ['help', 'stop', 'review'] as const;
export type CommandWord = (typeof COMMAND_WORDS)[number];

export type Command = { kind: 'command'; word: CommandWord } | { kind: 'near-miss'; word: string; suggestion: CommandWord } | { kind: 'instruction' };

export function parseCommand(body: string, triggerPhrase: string): Command {
  const pattern = triggerPattern(triggerPhrase);
  const prose = proseOf(body).join(' ');
  if (!pattern.test(prose)) return { kind: 'instruction' };
  const rest = prose.replace(new RegExp(pattern.source, 'giu'), ' ');
  // Only the words: punctuation around them (`stop!`, `**review**`) is not part of the command.
  const words = rest.split(/\s+/).map((word) => word.replace(/^[^\p{L}\p{N}]+|[^\p{L}\p{N}]+$/gu, '').toLowerCase()).filter(Boolean);
  if (words.length !== 1) return { kind: 'instruction' };
  const word = words[0] as string;
  const exact = COMMAND_WORDS.find((command) => command === word);
  if (exact) return { kind: 'command', word: exact };
  for (const command of COMMAND_WORDS) {
    const distance = editDistance(word, command);
    if (distance >= 1 && distance <= allowedTypos(word)) return { kind: 'near-miss', word, suggestion: command };
  }
  return { kind: 'instruction' };
}

/**
 * Up to 2 typos, but 2 only for words of 6 letters or more: short words two edits from a command are
 * usually other words (`hello` is two from `help`, and an instruction).
 */
function allowedTypos(word: string): number {
  if (word.length < 3) return 0;
  return word.length >= 6 ? 2 : 1;
}

/** Optimal string alignment distance: insertions, deletions, substitutions and adjacent swaps (`reveiw`) cost 1. */
export function editDistance(a: string, b: string): number {
  const rows = a.length + 1;
  const cols = b.length + 1;
  const d: number[][] = Array.from({ length: rows }, (_, i) => Array.from({ length: cols }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  const at = (i: number, j: number) => (d[i] as number[])[j] as number;
  for (let i = 1; i < rows; i += 1) {
    for (let j = 1; j < cols; j += 1) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let value = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) value = Math.min(value, at(i - 2, j - 2) + 1);
      (d[i] as number[])[j] = value;
    }
  }
  return at(a.length, b.length);
}
