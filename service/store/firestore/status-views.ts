import type { Transaction } from '@google-cloud/firestore';
import { decodeRun, expiresAfter, type RunDoc, type SlotsDoc } from './codec.js';
import type { StoreRefs } from './refs.js';
import { MAX_INCIDENTS, nextPauseState } from '../memory-store.js';
import * as slots from '../slots.js';
import { NOT_PAUSED, type Incident, type PauseState, type ProjectSlotsView, type RunRecord } from '../types.js';

// What the status page and the pause switch read and write on Firestore: recent runs, the projects' slots,
// the pause flag (one document every instance reads) and the last incidents (kept a week).

const INCIDENT_RETENTION_MS = 7 * 24 * 60 * 60 * 1000;

export async function listRecentRuns(refs: StoreRefs, limit: number): Promise<RunRecord[]> {
  // A single-field order: Firestore's automatic index serves it.
  const snap = await refs.collection('runs').orderBy('updatedAt', 'desc').limit(limit).get();
  return snap.docs.map((doc) => decodeRun(doc.data() as RunDoc));
}

export async function listProjectSlots(refs: StoreRefs, now: number): Promise<ProjectSlotsView[]> {
  // One small document per project that ever ran.
  const snap = await refs.collection('slots').get();
  return snap.docs.map((doc) => slots.view(Number(doc.id), doc.data() as SlotsDoc, now)).filter((view) => Number.isSafeInteger(view.projectId));
}

export async function pauseState(refs: StoreRefs): Promise<PauseState> {
  const snap = await refs.pause().get();
  return snap.exists ? (snap.data() as PauseState) : { ...NOT_PAUSED };
}

export async function setPausedIn(tx: Transaction, refs: StoreRefs, paused: boolean, by: string, now: number): Promise<PauseState> {
  const ref = refs.pause();
  const snap = await tx.get(ref);
  const next = nextPauseState(snap.exists ? (snap.data() as PauseState) : NOT_PAUSED, paused, by, now);
  tx.set(ref, next);
  return next;
}

export async function recordIncident(refs: StoreRefs, incident: Incident): Promise<void> {
  await refs.collection('incidents').add({ ...incident, message: incident.message.slice(0, 2000), expireAt: expiresAfter(incident.at, INCIDENT_RETENTION_MS) });
}

export async function recentIncidents(refs: StoreRefs, limit: number): Promise<Incident[]> {
  const snap = await refs.collection('incidents').orderBy('at', 'desc').limit(Math.min(limit, MAX_INCIDENTS)).get();
  return snap.docs.map((doc) => {
    const { at, kind, message } = doc.data() as Incident;
    return { at, kind, message };
  });
}
