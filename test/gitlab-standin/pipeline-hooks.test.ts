import { afterEach, describe, expect, it } from 'vitest';
import { hookTime } from '../../standins/gitlab/index.js';
import { eventually } from '../../devtools/eventually.js';
import { client, hookReceiver, world } from './helpers.js';

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

async function setUp(options: Parameters<typeof world>[0] = {}, answers: number[] = []) {
  const w = await world(options);
  closers.push(() => w.gitlab.close());
  const receiver = await hookReceiver(answers);
  closers.push(receiver.close);
  w.gitlab.registerWebhook(w.project.id, { url: receiver.url, token: 'hook-secret' });
  const token = w.gitlab.addTriggerToken(w.project.id, { ownerId: w.bot.id });
  const trigger = async (variables: Record<string, string> = { AI_FLOW_INPUT: 'fix it' }) => {
    const reply = await client(w.gitlab).post(`/projects/${w.project.id}/trigger/pipeline`, { token, ref: 'main', variables });
    expect(reply.status).toBe(201);
    return reply.body as { id: number; iid: number };
  };
  return { ...w, receiver, trigger };
}

describe('Pipeline Hook delivery', () => {
  it('finishPipeline posts a Pipeline Hook shaped like GitLab\'s, with GitLab\'s headers', async () => {
    const { gitlab, project, receiver, trigger } = await setUp({ pipelines: { hookOn: 'finish' } });
    const pipeline = await trigger({ AI_FLOW_INPUT: 'fix it', AI_FLOW_CONTEXT: '{"version":1}' });
    const deliveries = await gitlab.finishPipeline(project.id, pipeline.id, 'success');
    expect(deliveries).toHaveLength(1);
    expect(deliveries[0]?.delivered).toBe(true);
    expect(receiver.received).toHaveLength(1);
    const { headers, body } = receiver.received[0]!;
    expect(headers['x-gitlab-event']).toBe('Pipeline Hook');
    expect(headers['x-gitlab-token']).toBe('hook-secret');
    expect(headers['content-type']).toBe('application/json');
    expect(headers['x-gitlab-event-uuid']).toMatch(/^[0-9a-f-]{36}$/);
    expect(headers['x-gitlab-webhook-uuid']).toMatch(/^[0-9a-f-]{36}$/);
    expect(headers['idempotency-key']).toMatch(/^[0-9a-f-]{36}$/);
    expect(headers['x-gitlab-instance']).toBe(gitlab.url);
    expect(body).toMatchObject({
      object_kind: 'pipeline',
      object_attributes: {
        id: pipeline.id,
        iid: pipeline.iid,
        status: 'success',
        ref: 'main',
        source: 'trigger',
        url: `${gitlab.url}/group/project/-/pipelines/${pipeline.id}`,
        variables: expect.arrayContaining([{ key: 'AI_FLOW_INPUT', value: 'fix it' }, { key: 'AI_FLOW_CONTEXT', value: '{"version":1}' }]),
      },
      project: { id: project.id, path_with_namespace: 'group/project', web_url: `${gitlab.url}/group/project`, default_branch: 'main' },
      user: { username: 'claude-bot' },
    });
    // GitLab's hook timestamps are not ISO.
    expect(body.object_attributes.created_at).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} UTC$/);
    expect(body.object_attributes.finished_at).toBe(hookTime(gitlab.pipelines()[0]!.finishedAt));
    expect(gitlab.pipelines()[0]?.status).toBe('success');
  });

  it('sends a hook for every status change by default, in order', async () => {
    const { gitlab, project, receiver, trigger } = await setUp();
    const pipeline = await trigger();
    await eventually('the pipeline pending', () => gitlab.pipelines()[0]?.status === 'pending', 2000, 5);
    await gitlab.startPipeline(project.id, pipeline.id);
    await gitlab.finishPipeline(project.id, pipeline.id, 'failed');
    await gitlab.whenHooksIdle();
    expect(receiver.received.map((hook) => hook.body.object_attributes.status)).toEqual(['pending', 'running', 'failed']);
    const keys = new Set(receiver.received.map((hook) => hook.headers['idempotency-key']));
    expect(keys.size).toBe(3);
  });

  it('retries a failed delivery with the same Idempotency-Key and a new webhook UUID, within a bound', async () => {
    const { gitlab, project, receiver, trigger } = await setUp({ pipelines: { hookOn: 'finish' }, hookDelivery: { backoffMs: 1 } }, [500, 502]);
    const pipeline = await trigger();
    const [delivery] = await gitlab.finishPipeline(project.id, pipeline.id, 'success');
    expect(delivery?.delivered).toBe(true);
    expect(delivery?.attempts.map((attempt) => attempt.status)).toEqual([500, 502, 200]);
    expect(receiver.received).toHaveLength(3);
    expect(new Set(receiver.received.map((hook) => hook.headers['idempotency-key'])).size).toBe(1);
    expect(new Set(receiver.received.map((hook) => hook.headers['x-gitlab-event-uuid'])).size).toBe(1);
    expect(new Set(receiver.received.map((hook) => hook.headers['x-gitlab-webhook-uuid'])).size).toBe(3);
  });

  it('gives up after maxAttempts against a receiver that keeps failing', async () => {
    const { gitlab, project, receiver, trigger } = await setUp({ pipelines: { hookOn: 'finish' }, hookDelivery: { backoffMs: 1, maxAttempts: 3 } }, [500, 500, 500, 500]);
    const pipeline = await trigger();
    const [delivery] = await gitlab.finishPipeline(project.id, pipeline.id, 'success');
    expect(delivery?.delivered).toBe(false);
    expect(delivery?.attempts).toHaveLength(3);
    expect(receiver.received).toHaveLength(3);
  });

  it('retries when the receiver is down, and records the connection errors', async () => {
    const { gitlab, project, trigger } = await setUp({ pipelines: { hookOn: 'finish' }, hookDelivery: { backoffMs: 1, maxAttempts: 2 } });
    gitlab.registerWebhook(project.id, { url: 'http://127.0.0.1:9/nothing-listens-here', token: 't' });
    const pipeline = await trigger();
    const deliveries = await gitlab.finishPipeline(project.id, pipeline.id, 'canceled');
    const down = deliveries.find((delivery) => delivery.url.includes(':9/'));
    expect(down?.delivered).toBe(false);
    expect(down?.attempts.map((attempt) => attempt.status)).toEqual([null, null]);
    expect(down?.attempts[0]?.error).toBeTruthy();
    expect(deliveries.find((delivery) => delivery !== down)?.delivered).toBe(true);
  });

  it('refuses to finish with a status that is not final, or twice', async () => {
    const { gitlab, project, trigger } = await setUp({ pipelines: { hookOn: 'finish' } });
    const pipeline = await trigger();
    await expect(gitlab.finishPipeline(project.id, pipeline.id, 'running')).rejects.toThrow(/not a finished status/);
    await gitlab.finishPipeline(project.id, pipeline.id, 'success');
    await expect(gitlab.finishPipeline(project.id, pipeline.id, 'failed')).rejects.toThrow(/already success/);
  });
});

