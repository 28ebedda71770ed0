import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeFailures, linkedIds, logTail } from '../../service/runner/pipeline-context.js';
import { say } from '../../standins/model/standin.js';
import { git } from '../../devtools/repo.js';
import { claudeBinary, promptOf, runWithModel, startRunWorld, type RunWorld } from './support/model-run.js';
import { removeTempDirs } from '../../devtools/temp.js';

// The pipeline's failure is context: the failed jobs and the end of their logs, bounded, with ANSI
// colours and GitLab's section markers stripped and secrets redacted, as data in the prompt.

describe('a job log tail', () => {
  it('strips colours, section markers and progress redraws, and keeps the end', () => {
    const trace = [
      'section_start:1700000000:step_script\r\u001b[0K\u001b[32;1m$ npm test\u001b[0;m',
      'downloading 10%\rdownloading 100%',
      '\u001b[31mFAIL\u001b[0m test/checkout.test.js',
      'section_end:1700000001:step_script\r\u001b[0K',
    ].join('\n');
    expect(logTail(trace, 1000, []).text).toBe('$ npm test\ndownloading 10%\ndownloading 100%\nFAIL test/checkout.test.js');
  });

  it('keeps whole lines of the tail under the bound, and redacts secrets', () => {
    const trace = `${Array.from({ length: 200 }, (_, index) => `line ${index}`).join('\n')}\nusing token glpat-secret-token-1234\n`;
    const tail = logTail(trace, 100, ['glpat-secret-token-1234']);
    expect(tail.cut).toBe(true);
    expect(tail.text.length).toBeLessThanOrEqual(100);
    expect(tail.text).toMatch(/^line \d+\n/);
    expect(tail.text.endsWith('using token [REDACTED]')).toBe(true);
  });

  it('shows invisible characters instead of passing them on', () => {
    expect(logTail('ok\u202eevil', 100, []).text).toBe('ok<U+202E>evil');
  });
});

describe('links to pipelines and jobs', () => {
  it('finds this project\'s, not another\'s', () => {
    const text = 'see https://g.example/group/app/-/pipelines/12 and https://g.example/group/app/-/jobs/34, not https://g.example/other/app/-/jobs/56 or https://g.example/group/app-2/-/jobs/78';
    expect(linkedIds(text, 'https://g.example/group/app')).toEqual({ pipelines: [12], jobs: [34] });
  });

  it('fences a log that contains backticks so it cannot close the fence', () => {
    const text = describeFailures({ id: 1, sha: 'abcdef012345', ref: 'main', status: 'failed', web_url: 'u' }, [
      { job: { id: 2, name: 'test', stage: 'test', status: 'failed', web_url: 'j', failure_reason: 'script_failure' }, log: { text: 'a ```` b', cut: false } },
    ]);
    expect(text).toContain('### Job test (stage test): failed, script_failure');
    expect(text).toContain('`````text\na ```` b\n`````');
  });
});

let world: RunWorld;
beforeAll(async () => {
  // Its own agent user: the runner ends every process of that user after a run, and files run in parallel.
  world = await startRunWorld({ agentUser: '64128:64128' });
});
afterAll(async () => {
  await world?.close();
  removeTempDirs();
});

describe.runIf(claudeBinary)('`@claude fix the failing pipeline`', () => {
  it('on a merge request: the newest pipeline of its head, its failed jobs and their log tails reach the model', async () => {
    const result = await runWithModel(world, { kind: 'merge-request', instruction: '@claude fix the failing pipeline' }, {
      script: [say('The test fails because of rounding.')],
      prepare: (scenario) => {
        const head = git(scenario.repos.bare, ['rev-parse', 'refs/heads/feature']);
        const userId = scenario.context.author.id;
        world.gitlab.addFinishedPipeline(scenario.projectId, { ref: 'main', sha: 'f'.repeat(40), status: 'failed', userId, jobs: [{ name: 'old', status: 'failed', trace: 'an older pipeline' }] });
        world.gitlab.addFinishedPipeline(scenario.projectId, {
          ref: 'feature',
          sha: head,
          status: 'failed',
          userId,
          jobs: [
            { name: 'lint', status: 'success', trace: 'all good' },
            { name: 'unit', status: 'failed', trace: `\u001b[31mAssertionError: expected 1999 to be 2000\u001b[0m\nat checkout.test.js:12\nDEPLOY_TOKEN=${scenario.botToken}\n` },
          ],
        });
      },
    });
    expect(result.exitCode, result.log).toBe(0);
    const prompt = promptOf(result.model[0]!);
    expect(prompt).toMatch(/## Pipelines \(failed jobs and the end of their logs\)\nPipeline #\d+ on `feature` \([0-9a-f]{8}\): failed\./);
    expect(prompt).toContain('### Job unit (stage test): failed, script_failure');
    expect(prompt).toContain('AssertionError: expected 1999 to be 2000\nat checkout.test.js:12\nDEPLOY_TOKEN=[REDACTED]');
    expect(prompt).not.toContain('\u001b[');
    expect(prompt).not.toContain('### Job lint');
    expect(prompt).not.toContain('an older pipeline');
    expect(JSON.stringify(result.model)).not.toContain(result.scenario.botToken);
  });

  it('on an issue: a job of this project that the request links', async () => {
    const result = await runWithModel(world, { kind: 'issue', instruction: 'x' }, {
      script: [say('Looked at the job.')],
      prepare: (scenario) => {
        const jobs = [{ name: 'e2e', status: 'failed' as const, trace: 'Timeout waiting for the page' }];
        const { jobIds } = world.gitlab.addFinishedPipeline(scenario.projectId, { ref: 'main', sha: 'e'.repeat(40), status: 'failed', userId: scenario.context.author.id, jobs });
        const url = `${world.host.url}/${scenario.projectPath}/-/jobs/${jobIds[0]}`;
        world.gitlab.rewriteNote(scenario.context.trigger_note_ids[0]!, `@claude why did ${url} fail?`);
      },
    });
    expect(result.exitCode, result.log).toBe(0);
    const prompt = promptOf(result.model[0]!);
    expect(prompt).toContain('### Job e2e (stage test): failed, script_failure');
    expect(prompt).toContain('Timeout waiting for the page');
  });
});
