// `npm run demo`: the whole loop on this machine, with no GitLab account. A stand-in GitLab holds a small
// sample repository (a real bare git repository); the service (embedded queue and store) receives the Note
// Hook of a developer's "@claude …" comment, debounces, checks the author and triggers a pipeline; then the
// demo plays the CI job: it runs the runner (`claude-gitlab-flow run`) with the environment GitLab gives a
// job, and the runner runs the real Claude Code binary, which edits the sample repository. The demo prints
// the comment, the tracking note as it changes, the branch that was pushed and the draft merge request.
//
// The model: offline by default, a scripted stand-in of the Messages API (it reads the file, fixes it and
// sums up). With ANTHROPIC_API_KEY set, the real Claude API answers instead (it costs a few cents).
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseConfig } from '../service/config.js';
import { createLogger } from '../service/log.js';
import { serve } from '../service/serve.js';
import { AccessLevel, startGitLabStandIn, type NoteRecord } from '../standins/gitlab/index.js';
import { say, startModelStandIn, use, type ModelStandIn } from '../standins/model/standin.js';
import { realClaudePath } from '../standins/real-claude.js';
import { startFilesProxy } from '../standins/gitlab/files-proxy.js';
import { checkout, createRepos, git, pushOptions } from '../devtools/repo.js';
import { removeTempDirs } from '../devtools/temp.js';

const SECRET = 'demo-webhook-secret-0123456789';
// The runner switches to this uid:gid (no passwd entry needed) when the demo runs as root, as the job
// does. Not the tests' 64123/64124: after a run the runner kills every process of the agent's user.
const DEMO_AGENT_USER = '64125:64125';
const runnerEntry = fileURLToPath(new URL('../service/runner/main-cli.ts', import.meta.url));

const SAMPLE_FILES: Record<string, string> = {
  'README.md': '# webshop\n\nA tiny shop. `node test/checkout.test.js` runs the tests.\n',
  'src/checkout.js': [
    '// The order total, in cents.',
    'export function total(items) {',
    '  // Prices are in euros; summing floats drifts, so the total is sometimes a cent off.',
    '  const euros = items.reduce((sum, item) => sum + item.price * item.quantity, 0);',
    '  return Math.floor(euros * 100);',
    '}',
    '',
  ].join('\n'),
  'test/checkout.test.js': [
    "import assert from 'node:assert/strict';",
    "import { total } from '../src/checkout.js';",
    '',
    '// Random baskets: three items, three of each.',
    'const price = () => Math.round(Math.random() * 10_000) / 100;',
    'const items = Array.from({ length: 3 }, () => ({ price: price(), quantity: 3 }));',
    'const cents = items.reduce((sum, item) => sum + Math.round(item.price * 100) * item.quantity, 0);',
    'assert.equal(total(items), cents);',
    '',
  ].join('\n'),
};

const FIXED_CHECKOUT = [
  '// The order total, in cents.',
  'export function total(items) {',
  '  // Each price is turned into whole cents before summing: floats never add up a cent off.',
  '  return items.reduce((sum, item) => sum + Math.round(item.price * 100) * item.quantity, 0);',
  '}',
  '',
].join('\n');

const SUMMARY = [
  'The test is flaky because `total()` adds the prices as floating-point euros and then truncates with `Math.floor`: in floating point 1.15 × 100 is 114.99999999999999, so a basket with such a price comes out a cent short. With the random prices of `test/checkout.test.js` that happens in about one run in seven.',
  '',
  'I changed `src/checkout.js` to turn each price into whole cents (`Math.round(price * 100)`) before multiplying and adding, so the total is exact and the test passes every time.',
].join('\n');

/** The scripted model: read the file, write the fix, sum up; as Claude would, in three turns. */
const SCRIPT = [
  use('Read', { file_path: 'src/checkout.js' }),
  // Slower than a stand-in needs to be, so the runner's progress edit of the note shows.
  { ...use('Write', { file_path: 'src/checkout.js', content: FIXED_CHECKOUT }), delayMs: 1500 },
  say(SUMMARY),
];

