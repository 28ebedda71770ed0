// `npm run demo`: the whole flow on this machine with no GitLab account. Starts a stand-in GitLab and
// the service (embedded queue and store), has a developer comment "@claude …" on an issue (the stand-in
// sends the real Note Hook), then prints the pipeline that was triggered and the thread's replies.
import { parseConfig } from '../service/config.js';
import { createLogger } from '../service/log.js';
import { serve } from '../service/serve.js';
import { AccessLevel, startGitLabStandIn } from '../test/support/gitlab-standin/index.js';

const SECRET = 'demo-webhook-secret-0123456789';

async function main(): Promise<void> {
  const gitlab = await startGitLabStandIn();
  const bot = gitlab.addUser({ username: 'claude-bot', name: 'Claude' });
  const dana = gitlab.addUser({ username: 'dana', name: 'Dana Developer' });
  const project = gitlab.addProject({ path: 'acme/webshop', branches: ['main'], protectedBranches: [] });
  gitlab.addMember(project.id, bot.id, AccessLevel.developer);
  gitlab.addMember(project.id, dana.id, AccessLevel.developer);

  const config = { ...parseConfig({ GITLAB_URL: gitlab.url, GITLAB_TOKEN: bot.token, GITLAB_WEBHOOK_SECRET: SECRET, DEBOUNCE_MS: '1000', LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn' }), port: 0 };
  const service = await serve(config, createLogger(config.logLevel), { host: '127.0.0.1' });
  gitlab.registerWebhook(project.id, { url: `${service.url}/webhooks/gitlab`, token: SECRET, noteEvents: true });
  console.log(`stand-in GitLab: ${gitlab.url}   service: ${service.url}   webhook: ${service.url}/webhooks/gitlab\n`);

  const issue = gitlab.addIssue(project.id, { title: 'Checkout test is flaky', description: 'It fails about once in ten runs.', authorId: dana.id });
  const comment = '@claude the checkout test fails about once in ten runs; find out why and fix it';
  const note = gitlab.addNote(project.id, { type: 'Issue', iid: issue.iid }, { body: comment, authorId: dana.id });
  console.log(`dana commented on ${project.path}#${issue.iid}: "${comment}"`);
  console.log(`(the service waits DEBOUNCE_MS=${config.debounceMs} for the thread to go quiet, checks dana's membership, then triggers)\n`);

  const deadline = Date.now() + 20_000;
  while (gitlab.pipelines(project.id).length === 0 || !trackingNamesPipeline()) {
    if (Date.now() > deadline) throw new Error('no pipeline after 20 s: run with LOG_LEVEL=debug to see why');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const [pipeline] = gitlab.pipelines(project.id);
  console.log(`pipeline #${pipeline?.id} triggered (source: ${pipeline?.source}) on ref ${pipeline?.ref} with variables:`);
  for (const [key, value] of Object.entries(pipeline?.variables ?? {})) {
    const shown = key === 'AI_FLOW_CONTEXT' ? JSON.stringify(JSON.parse(value), null, 2).replace(/\n/g, '\n    ') : JSON.stringify(value);
    console.log(`  ${key} = ${shown}`);
  }
  console.log(`\nthe thread (discussion ${note.discussionId}):`);
  for (const reply of gitlab.notes(project.id, { type: 'Issue', iid: issue.iid })) {
    console.log(`  ${reply.authorUsername}: ${reply.body.replace(/\n*<!--[\s\S]*?-->/g, '').trim()}`);
  }
  const reactions = gitlab.awardEmoji(project.id, { type: 'Issue', iid: issue.iid }, note.id).map((award) => `:${award.name}: by ${award.username ?? award.userId}`);
  console.log(`  reactions on dana's comment: ${reactions.join(', ') || 'none'}`);
  console.log('\nIn a real project the pipeline runs the claude-gitlab-flow job template, whose runner edits that reply with the answer.');

  await service.stop();
  await gitlab.close();

  function trackingNamesPipeline(): boolean {
    return gitlab.notes(project.id, { type: 'Issue', iid: issue.iid }).some((n) => /pipeline #\d+/.test(n.body));
  }
}

main().catch((error: Error) => {
  console.error(error.stack ?? error.message);
  process.exitCode = 1;
});
