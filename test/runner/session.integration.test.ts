import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { METADATA_FILE, sha256, TRANSCRIPT_FILE } from '../../service/runner/session/artifact.js';
import { sessionInNote, sessionMarker } from '../../service/tracking-note.js';
import { say, type ModelRequest } from '../../standins/model/standin.js';
import { isRoot } from '../../standins/real-claude.js';
import { claudeBinary, runScenario, startRunWorld, type RunOutcome, type RunWorld } from './support/model-run.js';
import { createScenario, followUpScenario, type Scenario } from './support/scenario.js';
import { removeTempDirs } from '../../devtools/temp.js';

// Follow-ups resume the thread's session, end to end: the first run keeps Claude Code's transcript as its
// job's artifact and records job id and hash in the tracking note; the stand-in GitLab then holds that
// artifact (as GitLab would after the upload) and the next mention's run downloads it, checks it, and
// runs `claude --resume`. The real Claude Code binary, as the agent's own user (so: root), against the
// scripted model.

// Not the other files' agents (64123, 64124): the runner ends every process of its agent's user.
const AGENT_USER = '64127:64127';

let world: RunWorld;

beforeAll(async () => {
  world = await startRunWorld();
});

afterAll(async () => {
  await world?.close();
  removeTempDirs();
});

const itAsRoot = claudeBinary && isRoot ? it : it.skip;

const FIRST_REQUEST = '@claude what does src/app.txt say?';
const FIRST_ANSWER = 'It says hello, first answer 7f3a.';

/** A user message's text blocks. */
function userTexts(message: { role?: string; content?: unknown } | undefined): string {
  const content = message?.content;
  if (typeof content === 'string') return content;
  return (Array.isArray(content) ? (content as Array<{ type?: string; text?: string }>) : []).map((block) => block.text ?? '').join('\n');
}

const lastUser = (request: ModelRequest) => userTexts((request.body.messages as Array<{ role: string }>).findLast((message) => message.role === 'user'));
const roles = (request: ModelRequest) => (request.body.messages as Array<{ role: string }>).map((message) => message.role);

/** The first run of a thread, in a job whose id the stand-in knows; returns the run and that job id. */
async function firstRun(): Promise<{ run: RunOutcome; jobId: number; scenario: Scenario }> {
  const scenario = createScenario(world.host, { kind: 'issue', instruction: FIRST_REQUEST, earlierNotes: ['bob: an early note in the thread'] });
  const { jobIds } = world.gitlab.addFinishedPipeline(scenario.projectId, { ref: 'main', sha: 'b'.repeat(40), status: 'success', userId: scenario.userIds.bot, jobs: [{ name: 'claude-gitlab-flow', status: 'success' }] });
  const jobId = jobIds[0]!;
  const run = await runScenario(world, scenario, { script: [say(FIRST_ANSWER)], env: { CLAUDE_FLOW_AGENT_USER: AGENT_USER, CI_JOB_ID: String(jobId) } });
  expect(run.exitCode, run.log).toBe(0);
  return { run, jobId, scenario };
}

/** What the job uploaded: the files `artifacts:paths` names, from the first run's checkout. */
function uploadArtifacts(scenario: Scenario, jobId: number, change: (meta: string) => string = (meta) => meta): void {
  const read = (path: string) => readFileSync(join(scenario.checkoutDir, path));
  world.gitlab.setJobArtifacts(jobId, { [METADATA_FILE]: change(read(METADATA_FILE).toString('utf8')), [TRANSCRIPT_FILE]: read(TRANSCRIPT_FILE) }, 'developer');
}

const followUp = (scenario: Scenario, script = [say('Second answer.')]) =>
  runScenario(world, followUpScenario(world.host, scenario, { instruction: '@claude and what about README.md?', between: ['bob: README is the place for it'] }), {
    script,
    env: { CLAUDE_FLOW_AGENT_USER: AGENT_USER, CI_JOB_ID: '' },
  });

