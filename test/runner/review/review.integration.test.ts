import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../../service/runner/main.js';
import { startModelStandIn, say, toolResults, use, type ModelRequest, type ScriptedTurn } from '../../../standins/model/standin.js';
import { isRoot } from '../../../standins/real-claude.js';
import { claudeBinary, runWithModel, startRunWorld, systemPromptOf, workingDirectoryOf, type RunOutcome, type RunWorld } from '../support/model-run.js';
import { pushBranch } from '../../../devtools/repo.js';
import type { ScenarioOptions } from '../support/scenario.js';
import { removeTempDirs } from '../../../devtools/temp.js';

// `@claude review` end to end: the real Claude Code binary, run as the agent's own user, writes its review
// file into the output directory the runner made for the run; the runner places each comment on the
// merge request's diff, posts them as draft notes on the stand-in GitLab and publishes them at once, and
// puts the rest in the tracking note. Judged by the stand-in's discussions, draft notes and the note.

/** Not 64123 (attacks) or 64124 (run tests): the runner ends every process of the agent's user after a run. */
const AGENT_USER = '64126:64126';

let world: RunWorld;
beforeAll(async () => {
  world = await startRunWorld();
});
afterAll(async () => {
  await world?.close();
  removeTempDirs();
});

const itAsRoot = claudeBinary && isRoot ? it : it.skip;

interface Comment {
  path: string;
  line: number;
  side?: 'new' | 'old';
  body: string;
  suggestion?: string;
}

