import autocannon from 'autocannon';
import { noteOnIssuePayload, TEST_WEBHOOK_TOKEN } from '../devtools/payloads.js';

// Load on POST /webhooks/gitlab: a ~4 KB note payload, a new note (and thread) per request so nothing
// is answered as a duplicate, 50 connections.

export interface IngestResult {
  requestsPerSecond: number;
  p99Ms: number;
  non2xx: number;
  errors: number;
}

let nextNoteId = 1_000_000;
const NOTE_ID = 987_654_321;
let template: string | null = null;

/** A ~4 KB note payload with a fresh note id, cheap to make (the load generator shares the CPU). */
export function fourKilobyteNote(): string {
  if (!template) {
    const base = JSON.stringify(noteOnIssuePayload({ projectId: 101, noteId: NOTE_ID, discussionId: null, body: '@claude please look at this' }));
    template = JSON.stringify(
      noteOnIssuePayload({ projectId: 101, noteId: NOTE_ID, discussionId: null, body: `@claude please look at this ${'x'.repeat(Math.max(0, 4096 - base.length))}` }),
    );
  }
  return template.replaceAll(String(NOTE_ID), String(nextNoteId++));
}

export async function loadIngest(url: string, durationSeconds: number, connections = 50): Promise<IngestResult> {
  const result = await autocannon({
    url: `${url}/webhooks/gitlab`,
    connections,
    duration: durationSeconds,
    requests: [
      {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-gitlab-event': 'Note Hook', 'x-gitlab-token': TEST_WEBHOOK_TOKEN },
        setupRequest: (request: Record<string, unknown>) => ({ ...request, body: fourKilobyteNote() }),
      },
    ],
  });
  return { requestsPerSecond: result.requests.average, p99Ms: result.latency.p99, non2xx: result.non2xx, errors: result.errors };
}