/** What a person sees of a note: the hidden markers left out. */
const visible = (body: string) => body.replace(/\n*<!--[\s\S]*?-->/g, '').trim();
const indent = (text: string, prefix = '    ') => text.replace(/^/gm, prefix);
const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function main(): Promise<void> {
  const claudePath = realClaudePath();
  if (!claudePath) throw new Error("Claude Code's linux-x64 binary is not installed (@anthropic-ai/claude-agent-sdk's optional package); run npm install on linux-x64");
  const realModel = Boolean(process.env.ANTHROPIC_API_KEY);
  const isRoot = process.getuid?.() === 0;

  // The sample project: a bare repository as GitLab's, behind a proxy that serves the repository files API.
  const repos = createRepos(SAMPLE_FILES);
  const gitlab = await startGitLabStandIn();
  const bareRepos = new Map<number, string>();
  const proxy = await startFilesProxy(gitlab.url, bareRepos);
  const bot = gitlab.addUser({ username: 'claude-bot', name: 'Claude', bot: true, scopes: ['api', 'write_repository'] });
  const dana = gitlab.addUser({ username: 'dana', name: 'Dana Developer' });
  const project = gitlab.addProject({ path: 'acme/webshop', bareRepoPath: repos.bare, protectedBranches: [] });
  bareRepos.set(project.id, repos.bare);
  gitlab.addMember(project.id, bot.id, AccessLevel.developer);
  gitlab.addMember(project.id, dana.id, AccessLevel.developer);

  const config = {
    ...parseConfig({ GITLAB_URL: gitlab.url, GITLAB_TOKEN: bot.token, GITLAB_WEBHOOK_SECRET: SECRET, DEBOUNCE_MS: '1000', LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn' }),
    port: 0,
  };
  const service = await serve(config, createLogger(config.logLevel), { host: '127.0.0.1' });
  gitlab.registerWebhook(project.id, { url: `${service.url}/webhooks/gitlab`, token: SECRET, noteEvents: true, pipelineEvents: true });
  const model: ModelStandIn | null = realModel ? null : await startModelStandIn({ script: SCRIPT });
  console.log(`stand-in GitLab: ${gitlab.url}   service: ${service.url}   model: ${realModel ? 'the Claude API (ANTHROPIC_API_KEY is set)' : `a scripted stand-in at ${model!.url}`}`);
  console.log(`sample repository ${project.path}: ${Object.keys(SAMPLE_FILES).join(', ')}\n`);

  try {
    const noteable = { type: 'Issue' as const, iid: gitlab.addIssue(project.id, { title: 'Checkout test is flaky', description: '`node test/checkout.test.js` fails about one run in seven.', authorId: dana.id }).iid };
    const comment = '@claude the checkout test fails now and then; find out why and fix it';
    const note = gitlab.addNote(project.id, noteable, { body: comment, authorId: dana.id });
    console.log(`1. dana comments on ${project.path}#${noteable.iid} "Checkout test is flaky":\n    ${comment}`);
    console.log(`   (GitLab sends the Note Hook; the service waits DEBOUNCE_MS=${config.debounceMs} for the thread to go quiet, checks dana's membership, then triggers)\n`);

    let trackingNoteId: number | undefined;
    const trackingNote = (): NoteRecord | undefined => {
      const notes = gitlab.notes(project.id, noteable);
      trackingNoteId ??= notes.find((n) => n.authorId === bot.id && /pipeline #\d+/.test(n.body))?.id;
      return notes.find((n) => n.id === trackingNoteId);
    };
    const deadline = Date.now() + 20_000;
    while (gitlab.pipelines(project.id).length === 0 || !trackingNote()) {
      if (Date.now() > deadline) throw new Error('no pipeline after 20 s: run with LOG_LEVEL=debug to see why');
      await wait(50);
    }
    const pipeline = gitlab.pipelines(project.id)[0]!;
    const reactions = gitlab.awardEmoji(project.id, noteable, note.id).map((award) => `:${award.name}: by ${award.username}`);
    console.log(`2. the service reacts (${reactions.join(', ') || 'no reaction'}) and answers in the thread; this is the tracking note:`);
    console.log(indent(`claude-bot: ${visible(trackingNote()!.body)}`));
    console.log(`   and triggers pipeline #${pipeline.id} (source: ${pipeline.source}) on ref ${pipeline.ref} with variables:`);
    for (const [key, value] of Object.entries(pipeline.variables)) {
      const shown = key === 'AI_FLOW_CONTEXT' ? JSON.stringify(JSON.parse(value), null, 2).replace(/\n/g, '\n      ') : JSON.stringify(value);
      console.log(`    ${key} = ${shown}`);
    }

    // The CI job: a checkout of the pipeline's ref, GitLab's predefined variables, the pipeline's own
    // variables as the job sees them, the bot's token as the masked GITLAB_TOKEN variable.
    const checkoutDir = checkout(repos, pipeline.ref);
    const isolation = isRoot
      ? { CLAUDE_FLOW_AGENT_USER: DEMO_AGENT_USER }
      : // Not root, the runner cannot start Claude Code as another user and would answer without changing
        // files. For the demo only (a sample repository in a temporary directory, a scripted model or your
        // own key) Claude Code may run as you, as `claude` does on your laptop; a real job runs as root.
        { CLAUDE_FLOW_ALLOW_UNISOLATED: 'true' };
    const jobUrl = `${gitlab.url}/${project.path}/-/jobs/${pipeline.id + 1}`;
    const jobEnv: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      ...pipeline.jobVariables,
      // The API through the files proxy (the runner reads CLAUDE.md with the repository files API).
      CI_API_V4_URL: `${proxy.url}/api/v4`,
      CI_SERVER_URL: gitlab.url,
      CI_PROJECT_ID: String(project.id),
      CI_PROJECT_PATH: project.path,
      CI_PROJECT_DIR: checkoutDir,
      CI_DEFAULT_BRANCH: 'main',
      CI_COMMIT_REF_NAME: pipeline.ref,
      CI_PIPELINE_URL: `${gitlab.url}/${project.path}/-/pipelines/${pipeline.id}`,
      CI_JOB_URL: jobUrl,
      CI_JOB_TOKEN: 'demo-job-token',
      GITLAB_TOKEN: bot.token,
      CLAUDE_CODE_PATH: claudePath,
      CLAUDE_FLOW_PROGRESS_INTERVAL_SECONDS: '1',
      ...(realModel ? { ANTHROPIC_API_KEY: process.env.ANTHROPIC_API_KEY } : { ANTHROPIC_API_KEY: 'sk-ant-demo-offline-key', ANTHROPIC_BASE_URL: model!.url, CLAUDE_CODE_MAX_RETRIES: '1' }),
      ...isolation,
    };
    console.log(`\n3. the pipeline's job runs the runner (claude-gitlab-flow run) in a checkout of ${pipeline.ref}; Claude Code runs as ${isRoot ? `uid ${DEMO_AGENT_USER} (the demo runs as root, as the job does)` : 'you'}`);
    if (!isRoot) {
      console.log('   ⚠️  not root: the runner cannot start Claude Code as a separate user, so the demo sets CLAUDE_FLOW_ALLOW_UNISOLATED=true');
      console.log('      (fine for a sample repository on your machine; a real job runs as root and Claude Code as the unprivileged claude-agent user)');
    }
    console.log('   the tracking note as the runner edits it:');
    const exitCode = await runJob(jobEnv, () => visible(trackingNote()?.body ?? ''), (text) => console.log(`${indent(text, '    │ ')}\n    └──`));
    console.log(`   the job ended with status ${exitCode}`);
    await gitlab.finishPipeline(project.id, pipeline.id, exitCode === 0 ? 'success' : 'failed');

    const branch = git(repos.bare, ['for-each-ref', '--format=%(refname:short)', 'refs/heads/claude/']);
    if (branch) {
      const options = pushOptions(repos.bare, branch).flat();
      console.log(`\n4. the runner pushed branch ${branch} (push options: ${options.join(' ') || 'none'}; main is untouched):`);
      console.log(indent(git(repos.bare, ['log', '--format=commit %h by %an <%ae>%n%n%w(0,4,4)%B', `main..${branch}`]).trimEnd(), '    '));
      console.log(indent(git(repos.bare, ['diff', `main..${branch}`]), '    '));
    } else {
      console.log('\n4. the runner pushed nothing (the note above says why)');
    }
    for (const mr of gitlab.mergeRequests(project.id)) {
      console.log(`\n5. and opened merge request !${mr.iid}${mr.draft ? ' (draft)' : ''}: ${mr.sourceBranch} → ${mr.targetBranch}, by ${bot.username}`);
      console.log(indent(`${mr.title}\n\n${mr.description}`));
    }
    const finished = gitlab.pipelines(project.id)[0]!;
    console.log(`\nPipeline #${finished.id} ${finished.status}; its Pipeline Hook tells the service to free the project's slot (the runner has closed the note, so the service leaves it).`);
  } finally {
    await model?.close();
    await service.stop();
    await proxy.close();
    await gitlab.close();
    removeTempDirs();
  }
}

/** Runs `claude-gitlab-flow run` as the CI job would, printing the tracking note each time it changes. */
async function runJob(env: NodeJS.ProcessEnv, note: () => string, show: (text: string) => void): Promise<number> {
  let shown = note();
  const poll = setInterval(() => {
    const now = note();
    if (now !== shown) show((shown = now));
  }, 100);
  const jobLog: string[] = [];
  try {
    return await new Promise<number>((resolve, reject) => {
      const child = spawn(process.execPath, ['--import', 'tsx', runnerEntry, 'run'], { env, stdio: ['ignore', 'ignore', 'pipe'] });
      child.stderr.on('data', (chunk: Buffer) => jobLog.push(chunk.toString('utf8')));
      child.on('error', reject);
      child.on('close', (code) => resolve(code ?? 1));
    });
  } finally {
    clearInterval(poll);
    if (note() !== shown) show(note());
    if (process.env.DEMO_JOB_LOG) console.log(`   the job log:\n${indent(jobLog.join('').trimEnd())}`);
  }
}

main().catch((error: Error) => {
  console.error(error.stack ?? error.message);
  process.exitCode = 1;
});
