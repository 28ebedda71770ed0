import { describe, expect, it } from 'vitest';
import { classifyWebhook } from '../../service/ingest/classify.js';
import { MemoryStore } from '../../service/store/memory-store.js';
import { noteOnIssuePayload } from '../../devtools/payloads.js';

// The embedded store runs for weeks on a laptop or a single VM: finished work must not pile up.
describe('MemoryStore retention', () => {
  it('forgets finished runs, their note claims and quiet threads after a week, and keeps recent ones', async () => {
    const store = new MemoryStore();
    const request = (noteId: number, discussionId: string) => {
      const classified = classifyWebhook({ eventHeader: 'Note Hook', deliveryId: 'd', payload: noteOnIssuePayload({ noteId, discussionId }), receivedAt: new Date() }, { triggerPhrase: '@claude', allowConfidential: false, gitlabUrl: 'https://g' });
      if (classified.kind !== 'flow') throw new Error('expected a flow');
      return classified.request;
    };
    const day = 24 * 3600_000;
    const old = request(1, 'a'.repeat(40));
    const recorded = await store.recordMention({ noteId: 1, request: old }, 0, 10);
    if (recorded.status !== 'pending') throw new Error('expected pending');
    const claim = await store.claimThread(old.threadKey, recorded.seq, 1, 'old-run', 100, day);
    expect(claim.status).toBe('claimed');
    await store.updateRun('old-run', { state: 'triggered' }, 200);

    const fresh = request(2, 'b'.repeat(40));
    const freshRecorded = await store.recordMention({ noteId: 2, request: fresh }, 8 * day, 10);
    if (freshRecorded.status !== 'pending') throw new Error('expected pending');
    await store.claimThread(fresh.threadKey, freshRecorded.seq, 2, 'fresh-run', 8 * day + 100, day);

    expect(await store.getRun('old-run')).toBeNull();
    expect(await store.runOfNote(1)).toBeNull();
    expect(await store.getRun('fresh-run')).not.toBeNull();
    expect(await store.runOfNote(2)).toBe('fresh-run');
  });
});
