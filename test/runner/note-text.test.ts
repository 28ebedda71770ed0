import { describe, expect, it } from 'vitest';
import { answerNote, failureNote, inlineCode, neutraliseMentions, neutraliseQuickActions, NO_RUN_NOTES, unembedForeignImages, workingNote } from '../../service/runner/note-text.js';
import type { RunResult } from '../../service/runner/stream.js';
import { CLOSED_MARKER, isClosedOut, runIdInNote, SERVICE_NOTE_MARKER } from '../../service/tracking-note.js';

const links = { jobUrl: 'https://g/-/jobs/9', pipelineUrl: 'https://g/-/pipelines/8' };
const result: RunResult = { subtype: 'success', isError: false, text: 'ok', numTurns: 4, totalCostUsd: 0.1234, durationMs: 83_000, errors: [], permissionDenials: [] };

describe('tracking note bodies', () => {
  it('a working note carries the service marker, the run id, recent steps, and is not closed', () => {
    const body = workingNote({ model: null, actions: ['Read a.ts', 'Bash npm `test`'], toolCalls: 2, lastText: null, result: null }, links, [], 'run-7');
    expect(body).toContain(SERVICE_NOTE_MARKER);
    expect(runIdInNote(body)).toBe('run-7');
    expect(isClosedOut(body)).toBe(false);
    expect(body).toContain('- Read `a.ts`');
    expect(body).toContain('- Bash `` npm `test` ``');
    expect(body).toContain('[job log](https://g/-/jobs/9)');
  });

  it('shows only the latest steps', () => {
    const actions = Array.from({ length: 12 }, (_, index) => `Read f${index}.ts`);
    const body = workingNote({ model: null, actions, toolCalls: 12, lastText: null, result: null }, links, [], undefined, 3);
    expect(body).toContain('… 9 earlier step(s)');
    expect(body).not.toContain('f8.ts');
    expect(body).toContain('f11.ts');
  });

  it('the answer note is closed out, links the merge request, and shows turns, cost and duration', () => {
    const body = answerNote('Fixed the test.', { kind: 'merge-request', iid: 4, url: 'https://g/mr/4', branch: 'claude/issue-12-x', refused: [], pipelineSkipped: false }, result, links, [], 'run-7');
    expect(body.endsWith(CLOSED_MARKER)).toBe(true);
    expect(runIdInNote(body)).toBe('run-7');
    expect(body).toContain('Fixed the test.');
    expect(body).toContain('draft merge request [!4](https://g/mr/4) from branch `claude/issue-12-x`');
    expect(body).toContain('<sub>4 turns · $0.12 · 1m 23s · [job log](https://g/-/jobs/9)</sub>');
  });

  it('says when changes were not pushed, and links a commit', () => {
    expect(answerNote('a', { kind: 'not-pushed', reason: 'this merge request comes from a fork', refused: [] }, result, links, [])).toContain('they were not pushed: this merge request comes from a fork.');
    expect(answerNote('a', { kind: 'commit', sha: '0123456789abcdef', url: 'https://g/c/0123', branch: 'feature', refused: [], pipelineSkipped: false }, result, links, [])).toContain('commit [01234567](https://g/c/0123) on `feature`');
  });

  it('the failure note is closed out and says what failed and where to look', () => {
    const body = failureNote({ what: 'Claude Code stopped with an error.', detail: 'API Error: 500', hint: 'Try again.' }, null, links, []);
    expect(isClosedOut(body)).toBe(true);
    expect(body).toContain('❌ Claude could not finish this request: Claude Code stopped with an error.');
    expect(body).toContain('```text\nAPI Error: 500\n```');
    expect(body).toContain('Where to look: the [job log](https://g/-/jobs/9) of [the pipeline](https://g/-/pipelines/8).');
  });

  it('keeps secrets and quick actions out of what it posts', () => {
    const body = answerNote('Done.\n/merge\n  /assign @me\n```\n/not-a-command in code\n```\nthe token glpat-secretvalue', { kind: 'nothing-to-push' }, result, links, ['glpat-secretvalue']);
    expect(body).not.toContain('glpat-secretvalue');
    expect(body).toMatch(/^\\\/merge$/m);
    expect(body).toMatch(/^ {2}\\\/assign @me$/m);
    expect(body).toContain('\n/not-a-command in code\n');
    expect(failureNote({ what: 'x', detail: 'token glpat-secretvalue' }, null, links, ['glpat-secretvalue'])).not.toContain('glpat-secretvalue');
  });
});

