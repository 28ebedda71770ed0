import { describe, expect, it } from 'vitest';
import { selectThread } from '../../service/runner/thread.js';
import { trackingNoteBody } from '../../service/tracking-note.js';
import { discussion, issueContext, note } from './fixtures.js';

const before = '2026-11-26T02:00:00.000Z';
const later = '2026-11-26T03:00:05.000Z';

describe('selectThread', () => {
  it('keeps notes created and last edited before the trigger, and leaves out the rest, counted', () => {
    const old = note('old and untouched', { created: before });
    const editedLater = note('edited after @claude was written', { created: before, updated: later });
    const writtenLater = note('written after', { created: later });
    const trigger = note('@claude fix it', { created: '2026-11-26T03:00:00.000Z' }, { id: 101 });
    const selection = selectThread([discussion('d1', [old, editedLater, trigger, writtenLater])], issueContext());
    expect(selection.thread.map((n) => n.body)).toEqual(['old and untouched']);
    expect(selection.editedAfterTrigger).toBe(1);
    expect(selection.createdAfterTrigger).toBe(1);
  });

  it('skips system notes and the tracking note, but notices a description edited after the trigger', () => {
    const system = note('changed the description', { created: later }, { system: true });
    const tracking = note(trackingNoteBody('Claude is on it'), { created: before }, { id: 150 });
    const selection = selectThread([discussion('d1', [tracking]), discussion('d2', [system])], issueContext());
    expect(selection.thread).toEqual([]);
    expect(selection.others).toEqual([]);
    expect(selection.descriptionEditedAfterTrigger).toBe(true);
  });

  it('does not flag a description edited before the trigger', () => {
    const system = note('changed the description', { created: before }, { system: true });
    expect(selectThread([discussion('d2', [system])], issueContext()).descriptionEditedAfterTrigger).toBe(false);
  });

  it('separates the thread from other discussions and marks earlier answers from the service', () => {
    const answer = note(trackingNoteBody('Earlier answer', { closed: true }), { created: before });
    const elsewhere = note('another discussion', { created: before });
    const selection = selectThread([discussion('d1', [answer]), discussion('d9', [elsewhere])], issueContext());
    expect(selection.thread).toHaveLength(1);
    expect(selection.thread[0]).toMatchObject({ fromService: true, body: 'Earlier answer' });
    expect(selection.others.map((n) => n.body)).toEqual(['another discussion']);
  });

  it('treats an unreadable timestamp as too late', () => {
    const odd = note('no valid date', { created: 'yesterday-ish' });
    expect(selectThread([discussion('d1', [odd])], issueContext()).createdAfterTrigger).toBe(1);
  });
});
