import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AccessLevel } from '../../standins/gitlab/index.js';
import { eventually } from '../../devtools/eventually.js';
import { client, world } from './helpers.js';

let w: Awaited<ReturnType<typeof world>>;
let triggerToken: string;
beforeEach(async () => {
  w = await world();
  triggerToken = w.gitlab.addTriggerToken(w.project.id, { ownerId: w.bot.id });
});
afterEach(async () => {
  await w.gitlab.close();
});

const trigger = () => `/projects/${w.project.id}/trigger/pipeline`;
const create = () => `/projects/${w.project.id}/pipeline`;

describe('POST /projects/:id/pipeline (variables as an array)', () => {
  it('creates an api pipeline with the variables, 201', async () => {
    const reply = await client(w.gitlab, w.bot.token).post(create(), {
      ref: 'main',
      variables: [{ key: 'AI_FLOW_INPUT', value: 'fix it' }, { key: 'AI_FLOW_EVENT', value: 'mention', variable_type: 'env_var' }],
    });
    expect(reply.status).toBe(201);
    expect(reply.body).toMatchObject({ iid: 1, project_id: w.project.id, ref: 'main', status: 'created', source: 'api' });
    expect(reply.body.id).toBeGreaterThanOrEqual(9001);
    expect(reply.body.sha).toMatch(/^[0-9a-f]{40}$/);
    expect(reply.body.web_url).toBe(`${w.gitlab.url}/group/project/-/pipelines/${reply.body.id}`);
    const [record] = w.gitlab.pipelines(w.project.id);
    expect(record).toMatchObject({ ref: 'main', source: 'api', userId: w.bot.id, variables: { AI_FLOW_INPUT: 'fix it', AI_FLOW_EVENT: 'mention' } });
  });

  it('rejects a string map with 400 {"error":"variables is invalid"} and creates nothing', async () => {
    const reply = await client(w.gitlab, w.bot.token).post(create(), { ref: 'main', variables: { AI_FLOW_INPUT: 'fix it' } });
    expect(reply.status).toBe(400);
    expect(reply.body).toEqual({ error: 'variables is invalid' });
    expect(w.gitlab.pipelines()).toHaveLength(0);
  });

  it('rejects the map in form encoding too (variables[K]=v)', async () => {
    const reply = await client(w.gitlab, w.bot.token).postForm(create(), 'ref=main&variables[AI_FLOW_INPUT]=x');
    expect(reply.status).toBe(400);
    expect(reply.body).toEqual({ error: 'variables is invalid' });
  });

  it('accepts the array in form encoding (variables[][key]=K&variables[][value]=v)', async () => {
    const form = 'ref=main&variables[][key]=A&variables[][value]=1&variables[][key]=B&variables[][value]=two+words';
    const reply = await client(w.gitlab, w.bot.token).postForm(create(), form);
    expect(reply.status).toBe(201);
    expect(w.gitlab.pipelines()[0]?.variables).toEqual({ A: '1', B: 'two words' });
  });

  it('needs ref: 400 {"error":"ref is missing"}', async () => {
    const reply = await client(w.gitlab, w.bot.token).post(create(), { variables: [] });
    expect(reply.status).toBe(400);
    expect(reply.body).toEqual({ error: 'ref is missing' });
  });

  it('answers 400 {"message":{"base":["Reference not found"]}} for a ref that does not exist', async () => {
    const reply = await client(w.gitlab, w.bot.token).post(create(), { ref: 'no-such-branch' });
    expect(reply.status).toBe(400);
    expect(reply.body).toEqual({ message: { base: ['Reference not found'] } });
  });

  it('needs a token (401) and Developer access (403 for a Reporter, 404 for a non-member)', async () => {
    expect((await client(w.gitlab).post(create(), { ref: 'feature' })).status).toBe(401);
    const reporter = await client(w.gitlab, w.reporter.token).post(create(), { ref: 'feature' });
    expect(reporter.status).toBe(403);
    expect(reporter.body).toEqual({ message: '403 Forbidden' });
    const outsider = await client(w.gitlab, w.outsider.token).post(create(), { ref: 'feature' });
    expect(outsider.status).toBe(404);
    expect(outsider.body).toEqual({ message: '404 Project Not Found' });
  });

  it('lets a Developer run on an unprotected branch but not on the protected default branch', async () => {
    const api = client(w.gitlab, w.dev.token);
    expect((await api.post(create(), { ref: 'feature' })).status).toBe(201);
    const main = await api.post(create(), { ref: 'main' });
    expect(main.status).toBe(400);
    expect(main.body.message.base[0]).toBe(
      "You do not have sufficient permission to run a pipeline on 'main'. Please select a different branch or contact your administrator for assistance.",
    );
  });

  it('coerces number values to strings like Grape, but refuses array values', async () => {
    const api = client(w.gitlab, w.bot.token);
    expect((await api.post(create(), { ref: 'main', variables: [{ key: 'N', value: 5 }] })).status).toBe(201);
    expect(w.gitlab.pipelines()[0]?.variables).toEqual({ N: '5' });
    const bad = await api.post(create(), { ref: 'main', variables: [{ key: 'N', value: ['a'] }] });
    expect(bad.status).toBe(400);
    expect(bad.body).toEqual({ error: 'variables[0][value] is invalid' });
  });

  it('refuses keys GitLab refuses', async () => {
    const reply = await client(w.gitlab, w.bot.token).post(create(), { ref: 'main', variables: [{ key: 'AI-FLOW', value: 'x' }] });
    expect(reply.status).toBe(400);
    expect(reply.body).toEqual({ message: { 'variables.key': ["can contain only letters, digits and '_'."] } });
  });

  it('refuses an unknown variable_type', async () => {
    const reply = await client(w.gitlab, w.bot.token).post(create(), { ref: 'main', variables: [{ key: 'A', value: 'x', variable_type: 'secret' }] });
    expect(reply.status).toBe(400);
    expect(reply.body).toEqual({ error: 'variables[0][variable_type] does not have a valid value' });
  });

  it('refuses a value over the size limit (120 KiB on GitLab.com)', async () => {
    const api = client(w.gitlab, w.bot.token);
    const ok = await api.post(create(), { ref: 'main', variables: [{ key: 'BIG', value: 'x'.repeat(120 * 1024) }] });
    expect(ok.status).toBe(201);
    const tooBig = await api.post(create(), { ref: 'main', variables: [{ key: 'BIG', value: 'x'.repeat(120 * 1024 + 1) }] });
    expect(tooBig.status).toBe(400);
    expect(tooBig.body.message.base[0]).toContain('ci_variable_value_size');
  });

  it('refuses to create pipelines in a project without CI configuration', async () => {
    const bare = w.gitlab.addProject({ path: 'group/no-ci', hasCiConfig: false, protectedBranches: [] });
    w.gitlab.addMember(bare.id, w.bot.id, AccessLevel.developer);
    const reply = await client(w.gitlab, w.bot.token).post(`/projects/${bare.id}/pipeline`, { ref: 'main' });
    expect(reply.status).toBe(400);
    expect(reply.body).toEqual({ message: { base: ['Missing CI config file'] } });
  });
});

