import { afterEach, describe, expect, it } from 'vitest';
import { createGitLabApi } from '../../service/gitlab/lazy-api.js';
import { GitLabApiError } from '../../service/gitlab/errors.js';
import { AccessLevel, startGitLabStandIn, type GitLabStandIn } from '../../standins/gitlab/index.js';

// The one requester behind gitbeaker: exactly one attempt per call (retries belong to the queue), a
// deadline, GitLab's status and Retry-After on the error, and no token in any URL.

let gitlab: GitLabStandIn;
afterEach(async () => {
  await gitlab?.close();
});

async function world() {
  gitlab = await startGitLabStandIn();
  const bot = gitlab.addUser({ username: 'claude-bot' });
  const project = gitlab.addProject({ path: 'acme/app', protectedBranches: [] });
  gitlab.addMember(project.id, bot.id, AccessLevel.developer);
  const urls: string[] = [];
  const recordingFetch: typeof fetch = (input, init) => {
    urls.push(String(input instanceof Request ? input.url : input));
    return fetch(input, init);
  };
  const api = createGitLabApi({ baseUrl: gitlab.url, token: bot.token, fetch: recordingFetch });
  return { bot, project, api, urls };
}

const rejection = async (promise: Promise<unknown>): Promise<GitLabApiError> => {
  const error = await promise.then(
    () => null,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(GitLabApiError);
  return error as GitLabApiError;
};

describe('the GitLab requester', () => {
  it('sends a POST that got a 502 exactly once; the error is transient (the queue retries, not the call)', async () => {
    const { project, api } = await world();
    gitlab.queueFault({ status: 502, path: /\/pipeline$/ });
    const error = await rejection(api.createPipeline(project.id, 'main', { AI_FLOW_EVENT: 'mention' }));
    expect(error).toMatchObject({
      status: 502,
      method: 'POST',
      path: `/projects/${project.id}/pipeline`,
      transient: true,
    });
    const posts = gitlab.requests.filter((request) => request.method === 'POST' && /\/pipeline$/.test(request.path));
    expect(posts.map((request) => request.status)).toEqual([502]);
    expect(gitlab.pipelines(project.id)).toHaveLength(0);
  });

  it('sends a 429 once too, with Retry-After on the error in milliseconds', async () => {
    const { project, api } = await world();
    gitlab.queueFault({ status: 429, path: /\/pipeline$/, retryAfterSeconds: 7 });
    const error = await rejection(api.createPipeline(project.id, 'main', { AI_FLOW_EVENT: 'mention' }));
    expect(error).toMatchObject({ status: 429, retryAfterMs: 7000, transient: true });
    expect(gitlab.requests.filter((request) => /\/pipeline$/.test(request.path))).toHaveLength(1);
  });

  it('reads a refusal as permanent, in GitLab own words', async () => {
    const { api } = await world();
    const error = await rejection(api.project(999_999));
    expect(error).toMatchObject({ status: 404, transient: false });
    expect(error.message).toMatch(/^GitLab GET \/projects\/999999 answered 404/);
  });

  it('gives up at its deadline: a network-level failure (status 0), transient', async () => {
    const hanging: typeof fetch = (_input, init) =>
      new Promise((_resolve, reject) => init?.signal?.addEventListener('abort', () => reject(init.signal?.reason)));
    const api = createGitLabApi({ baseUrl: 'http://127.0.0.1:9', token: 'not-a-token', timeoutMs: 50, fetch: hanging });
    const started = Date.now();
    const error = await rejection(api.currentUser());
    expect(error).toMatchObject({ status: 0, method: 'GET', path: '/user', transient: true });
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('never puts the trigger token in a URL: the trigger API gets it in the body, without PRIVATE-TOKEN', async () => {
    const { bot, project, api, urls } = await world();
    const token = gitlab.addTriggerToken(project.id, { ownerId: bot.id });
    const pipeline = await api.triggerPipeline(project.id, 'main', { AI_FLOW_EVENT: 'mention' }, token);
    expect(gitlab.pipelines(project.id)).toMatchObject([{ id: pipeline.id, source: 'trigger' }]);
    const trigger = gitlab.requests.filter((request) => request.path.endsWith('/trigger/pipeline'));
    expect(trigger).toHaveLength(1);
    for (const request of gitlab.requests) expect(`${request.path}?${request.query}`).not.toContain(token);
    expect(urls.length).toBeGreaterThan(0);
    for (const url of urls) expect(url).not.toContain(token);
    // Nor the bot's token, which travels as a header on every other call.
    for (const url of urls) expect(url).not.toContain(bot.token);
  });
});
