import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { classifyWebhook } from '../../service/ingest/classify.js';
import { encodeWork } from '../../service/queue/pubsub/codec.js';
import { eventually } from '../../devtools/eventually.js';
import { emulatorEnv, startFlowWorld, type FlowWorld } from '../support/flow-harness.js';
import { standInIssueNotePayload } from '../../devtools/payloads.js';

// Cloud Run receives Pub/Sub by push: POST /pubsub/push. Without a Google-signed OIDC token for the
// configured audience and service account nothing runs; the emulator (no tokens) needs an explicit opt-out.

let world: FlowWorld;
afterEach(async () => {
  await world?.close();
});

function pushEnv(extra: Record<string, string>): Record<string, string> {
  return { ...emulatorEnv('push', { pull: false }), DEBOUNCE_MS: '200', ...extra };
}

function envelopeFor(world: FlowWorld, noteId: number, issueIid: number, discussionId: string): string {
  const payload = standInIssueNotePayload(world.project, { issueIid, noteId, discussionId, body: '@claude via push', author: { id: world.users.dana.id, username: 'dana' } });
  const classified = classifyWebhook({ eventHeader: 'Note Hook', deliveryId: randomUUID(), payload, receivedAt: new Date() }, { triggerPhrase: '@claude', allowConfidential: false, gitlabUrl: world.gitlab.url });
  if (classified.kind !== 'flow') throw new Error('expected a flow');
  const { data, attributes } = encodeWork({ kind: 'flow', request: classified.request });
  return JSON.stringify({ message: { data: data.toString('base64'), attributes, messageId: randomUUID(), publishTime: new Date().toISOString() }, subscription: 'projects/p/subscriptions/push' });
}

describe('POST /pubsub/push', () => {
  it('refuses requests without a valid OIDC token (401), and runs nothing', async () => {
    world = await startFlowWorld({ env: pushEnv({ PUBSUB_PUSH_AUDIENCE: 'https://svc.example/pubsub/push', PUBSUB_PUSH_SERVICE_ACCOUNT: 'push@p.iam.gserviceaccount.com' }) });
    const issue = world.gitlab.addIssue(world.project.id, { title: 'Push', authorId: world.users.dana.id });
    const note = world.gitlab.addNote(world.project.id, { type: 'Issue', iid: issue.iid }, { body: '@claude via push', authorId: world.users.dana.id, hook: false });
    const body = envelopeFor(world, note.id, issue.iid, note.discussionId);
    for (const authorization of [undefined, 'Bearer not-a-jwt', `Bearer ${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from('{"aud":"x"}').toString('base64url')}.`]) {
      const response = await fetch(`${world.service.url}/pubsub/push`, { method: 'POST', headers: { 'content-type': 'application/json', ...(authorization ? { authorization } : {}) }, body });
      expect(response.status).toBe(401);
    }
    await new Promise((resolve) => setTimeout(resolve, 800));
    expect(world.gitlab.pipelines(world.project.id)).toHaveLength(0);
  });

  it('runs a pushed request when verification is explicitly off against the emulator, and says so in the log', async () => {
    world = await startFlowWorld({ env: pushEnv({ PUBSUB_PUSH_AUTH_DISABLED: 'true' }) });
    expect(world.logText()).toContain('PUBSUB_PUSH_AUTH_DISABLED=true');
    const issue = world.gitlab.addIssue(world.project.id, { title: 'Push', authorId: world.users.dana.id });
    const note = world.gitlab.addNote(world.project.id, { type: 'Issue', iid: issue.iid }, { body: '@claude via push', authorId: world.users.dana.id, hook: false });
    const response = await fetch(`${world.service.url}/pubsub/push`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: envelopeFor(world, note.id, issue.iid, note.discussionId) });
    expect(response.status).toBe(204);
    const [pipeline] = await eventually('a pipeline from the pushed request', () => world.gitlab.pipelines(world.project.id)[0] && world.gitlab.pipelines(world.project.id), 30_000);
    expect(pipeline?.variables.AI_FLOW_INPUT).toBe('@claude via push');
  });
});