describe('POST /projects/:id/trigger/pipeline (variables as a string map)', () => {
  it('creates a trigger pipeline with a JSON map, no auth header needed', async () => {
    const reply = await client(w.gitlab).post(trigger(), { token: triggerToken, ref: 'main', variables: { AI_FLOW_INPUT: 'fix it' } });
    expect(reply.status).toBe(201);
    expect(reply.body).toMatchObject({ source: 'trigger', ref: 'main', status: 'created' });
    expect(reply.body.user.username).toBe('claude-bot');
    const [record] = w.gitlab.pipelines(w.project.id);
    expect(record).toMatchObject({ source: 'trigger', variables: { AI_FLOW_INPUT: 'fix it' }, userId: w.bot.id });
  });

  it('accepts form encoding variables[K]=v', async () => {
    const reply = await client(w.gitlab).postForm(trigger(), `token=${triggerToken}&ref=main&variables[AI_FLOW_INPUT]=a+b%26c`);
    expect(reply.status).toBe(201);
    expect(w.gitlab.pipelines()[0]?.variables).toEqual({ AI_FLOW_INPUT: 'a b&c' });
  });

  it('rejects an array of {key, value} with 400 {"error":"variables is invalid"}', async () => {
    const reply = await client(w.gitlab).post(trigger(), { token: triggerToken, ref: 'main', variables: [{ key: 'A', value: 'b' }] });
    expect(reply.status).toBe(400);
    expect(reply.body).toEqual({ error: 'variables is invalid' });
    expect(w.gitlab.pipelines()).toHaveLength(0);
  });

  it('rejects non-string values with "variables needs to be a map of key-valued strings"', async () => {
    for (const value of [1, true, ['a'], { nested: 'x' }]) {
      const reply = await client(w.gitlab).post(trigger(), { token: triggerToken, ref: 'main', variables: { A: value } });
      expect(reply.status, JSON.stringify(value)).toBe(400);
      expect(reply.body).toEqual({ message: 'variables needs to be a map of key-valued strings' });
    }
  });

  it('answers 404 for a wrong token, or a token of another project', async () => {
    const wrong = await client(w.gitlab).post(trigger(), { token: 'glptt-nope', ref: 'main' });
    expect(wrong.status).toBe(404);
    expect(wrong.body).toEqual({ message: '404 Not Found' });
    const other = w.gitlab.addProject({ path: 'group/other' });
    const elsewhere = await client(w.gitlab).post(`/projects/${other.id}/trigger/pipeline`, { token: triggerToken, ref: 'main' });
    expect(elsewhere.status).toBe(404);
  });

  it('needs token and ref: 400 listing both', async () => {
    const reply = await client(w.gitlab).post(trigger(), {});
    expect(reply.status).toBe(400);
    expect(reply.body).toEqual({ error: 'ref is missing, token is missing' });
  });

  it('answers 400 "Reference not found" for an unknown ref', async () => {
    const reply = await client(w.gitlab).post(trigger(), { token: triggerToken, ref: 'ghost' });
    expect(reply.status).toBe(400);
    expect(reply.body).toEqual({ message: { base: ['Reference not found'] } });
  });

  it('runs as the token owner: a Developer owner cannot run on the protected default branch', async () => {
    const devToken = w.gitlab.addTriggerToken(w.project.id, { ownerId: w.dev.id });
    const reply = await client(w.gitlab).post(trigger(), { token: devToken, ref: 'main' });
    expect(reply.status).toBe(400);
    expect(reply.body.message.base[0]).toContain("sufficient permission to run a pipeline on 'main'");
    expect((await client(w.gitlab).post(trigger(), { token: devToken, ref: 'feature' })).status).toBe(201);
  });

  it('refuses calls that carry X-Gitlab-Event: Pipeline Hook (403)', async () => {
    const reply = await client(w.gitlab).post(trigger(), { token: triggerToken, ref: 'main' }, { 'x-gitlab-event': 'Pipeline Hook' });
    expect(reply.status).toBe(403);
  });

  it('stores TRIGGER_PAYLOAD as a file variable, as GitLab does', async () => {
    const created = await client(w.gitlab).post(trigger(), { token: triggerToken, ref: 'main', variables: { A: 'b' } });
    const vars = await client(w.gitlab, w.bot.token).get(`/projects/${w.project.id}/pipelines/${created.body.id}/variables`);
    expect(vars.status).toBe(200);
    expect(vars.body).toEqual([
      { variable_type: 'env_var', key: 'A', value: 'b' },
      { variable_type: 'file', key: 'TRIGGER_PAYLOAD', value: JSON.stringify({ ref: 'main', id: String(w.project.id), variables: { A: 'b' } }) },
    ]);
    expect(w.gitlab.pipelines()[0]?.variables).toEqual({ A: 'b' });
  });

  it('takes the ref from the URL in /ref/:ref/trigger/pipeline', async () => {
    const reply = await client(w.gitlab).post(`/projects/${w.project.id}/ref/feature/trigger/pipeline?token=${triggerToken}`, { ref: 'main' });
    expect(reply.status).toBe(201);
    expect(reply.body.ref).toBe('feature');
  });
});