describe('what the model wrote, made safe for a note', () => {
  it('lists refused changes and refused tool calls with the rule that would allow them, and the gateway\'s spend', () => {
    const change = { path: '.gitlab-ci.yml', kind: 'modified' as const, entry: 'file' as const, wasSymlink: false, size: 10, executable: false };
    const body = answerNote('Done.', { kind: 'commit', sha: 'abcdef0123', url: null, branch: 'feature', refused: [{ change, reason: 'protected (CI or agent configuration)' }], pipelineSkipped: true }, result, links, [], undefined, {
      ...NO_RUN_NOTES,
      denials: [{ tool: 'Bash', target: 'npm test', rule: 'Bash(npm test:*)', why: null }, { tool: 'Read', target: '/etc/passwd', rule: null, why: 'outside the workspace' }],
      usage: '1,200 in / 300 out tokens · $0.01',
    });
    expect(body).toContain('- `.gitlab-ci.yml` (modified): protected (CI or agent configuration)');
    expect(body).toContain('No pipeline ran for this push (`ci.skip`)');
    expect(body).toContain('- Bash `npm test`: allow with `Bash(npm test:*)` in `CLAUDE_FLOW_ALLOWED_TOOLS`');
    expect(body).toContain('- Read `/etc/passwd`: outside the workspace');
    expect(body).toContain('<sub>4 turns · 1,200 in / 300 out tokens · $0.01 · 1m 23s');
  });

  it('mentions notify only the requester: @all, @here and everyone else become code', () => {
    expect(neutraliseMentions('cc @all, @here and @dana; ping @Bob.', 'dana')).toBe('cc `@all`, `@here` and @dana; ping `@Bob`.');
    expect(neutraliseMentions('mail me@example.com, see `@all` and\n```\n@here\n```', 'dana')).toBe('mail me@example.com, see `@all` and\n```\n@here\n```');
    expect(neutraliseMentions('group @gitlab-org/security now', 'dana')).toBe('group `@gitlab-org/security` now');
  });

  it('images from other hosts become plain links; this instance\'s uploads stay images', () => {
    const gitlab = 'https://gitlab.example.com';
    expect(unembedForeignImages('![pixel](https://evil.example/p.png?u=1)', gitlab)).toBe('[pixel](https://evil.example/p.png?u=1)');
    expect(unembedForeignImages('![](//evil.example/p.png)', gitlab)).toBe('[image](//evil.example/p.png)');
    expect(unembedForeignImages('<img src="https://evil.example/p.png" width=1>', gitlab)).toBe('[image](https://evil.example/p.png)');
    expect(unembedForeignImages('![shot](/uploads/abc/shot.png) ![x](https://gitlab.example.com/g/p/-/raw/main/x.png)', gitlab)).toBe('![shot](/uploads/abc/shot.png) ![x](https://gitlab.example.com/g/p/-/raw/main/x.png)');
  });
});

describe('helpers', () => {
  it('neutralises quick actions only at line starts outside code', () => {
    expect(neutraliseQuickActions('a /merge\n/close')).toBe('a /merge\n\\/close');
  });

  it('inline code survives backticks and newlines', () => {
    expect(inlineCode('a\nb')).toBe('`a b`');
    expect(inlineCode('x`y')).toBe('`` x`y ``');
  });
});
