// List prices the cost estimate uses (USD). Dated: check the pages and update the date with the figures.
// Cloud Run: https://cloud.google.com/run/pricing (request-based billing, tier 1 region, above the free tier)
// Pub/Sub:   https://cloud.google.com/pubsub/pricing (throughput; every publish and delivery bills at least 1 KB)
// Firestore: https://cloud.google.com/firestore/pricing (Native mode, a regional location, above the free quota)
export const PRICES = {
  checked: '2026-12-03',
  cloudRun: { perMillionRequests: 0.4, perVcpuSecond: 0.000024, perGibSecond: 0.0000025 },
  pubsub: { perTib: 40, minimumBytes: 1000 },
  firestore: { perHundredThousandReads: 0.03, perHundredThousandWrites: 0.09, perHundredThousandDeletes: 0.01 },
} as const;

/**
 * Document reads and writes of one store call on Firestore (service/store/firestore/), the unit Firestore
 * bills; `keys` is the dedupe keys a call takes. An estimate per method, kept next to the prices.
 */
export const FIRESTORE_DOC_OPS: Record<string, (args: unknown[]) => { reads: number; writes: number; deletes?: number }> = {
  acceptMention: (args) => ({ reads: (args[0] as string[]).length + 2, writes: (args[0] as string[]).length + 1 }),
  recordMention: () => ({ reads: 2, writes: 1 }),
  rememberOnce: () => ({ reads: 0, writes: 1 }),
  isRemembered: () => ({ reads: 1, writes: 0 }),
  forget: () => ({ reads: 0, writes: 0, deletes: 1 }),
  mentionState: () => ({ reads: 2, writes: 0 }),
  claimThread: () => ({ reads: 3, writes: 4 }),
  getRun: () => ({ reads: 1, writes: 0 }),
  runOfNote: () => ({ reads: 1, writes: 0 }),
  updateRun: () => ({ reads: 1, writes: 1 }),
};
/** A store call not in the table counts as one read and one write. */
export const DEFAULT_DOC_OPS = { reads: 1, writes: 1 };
