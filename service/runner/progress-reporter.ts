import { GitLabApiError } from '../gitlab/errors.js';

// Progress edits of the tracking note, throttled: GitLab limits notes to 60 requests a minute per user
// on GitLab.com (and the bot user is shared by every run), so at most one edit per interval goes out,
// always the latest text, and a 429 pauses edits for its Retry-After. Progress is best effort; the final
// edit does not go through here, and close() guarantees no progress edit lands after it.

export interface ProgressReporterOptions {
  edit: (body: string) => Promise<void>;
  minIntervalMs: number;
  now?: () => number;
  onError?: (error: unknown) => void;
}

export class ProgressReporter {
  private lastSentAt = Number.NEGATIVE_INFINITY;
  private lastBody: string | null = null;
  private pending: string | null = null;
  private inFlight: Promise<void> | null = null;
  private timer: NodeJS.Timeout | null = null;
  private pausedUntil = 0;
  private closed = false;
  private readonly now: () => number;

  constructor(private readonly options: ProgressReporterOptions) {
    this.now = options.now ?? Date.now;
  }

  /** The newest body wins; it is sent now or when the interval allows. */
  offer(body: string): void {
    if (this.closed || body === this.lastBody) return;
    this.pending = body;
    this.pump();
  }

  /** Stops sending and waits for an edit already on its way. */
  async close(): Promise<void> {
    this.closed = true;
    this.pending = null;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.inFlight;
  }

  private pump(): void {
    if (this.closed || this.pending === null || this.inFlight || this.timer) return;
    const due = Math.max(this.lastSentAt + this.options.minIntervalMs, this.pausedUntil);
    const wait = due - this.now();
    if (wait > 0) {
      this.timer = setTimeout(() => {
        this.timer = null;
        this.pump();
      }, wait);
      this.timer.unref?.();
      return;
    }
    const body = this.pending;
    this.pending = null;
    this.lastSentAt = this.now();
    this.inFlight = this.options
      .edit(body)
      .then(() => {
        this.lastBody = body;
      })
      .catch((error: unknown) => {
        if (error instanceof GitLabApiError && error.status === 429) this.pausedUntil = this.now() + (error.retryAfterMs ?? 60_000);
        this.options.onError?.(error);
      })
      .finally(() => {
        this.inFlight = null;
        this.pump();
      });
  }
}