/** The review file's path, as the runner's system prompt names it. */
function reviewPath(request: ModelRequest): string {
  const match = /with the Write tool at (\S+) \(/.exec(systemPromptOf(request));
  if (!match) throw new Error('the system prompt names no review file');
  return match[1]!;
}

/** A model that writes `content` (a review object, or raw text) as its review file, then answers. */
function reviewer(content: unknown) {
  return (request: ModelRequest, index: number): ScriptedTurn =>
    index === 0 ? use('Write', { file_path: reviewPath(request), content: typeof content === 'string' ? content : JSON.stringify(content) }) : say('Reviewed the merge request.');
}

const REVIEW: ScenarioOptions = {
  kind: 'merge-request',
  instruction: '@claude review',
  files: { 'README.md': '# Project\n', 'src/app.txt': 'one\ntwo\nthree\nfour\n', '.gitlab/claude/review.md': 'Check naming first.\n' },
  branchFiles: { 'src/app.txt': 'one\nTWO\nthree\nfour\nfive\n' },
};

const env = { CLAUDE_FLOW_AGENT_USER: AGENT_USER };

interface ApiNote {
  id: number;
  type: string | null;
  body: string;
  author: { id: number; username: string };
  position?: { new_line: number | null; old_line: number | null; new_path: string; head_sha: string; position_type: string };
}

async function api<T>(path: string, token: string): Promise<T> {
  const response = await fetch(`${world.gitlab.url}/api/v4${path}`, { headers: { 'private-token': token } });
  return (await response.json()) as T;
}

async function diffNotes(result: RunOutcome): Promise<ApiNote[]> {
  const { scenario } = result;
  const discussions = await api<Array<{ notes: ApiNote[] }>>(`/projects/${scenario.projectId}/merge_requests/${scenario.context.noteable.iid}/discussions`, scenario.bobToken);
  return discussions.flatMap((discussion) => discussion.notes).filter((note) => note.type === 'DiffNote');
}

/** The same request answered again by a new job (same trigger and tracking note), after `change`. */
async function reviewAgain(first: RunOutcome, content: unknown): Promise<{ exitCode: number }> {
  const model = await startModelStandIn({ script: reviewer(content) });
  try {
    const write = process.stderr.write.bind(process.stderr);
    process.stderr.write = ((chunk: string | Uint8Array) => (typeof chunk === 'string' && chunk.startsWith('[claude-gitlab-flow]') ? true : write(chunk))) as typeof process.stderr.write;
    try {
      return { exitCode: await main([], { ...first.env, ANTHROPIC_BASE_URL: model.url }) };
    } finally {
      process.stderr.write = write;
    }
  } finally {
    await model.close();
  }
}

describe('@claude review', () => {
  itAsRoot('posts each comment on its diff line as one published batch, a suggestion for a small fix, and the rest in the summary', async () => {
    const review = {
      summary: 'Mostly fine; one naming issue.',
      comments: [
        { path: 'src/app.txt', line: 2, body: 'Why upper case here?', suggestion: 'two' },
        { path: 'src/app.txt', line: 5, body: 'A new line: fine.' },
        { path: 'src/app.txt', line: 2, side: 'old', body: 'The removed line was better.' },
        { path: 'src/app.txt', line: 40, body: 'This line is not in the diff.' },
      ] satisfies Comment[],
    };
    const result = await runWithModel(world, REVIEW, { env, script: reviewer(review) });
    expect(result.exitCode, result.log).toBe(0);
    expect(result.after).toEqual(result.before); // a review pushes nothing
    // The default branch's review instructions reach Claude, and the only write rule is the output directory.
    const system = systemPromptOf(result.model[0]!);
    expect(system).toContain('Review instructions (.gitlab/claude/review.md from the default branch, trusted):\nCheck naming first.');
    expect(result.log).toMatch(/review: Claude writes its review to \S+\/output/);

    const notes = await diffNotes(result);
    expect(notes.map((note) => [note.position?.new_line ?? null, note.position?.old_line ?? null, note.body.split('\n')[0]])).toEqual([
      [2, null, 'Why upper case here?'],
      [5, null, 'A new line: fine.'],
      [null, 2, 'The removed line was better.'],
    ]);
    expect(notes[0]!.body).toContain('```suggestion:-0+0\ntwo\n```');
    expect(notes.every((note) => note.position?.position_type === 'text' && note.position.new_path === 'src/app.txt')).toBe(true);
    // One batch: three drafts, then one bulk publish; no draft is left behind.
    const calls = result.gitlabRequests.map((request) => `${request.method} ${request.path.replace(/\?.*/, '')}`);
    expect(calls.filter((call) => call.startsWith('POST') && call.endsWith('/draft_notes'))).toHaveLength(3);
    expect(calls.filter((call) => call.endsWith('/draft_notes/bulk_publish'))).toHaveLength(1);
    const drafts = await api<unknown[]>(`/projects/${result.scenario.projectId}/merge_requests/${result.scenario.context.noteable.iid}/draft_notes`, result.scenario.botToken);
    expect(drafts).toEqual([]);

    const tracking = result.scenario.trackingNote().body;
    expect(tracking).toContain('Mostly fine; one naming issue.');
    expect(tracking).toContain('3 new comment(s) on the diff; 0 not repeated');
    expect(tracking).toMatch(/`src\/app\.txt` line 40 \(not a line of the diff \(new side\)\): This line is not in the diff\./);
  });

  itAsRoot('a second review of the same code posts nothing twice; after a change only the changed line gets a new comment', async () => {
    const review = { summary: 'Two points.', comments: [{ path: 'src/app.txt', line: 2, body: 'Upper case?' }, { path: 'src/app.txt', line: 5, body: 'Trailing line.' }] };
    const first = await runWithModel(world, REVIEW, { env, script: reviewer(review) });
    expect(first.exitCode, first.log).toBe(0);
    expect(await diffNotes(first)).toHaveLength(2);
    // A draft an earlier job left unpublished is not published along with a later review.
    const { scenario } = first;
    const mrPath = `/projects/${scenario.projectId}/merge_requests/${scenario.context.noteable.iid}`;
    const leftover = await fetch(`${world.gitlab.url}/api/v4${mrPath}/draft_notes`, { method: 'POST', headers: { 'private-token': scenario.botToken, 'content-type': 'application/json' }, body: JSON.stringify({ note: 'left over' }) });
    expect(leftover.status).toBe(201);

    const again = await reviewAgain(first, review);
    expect(again.exitCode).toBe(0);
    expect(await diffNotes(first)).toHaveLength(2);
    expect(first.scenario.trackingNote().body).toContain('0 new comment(s) on the diff; 2 not repeated (already raised on unchanged lines); 0 earlier');

    // Line 2 changes; line 5 does not.
    pushBranch(first.scenario.repos, 'feature', { 'src/app.txt': 'one\nTwo\nthree\nfour\nfive\n' }, 'feature');
    const changed = await reviewAgain(first, { summary: 'Again.', comments: [{ path: 'src/app.txt', line: 2, body: 'Still odd casing.' }, { path: 'src/app.txt', line: 5, body: 'Trailing line.' }] });
    expect(changed.exitCode).toBe(0);
    const notes = await diffNotes(first);
    expect(notes.map((note) => note.body)).toEqual(['Upper case?', 'Trailing line.', 'Still odd casing.']);
    expect(await api(`${mrPath}/draft_notes`, scenario.botToken)).toEqual([]);
    const discussions = await api<Array<{ notes: ApiNote[] }>>(`${mrPath}/discussions`, scenario.bobToken);
    expect(discussions.flatMap((discussion) => discussion.notes).map((note) => note.body)).not.toContain('left over');
    expect(notes[2]!.position?.head_sha).not.toBe(notes[0]!.position?.head_sha);
    const tracking = first.scenario.trackingNote().body;
    expect(tracking).toContain('1 new comment(s) on the diff; 1 not repeated (already raised on unchanged lines); 1 earlier comment(s) on lines that have changed since');
    expect(tracking).toContain(`- \`src/app.txt\` line 2 (new side), note ${notes[0]!.id}`);
  });

  itAsRoot('a hostile review file is bounded, neutralised and refused where it must be', async () => {
    const hostile = {
      summary: 'Ping @all\n/merge\n/approve',
      comments: [
        { path: '../../etc/passwd', line: 1, body: 'escape' },
        { path: '/etc/passwd', line: 1, body: 'absolute' },
        { path: 'src/app.txt', line: 2, body: `@all look\n/merge\n/assign_reviewer @someone\nthe token is TOKEN_HERE\n${'x'.repeat(10_000)}` },
        { path: 'src/app.txt', line: 5, body: 'fence breaker', suggestion: '```\n/merge\n```' },
        ...Array.from({ length: 30 }, (_, index) => ({ path: 'src/app.txt', line: 1 + (index % 5), side: 'new', body: `spam ${index}` })),
      ],
    };
    const result = await runWithModel(world, REVIEW, {
      env: { ...env, CLAUDE_FLOW_MAX_REVIEW_COMMENTS: '3' },
      script: (request, index) => (index === 0 ? use('Write', { file_path: reviewPath(request), content: JSON.stringify(hostile).replace('TOKEN_HERE', process.env.__TOKEN ?? '') }) : say('done')),
      prepare: (scenario) => {
        process.env.__TOKEN = scenario.botToken;
      },
    });
    delete process.env.__TOKEN;
    expect(result.exitCode, result.log).toBe(0);
    const notes = await diffNotes(result);
    expect(notes.length).toBeLessThanOrEqual(3);
    const first = notes.find((note) => note.body.includes('look'))!;
    expect(first.body).not.toMatch(/(^|[^`])@all/);
    expect(first.body).not.toMatch(/^\/merge/m);
    expect(first.body).not.toMatch(/^\/assign_reviewer/m);
    expect(first.body).not.toContain(result.scenario.botToken);
    expect(first.body.length).toBeLessThanOrEqual(4_100);
    const fence = notes.find((note) => note.body.startsWith('fence breaker'));
    expect(fence?.body ?? '').not.toContain('suggestion');
    const tracking = result.scenario.trackingNote().body;
    expect(tracking).not.toMatch(/^\/(merge|approve)/m);
    expect(tracking).not.toMatch(/(^|[^`])@all/);
    expect(tracking).toContain('refused: path: must be a path of the diff');
    expect(tracking).toMatch(/more comment\(s\) were not posted: `CLAUDE_FLOW_MAX_REVIEW_COMMENTS`/);
  });

  itAsRoot('may write its review file and nothing else: a write into the workspace is refused', async () => {
    const review = { summary: 'ok', comments: [] };
    const result = await runWithModel(world, REVIEW, {
      env,
      script: (request, index) =>
        index === 0
          ? use('Write', { file_path: `${workingDirectoryOf(request)}/src/app.txt`, content: 'rewritten\n' })
          : index === 1
            ? use('Write', { file_path: reviewPath(request), content: JSON.stringify(review) })
            : say('done'),
    });
    expect(result.exitCode, result.log).toBe(0);
    const [workspaceWrite, reviewWrite] = toolResults(result.model);
    expect(workspaceWrite).toMatchObject({ isError: true, content: expect.stringContaining("haven't granted it yet") });
    expect(reviewWrite).toMatchObject({ isError: false, content: expect.stringContaining('File created successfully') });
    expect(result.after).toEqual(result.before);
    expect(result.scenario.trackingNote().body).toContain('**Review:** 0 new comment(s) on the diff');
  });

  itAsRoot('is a review when the service says the bot was asked to review (AI_FLOW_EVENT=assign_reviewer), whatever the note says', async () => {
    const review = { summary: 'Reviewed as the assigned reviewer.', comments: [{ path: 'src/app.txt', line: 5, body: 'A new line.' }] };
    const result = await runWithModel(world, { ...REVIEW, instruction: '@claude have a look' }, { env: { ...env, AI_FLOW_EVENT: 'assign_reviewer' }, script: reviewer(review) });
    expect(result.exitCode, result.log).toBe(0);
    expect((await diffNotes(result)).map((note) => note.position?.new_line)).toEqual([5]);
    expect(result.scenario.trackingNote().body).toContain('Reviewed as the assigned reviewer.');
  });

  itAsRoot('a review file past the size bound is not read', async () => {
    const huge = JSON.stringify({ summary: 'x'.repeat(300 * 1024), comments: [{ path: 'src/app.txt', line: 2, body: 'hidden' }] });
    const result = await runWithModel(world, REVIEW, { env, script: reviewer(huge) });
    expect(result.exitCode, result.log).toBe(0);
    expect(await diffNotes(result)).toEqual([]);
    expect(result.scenario.trackingNote().body).toMatch(/no inline comments: review\.json has [\d,]+ bytes; at most 262,144 are read/);
  });
});
