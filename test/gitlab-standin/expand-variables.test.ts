import { afterEach, describe, expect, it } from 'vitest';
import { createGitLabApi } from '../../service/gitlab/lazy-api.js';
import { escapeVariableValue } from '../../service/gitlab/variable-escape.js';
import { AccessLevel, startGitLabStandIn, type GitLabStandIn } from '../../standins/gitlab/index.js';
import { expandVariables } from '../../standins/gitlab/pipelines/expand.js';

// GitLab expands variable references inside pipeline variable values; the stand-in shows what a job
// would see (`jobVariables`), and the service escapes every value so that what it sends arrives as written.

describe('expandVariables (GitLab runner rules)', () => {
  const variables = { GITLAB_TOKEN: 'glpat-secret', HOME: '/root' };
  it.each([
    ['$GITLAB_TOKEN', 'glpat-secret'],
    ['${GITLAB_TOKEN}', 'glpat-secret'],
    ['a${HOME}b', 'a/rootb'],
    ['$HOME/x', '/root/x'],
    ['$UNKNOWN!', '!'],
    ['$$', '$'],
    ['$$GITLAB_TOKEN', '$GITLAB_TOKEN'],
    ['$$$HOME', '$/root'],
    ['cost: 5$', 'cost: 5$'],
    ['${not closed', '${not closed'],
    ['$1', '$1'],
  ])('%j → %j', (value, expected) => {
    expect(expandVariables(value, variables)).toBe(expected);
  });

  it.each(['Crash in ${GITLAB_TOKEN}', 'literal $$ and $HOME and $$$', '{"title":"${GITLAB_TOKEN}"}', '$', '$$$$', 'no dollars'])(
    'an escaped %j arrives as written',
    (value) => {
      expect(expandVariables(escapeVariableValue(value), variables)).toBe(value);
    },
  );
});

describe('pipeline variables through the stand-in', () => {
  let gitlab: GitLabStandIn;
  afterEach(async () => {
    await gitlab?.close();
  });

  it.each(['POST /pipeline', 'trigger API'] as const)('via %s: the job sees the values the service sent, and reading them back gives them too', async (path) => {
    gitlab = await startGitLabStandIn();
    const bot = gitlab.addUser({ username: 'claude-bot' });
    const project = gitlab.addProject({ path: 'acme/app', protectedBranches: [] });
    gitlab.addMember(project.id, bot.id, AccessLevel.developer);
    gitlab.addCiVariable(project.id, 'GITLAB_TOKEN', 'glpat-project-secret');
    const api = createGitLabApi({ baseUrl: gitlab.url, token: bot.token });
    const sent = { AI_FLOW_INPUT: 'Crash in ${GITLAB_TOKEN}, $GITLAB_TOKEN and $$', AI_FLOW_CONTEXT: JSON.stringify({ title: '${GITLAB_TOKEN} $$' }) };
    const trigger = path === 'trigger API' ? gitlab.addTriggerToken(project.id, { ownerId: bot.id }) : null;
    const pipeline = trigger ? await api.triggerPipeline(project.id, 'main', sent, trigger) : await api.createPipeline(project.id, 'main', sent);

    const [record] = gitlab.pipelines(project.id);
    expect(record?.jobVariables).toEqual(sent);
    expect(JSON.stringify(record?.jobVariables)).not.toContain('glpat-project-secret');
    expect(await api.pipelineVariables(project.id, pipeline.id)).toMatchObject(sent);
  });

  it('an unescaped value would reach the job with the secret inside (the stand-in models the leak)', async () => {
    gitlab = await startGitLabStandIn();
    const bot = gitlab.addUser({ username: 'claude-bot' });
    const project = gitlab.addProject({ path: 'acme/app', protectedBranches: [] });
    gitlab.addMember(project.id, bot.id, AccessLevel.developer);
    gitlab.addCiVariable(project.id, 'GITLAB_TOKEN', 'glpat-project-secret');
    const response = await fetch(`${gitlab.apiUrl}/projects/${project.id}/pipeline`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'private-token': bot.token },
      body: JSON.stringify({ ref: 'main', variables: [{ key: 'TITLE', value: 'Crash in ${GITLAB_TOKEN}' }] }),
    });
    expect(response.status).toBe(201);
    expect(gitlab.pipelines(project.id)[0]?.jobVariables.TITLE).toBe('Crash in glpat-project-secret');
  });
});