describe('a follow-up in the same thread', () => {
  itAsRoot("resumes the first run's session: the model gets the first run's turns, then only what was said since", async () => {
    const { run, jobId, scenario } = await firstRun();
    const marker = sessionInNote(scenario.trackingNote().body);
    expect(marker, run.log).toMatchObject({ jobId });
    // The transcript never reached git: the push plan saw no change.
    expect(run.after).toEqual(run.before);
    uploadArtifacts(scenario, jobId);

    const second = await followUp(scenario);
    expect(second.exitCode, second.log).toBe(0);
    const request = second.model[0]!;
    const sent = JSON.stringify(request.body.messages);
    expect(sent).toContain('what does src/app.txt say?');
    expect(sent).toContain(FIRST_ANSWER);
    expect(roles(request)).toContain('assistant');
    // The new turn: the new request and the note written since, not the thread again.
    const turn = lastUser(request);
    expect(turn).toContain('@claude and what about README.md?');
    expect(turn).toContain('bob: README is the place for it');
    expect(turn).toContain('This continues your earlier session in this thread');
    expect(turn).not.toContain('bob: an early note in the thread');
    expect(turn).not.toContain(FIRST_ANSWER);
    const note = second.scenario.trackingNote().body;
    expect(note).toContain('Second answer.');
    expect(note).not.toContain('Started fresh');
    expect(second.gitlabRequests.some((r) => r.path === `/projects/${scenario.projectId}/jobs/${jobId}/artifacts/${METADATA_FILE}`)).toBe(true);
  });

  itAsRoot('starts fresh, with the full prompt and a line in the note, when the artifact does not match the hash', async () => {
    const { jobId, scenario } = await firstRun();
    uploadArtifacts(scenario, jobId, (meta) => meta.replace('"createdAt": "', '"createdAt": "1'));
    const second = await followUp(scenario);
    expect(second.exitCode, second.log).toBe(0);
    const request = second.model[0]!;
    expect(roles(request)).not.toContain('assistant');
    expect(lastUser(request)).toContain('bob: an early note in the thread');
    const note = second.scenario.trackingNote().body;
    expect(note).toMatch(new RegExp(`Started fresh: the previous session could not be used \\(the artifact of job ${jobId} does not match the hash in note \\d+\\)\\.`));
    expect(note).toContain('Second answer.');
  });

  itAsRoot('starts fresh within the run when Claude Code cannot load a transcript whose hashes all match', async () => {
    const { jobId, scenario } = await firstRun();
    // What the earlier agent could have left: its own file, rewritten; the runner's hashes then cover the rewrite.
    const transcript = Buffer.from('not a conversation\n');
    const meta = JSON.parse(readFileSync(join(scenario.checkoutDir, METADATA_FILE), 'utf8')) as Record<string, unknown>;
    const metaBytes = Buffer.from(JSON.stringify({ ...meta, transcriptSha256: sha256(transcript), transcriptBytes: transcript.length }));
    world.gitlab.setJobArtifacts(jobId, { [METADATA_FILE]: metaBytes, [TRANSCRIPT_FILE]: transcript }, 'developer');
    const body = scenario.trackingNote().body;
    world.gitlab.rewriteNote(scenario.trackingNote().id, body.replace(sessionMarker(sessionInNote(body)!), sessionMarker({ jobId, sha256: sha256(metaBytes) })));

    const second = await followUp(scenario);
    expect(second.exitCode, second.log).toBe(0);
    expect(second.log).toContain('Claude Code could not load it');
    expect(roles(second.model[0]!)).not.toContain('assistant');
    expect(lastUser(second.model[0]!)).toContain('bob: an early note in the thread');
    const note = second.scenario.trackingNote().body;
    expect(note).toContain('Started fresh: the previous session could not be used (Claude Code could not load it).');
    expect(note).toContain('Second answer.');
  });

  itAsRoot('starts fresh when the artifact expired (404)', async () => {
    const { jobId, scenario } = await firstRun();
    uploadArtifacts(scenario, jobId);
    world.gitlab.expireJobArtifacts(jobId);
    const second = await followUp(scenario);
    expect(second.exitCode, second.log).toBe(0);
    expect(roles(second.model[0]!)).not.toContain('assistant');
    expect(second.scenario.trackingNote().body).toContain(`Started fresh: the previous session could not be used (the artifact of job ${jobId} is gone: expired or removed).`);
  });
});