describe('pipeline automation and concurrency', () => {
  it('auto-runs and auto-finishes pipelines after the configured delays', async () => {
    const { gitlab, receiver, trigger } = await setUp({ pipelines: { autoRunAfterMs: 5, autoFinishAfterMs: 10, autoFinishStatus: 'success' } });
    await trigger();
    await eventually('the pipeline to succeed', () => gitlab.pipelines()[0]?.status === 'success', 2000, 5);
    await gitlab.whenHooksIdle();
    expect(receiver.received.map((hook) => hook.body.object_attributes.status)).toEqual(['pending', 'running', 'success']);
    expect(gitlab.pipelines()[0]?.startedAt).not.toBeNull();
  });

  it('tracks the highest number of unfinished pipelines at once', async () => {
    const { gitlab, project, trigger } = await setUp({ pipelines: { hookOn: 'finish' } });
    const a = await trigger();
    const b = await trigger();
    expect(gitlab.unfinishedPipelines(project.id)).toBe(2);
    await gitlab.finishPipeline(project.id, a.id, 'success');
    const c = await trigger();
    await gitlab.finishPipeline(project.id, b.id, 'success');
    await gitlab.finishPipeline(project.id, c.id, 'success');
    expect(gitlab.maxConcurrentUnfinishedPipelines(project.id)).toBe(2);
    expect(gitlab.unfinishedPipelines(project.id)).toBe(0);
  });

  it('tells listeners about new pipelines', async () => {
    const { gitlab, trigger } = await setUp();
    const seen: string[] = [];
    const stop = gitlab.onPipelineCreated((pipeline) => seen.push(pipeline.variables.AI_FLOW_INPUT ?? ''));
    await trigger({ AI_FLOW_INPUT: 'one' });
    stop();
    await trigger({ AI_FLOW_INPUT: 'two' });
    expect(seen).toEqual(['one']);
  });

  it('cancels through the API and sends the hook', async () => {
    const { gitlab, project, bot, receiver, trigger } = await setUp({ pipelines: { hookOn: 'finish' } });
    const pipeline = await trigger();
    const reply = await client(gitlab, bot.token).post(`/projects/${project.id}/pipelines/${pipeline.id}/cancel`);
    expect(reply.status).toBe(200);
    await gitlab.whenHooksIdle();
    expect(gitlab.pipelines()[0]?.status).toBe('canceled');
    expect(receiver.received.map((hook) => hook.body.object_attributes.status)).toEqual(['canceled']);
  });
});
