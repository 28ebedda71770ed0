import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { client, world } from './helpers.js';

// GET /projects/:id/jobs/:job_id/artifacts/*artifact_path (https://docs.gitlab.com/api/job_artifacts/):
// the file's bytes; 404 for a missing job, file or expired artifacts; `artifacts:access` honoured.

let w: Awaited<ReturnType<typeof world>>;
let jobId: number;
const path = (file: string, job = jobId) => `/projects/${w.project.id}/jobs/${job}/artifacts/${file}`;

beforeAll(async () => {
  w = await world();
  const pipeline = w.gitlab.addFinishedPipeline(w.project.id, { ref: 'main', sha: 'a'.repeat(40), status: 'success', userId: w.dev.id, jobs: [{ name: 'claude-gitlab-flow', status: 'success' }] });
  jobId = pipeline.jobIds[0]!;
  w.gitlab.setJobArtifacts(jobId, { 'out/session.json': '{"a":1}\n', 'out/bin.dat': Buffer.from([0, 255, 10, 13]) }, 'developer');
});

afterAll(async () => {
  await w.gitlab.close();
});

describe('a single artifact file by job id', () => {
  it('gives a Developer the exact bytes, nested paths included', async () => {
    const reply = await fetch(`${w.gitlab.apiUrl}${path('out/bin.dat')}`, { headers: { 'private-token': w.dev.token } });
    expect(reply.status).toBe(200);
    expect([...Buffer.from(await reply.arrayBuffer())]).toEqual([0, 255, 10, 13]);
    expect((await client(w.gitlab, w.bot.token).get(path('out/session.json'))).text).toBe('{"a":1}\n');
  });

  it('answers 404 for a file, job or artifacts that are not there, and once they expired', async () => {
    const api = client(w.gitlab, w.dev.token);
    expect((await api.get(path('out/other.json'))).status).toBe(404);
    expect((await api.get(path('out/session.json', jobId + 1000))).status).toBe(404);
    w.gitlab.expireJobArtifacts(jobId);
    expect((await api.get(path('out/session.json'))).status).toBe(404);
    w.gitlab.setJobArtifacts(jobId, { 'out/session.json': '{"a":1}\n' }, 'developer');
  });

  it('keeps `access: developer` artifacts from a Reporter, and a private project from outsiders', async () => {
    expect((await client(w.gitlab, w.reporter.token).get(path('out/session.json'))).status).toBe(403);
    expect((await client(w.gitlab, w.outsider.token).get(path('out/session.json'))).status).toBe(404);
  });
});