describe('reading pipelines', () => {
  async function seedPipelines() {
    const api = client(w.gitlab, w.bot.token);
    for (const ref of ['main', 'feature', 'main']) expect((await api.post(create(), { ref })).status).toBe(201);
    await client(w.gitlab).post(trigger(), { token: triggerToken, ref: 'feature' });
    return api;
  }

  it('lists newest first with pagination headers', async () => {
    const api = await seedPipelines();
    const first = await api.get(`/projects/${w.project.id}/pipelines?per_page=3`);
    expect(first.status).toBe(200);
    expect(first.body.map((p: any) => p.iid)).toEqual([4, 3, 2]);
    expect(first.headers.get('x-total')).toBe('4');
    expect(first.headers.get('x-total-pages')).toBe('2');
    expect(first.headers.get('x-page')).toBe('1');
    expect(first.headers.get('x-per-page')).toBe('3');
    expect(first.headers.get('x-next-page')).toBe('2');
    const second = await api.get(`/projects/${w.project.id}/pipelines?per_page=3&page=2`);
    expect(second.body.map((p: any) => p.iid)).toEqual([1]);
    expect(second.headers.get('x-next-page')).toBe('');
    expect(second.headers.get('x-prev-page')).toBe('1');
  });

  it('filters by ref, source and status; sorts ascending on request', async () => {
    const api = await seedPipelines();
    expect((await api.get(`/projects/${w.project.id}/pipelines?ref=main`)).body).toHaveLength(2);
    const triggered = await api.get(`/projects/${w.project.id}/pipelines?source=trigger`);
    expect(triggered.body.map((p: any) => p.source)).toEqual(['trigger']);
    const asc = await api.get(`/projects/${w.project.id}/pipelines?order_by=id&sort=asc`);
    expect(asc.body.map((p: any) => p.iid)).toEqual([1, 2, 3, 4]);
    await eventually('every pipeline pending', () => w.gitlab.pipelines().every((p) => p.status === 'pending'), 2000, 5);
    expect((await api.get(`/projects/${w.project.id}/pipelines?status=pending`)).body).toHaveLength(4);
    expect((await api.get(`/projects/${w.project.id}/pipelines?status=running`)).body).toHaveLength(0);
  });

  it('filters by updated_after', async () => {
    const api = await seedPipelines();
    await eventually('every pipeline pending', () => w.gitlab.pipelines().every((p) => p.status === 'pending'), 2000, 5);
    const future = new Date(Date.now() + 60_000).toISOString();
    expect((await api.get(`/projects/${w.project.id}/pipelines?updated_after=${future}`)).body).toHaveLength(0);
    const past = new Date(Date.now() - 60_000).toISOString();
    expect((await api.get(`/projects/${w.project.id}/pipelines?updated_after=${past}`)).body).toHaveLength(4);
  });

  it('rejects invalid filter values the way Grape does', async () => {
    const api = client(w.gitlab, w.bot.token);
    const reply = await api.get(`/projects/${w.project.id}/pipelines?order_by=name&status=done`);
    expect(reply.status).toBe(400);
    expect(reply.body).toEqual({ error: 'status does not have a valid value, order_by does not have a valid value' });
    expect((await api.get(`/projects/${w.project.id}/pipelines?updated_after=yesterday`)).body).toEqual({ error: 'updated_after is invalid' });
  });

  it('gets one pipeline; another project\'s pipeline id is "404 Not found"', async () => {
    const api = await seedPipelines();
    const [first] = w.gitlab.pipelines();
    const one = await api.get(`/projects/${w.project.id}/pipelines/${first?.id}`);
    expect(one.status).toBe(200);
    expect(one.body).toMatchObject({ id: first?.id, iid: 1, detailed_status: { group: expect.any(String) } });
    const other = w.gitlab.addProject({ path: 'group/other' });
    w.gitlab.addMember(other.id, w.bot.id, AccessLevel.maintainer);
    const wrong = await api.get(`/projects/${other.id}/pipelines/${first?.id}`);
    expect(wrong.status).toBe(404);
    expect(wrong.body).toEqual({ message: '404 Not found' });
    expect((await api.get(`/projects/${w.project.id}/pipelines/1`)).status).toBe(404);
  });

  it('hides pipeline variables from Reporters', async () => {
    await seedPipelines();
    const [first] = w.gitlab.pipelines();
    const reply = await client(w.gitlab, w.reporter.token).get(`/projects/${w.project.id}/pipelines/${first?.id}/variables`);
    expect(reply.status).toBe(403);
  });

  it('moves a new pipeline from created to pending on its own', async () => {
    const reply = await client(w.gitlab, w.bot.token).post(create(), { ref: 'main' });
    expect(reply.body.status).toBe('created');
    await eventually('the pipeline pending', () => w.gitlab.pipelines()[0]?.status === 'pending', 2000, 5);
  });
});
