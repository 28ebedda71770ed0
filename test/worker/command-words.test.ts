import { describe, expect, it } from 'vitest';
import { editDistance, parseCommand } from '../../service/worker/command-words.js';

const parse = (body: string) => parseCommand(body, '@claude');

describe('command words', () => {
  it.each([
    ['@claude help', 'help'],
    ['@claude stop', 'stop'],
    ['@claude review', 'review'],
    ['@Claude  STOP!', 'stop'],
    ['**@claude** review.', 'review'],
    ['help @claude', 'help'],
    ['@claude `review`', null],
  ])('%j is the command %s', (body, word) => {
    expect(parse(body)).toEqual(word ? { kind: 'command', word } : { kind: 'instruction' });
  });

  it.each([
    ['@claude reveiw', 'review'],
    ['@claude reviw', 'review'],
    ['@claude revieww', 'review'],
    ['@claude reviwe', 'review'],
    ['@claude hlep', 'help'],
    ['@claude stpo', 'stop'],
    ['@claude sotp', 'stop'],
    ['@claude reviews', 'review'],
  ])('%j is a near miss of %s', (body, suggestion) => {
    expect(parse(body)).toMatchObject({ kind: 'near-miss', suggestion });
  });

  it.each([
    '@claude hello',
    '@claude fix the flaky test',
    '@claude review the error handling',
    '@claude stop using var here',
    '@claude hi',
    '@claude ok',
    '@claude',
    'thanks @claude',
    '> @claude stop\n\nquoted, not said',
  ])('%j is an instruction', (body) => {
    expect(parse(body)).toEqual({ kind: 'instruction' });
  });

  it('counts an adjacent swap as one edit', () => {
    expect(editDistance('reveiw', 'review')).toBe(1);
    expect(editDistance('hello', 'help')).toBe(2);
    expect(editDistance('', 'stop')).toBe(4);
  });
});
