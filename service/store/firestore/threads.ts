import type { DocumentSnapshot, Transaction } from '@google-cloud/firestore';
import { claimedRun } from '../claimed-run.js';
import { byNoteOrder } from '../memory-store.js';
import type { ClaimThreadResult, PendingMention, RecordMentionResult } from '../types.js';
import { decodeMention, emptyThread, encodeMention, encodeRun, expiresAfter, type ThreadDoc } from './codec.js';
import type { StoreRefs } from './refs.js';

// A thread's debounce window on Firestore: recording a mention and claiming the quiet thread, each the
// body of one transaction (the store runs it), so two instances cannot both claim a note.

export async function recordMentionIn(
  tx: Transaction,
  refs: StoreRefs,
  mention: PendingMention,
  now: number,
  quietMs: number,
  retentionMs: number,
): Promise<RecordMentionResult> {
  const [noteSnap, threadSnap] = await tx.getAll(refs.note(mention.noteId), refs.thread(mention.request.threadKey));
  return placeMentionIn(tx, refs, mention, { noteSnap, threadSnap }, now, quietMs, retentionMs);
}

/** recordMention's decision and write, given what its transaction read of the note's claim and the thread. */
export function placeMentionIn(
  tx: Transaction,
  refs: StoreRefs,
  mention: PendingMention,
  read: { noteSnap: DocumentSnapshot | undefined; threadSnap: DocumentSnapshot | undefined },
  now: number,
  quietMs: number,
  retentionMs: number,
): RecordMentionResult {
  const { noteSnap, threadSnap } = read;
  const threadRef = refs.thread(mention.request.threadKey);
  if (noteSnap?.exists) return { status: 'claimed', runId: noteSnap.get('runId') as string };
  const expireAt = expiresAfter(now, retentionMs);
  const thread = threadSnap?.exists ? (threadSnap.data() as ThreadDoc) : emptyThread(mention.request.threadKey, expireAt);
  const key = String(mention.noteId);
  const existing = thread.pending[key];
  if (existing) {
    // A redelivery or an edit: keep the note's place; an edit (newer update time) replaces the text.
    if (mention.request.note.updatedAt >= decodeMention(existing.mention).request.note.updatedAt) {
      thread.pending[key] = { seq: existing.seq, mention: encodeMention(mention) };
      tx.set(threadRef, { ...thread, hasPending: true, expireAt });
    }
    return { status: 'pending', seq: existing.seq, quietUntil: thread.quietUntil };
  }
  thread.lastSeq += 1;
  thread.quietUntil = Math.max(thread.quietUntil, now + quietMs);
  thread.pending[key] = { seq: thread.lastSeq, mention: encodeMention(mention) };
  tx.set(threadRef, { ...thread, hasPending: true, expireAt });
  return { status: 'pending', seq: thread.lastSeq, quietUntil: thread.quietUntil };
}

export interface ClaimAsk {
  threadKey: string;
  seq: number;
  noteId: number;
  runId: string;
  now: number;
  budgetWindowMs: number;
}

export async function claimThreadIn(tx: Transaction, refs: StoreRefs, ask: ClaimAsk, retentionMs: number): Promise<ClaimThreadResult> {
  const { threadKey, seq, noteId, runId, now, budgetWindowMs } = ask;
  const threadRef = refs.thread(threadKey);
  const [noteSnap, threadSnap] = await tx.getAll(refs.note(noteId), threadRef);
  // Checked first: a redelivery of a claimed note resumes the run that took it.
  if (noteSnap?.exists) return { status: 'claimed-by', runId: noteSnap.get('runId') as string };
  if (!threadSnap?.exists) return { status: 'superseded' };
  const thread = threadSnap.data() as ThreadDoc;
  const mine = thread.pending[String(noteId)];
  if (!mine || thread.lastSeq > seq) return { status: 'superseded' };
  if (now < thread.quietUntil) return { status: 'wait', quietUntil: thread.quietUntil };

  // The mentions whose notes no run has taken. recordMention refuses a claimed note in its own
  // transaction, so this filter should never drop one; it is read anyway (a few documents), because a
  // note in two runs is the one thing this store must never allow, whatever wrote the thread.
  // The note asking was read above; a window of one (the common case) costs no second read.
  const pending = Object.values(thread.pending).map((entry) => decodeMention(entry.mention));
  const others = pending.filter((mention) => mention.noteId !== noteId);
  const othersClaimed = others.length > 0 ? await tx.getAll(...others.map((mention) => refs.note(mention.noteId))) : [];
  const leftOut = others.filter((_, i) => othersClaimed[i]?.exists).map((mention) => mention.noteId);
  const mentions = pending.filter((mention) => !leftOut.includes(mention.noteId)).sort(byNoteOrder);
  const run = claimedRun(runId, threadKey, decodeMention(mine.mention).request.project.id, mentions, now);
  const recent = thread.runCreatedAt.filter((at) => at > now - budgetWindowMs);
  const expireAt = expiresAfter(now, retentionMs);
  tx.create(refs.run(runId), encodeRun(run, expireAt));
  for (const mention of mentions) tx.set(refs.note(mention.noteId), { runId, threadKey, expireAt });
  tx.set(threadRef, { ...thread, pending: {}, hasPending: false, runCreatedAt: [...recent, now], expireAt });
  return { status: 'claimed', run, recentRunCount: recent.length, leftOut };
}
