// Pub/Sub reports a message's delivery attempt only when its subscription has a dead-letter policy
// (the emulator always does). Without it we count deliveries per message id ourselves: per instance
// and in memory, so an approximation (a restart or another instance starts again from 1); the
// subscription's own dead-letter policy, set by infra, remains the bound across instances.

const MAX_TRACKED = 10_000;

export class AttemptCounter {
  private readonly seen = new Map<string, number>();

  /** The attempt to report for this delivery: Pub/Sub's when it has one, else our own count. */
  attemptOf(messageId: string, reported: number | null | undefined): number {
    if (reported && reported > 0) return reported;
    const attempt = (this.seen.get(messageId) ?? 0) + 1;
    this.seen.delete(messageId); // re-insert: the map's order is least recently seen first
    this.seen.set(messageId, attempt);
    if (this.seen.size > MAX_TRACKED) this.seen.delete(this.seen.keys().next().value as string);
    return attempt;
  }

  /** The message is done (acked or dead-lettered). */
  forget(messageId: string): void {
    this.seen.delete(messageId);
  }
}
