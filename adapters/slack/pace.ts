// chat.postMessage allows about one message a second into a channel, with short bursts (Slack's rate limits page,
// "special rate limits"). A bucket per channel keeps this instance under it: a short wait is taken in place, a long
// one goes back to the outbox as a retry after that time, so a send never holds its slot for long. A 429 that gets
// through anyway (several instances, other apps' posts) is the outbox's to honour: the row waits its Retry-After.

export interface PaceSpec {
  burst: number;
  perSecond: number;
  /** Longest wait taken in place. */
  maxWaitMs: number;
}

export const SLACK_CHANNEL_PACE: PaceSpec = { burst: 3, perSecond: 1, maxWaitMs: 2000 };

export type Slot = { ok: true; waitMs: number } | { ok: false; retryAfterMs: number };

export class ChannelPacer {
  private buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    private readonly spec: PaceSpec = SLACK_CHANNEL_PACE,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** A slot for one post into `channel`: go after `waitMs`, or (not taken) come back after `retryAfterMs`. */
  reserve(channel: string): Slot {
    const t = this.now();
    const b = this.bucket(channel, t);
    const wait = b.tokens >= 1 ? 0 : ((1 - b.tokens) / this.spec.perSecond) * 1000;
    if (wait > this.spec.maxWaitMs) return { ok: false, retryAfterMs: Math.ceil(wait) };
    b.tokens -= 1;
    return { ok: true, waitMs: Math.ceil(wait) };
  }

  private bucket(channel: string, t: number) {
    let b = this.buckets.get(channel);
    if (!b) {
      if (this.buckets.size >= 10_000) this.prune(t);
      b = { tokens: this.spec.burst, at: t };
      this.buckets.set(channel, b);
    }
    b.tokens = Math.min(this.spec.burst, b.tokens + ((t - b.at) / 1000) * this.spec.perSecond);
    b.at = t;
    return b;
  }

  /** A full bucket carries no information. */
  private prune(t: number) {
    for (const [k, b] of this.buckets) if (b.tokens + ((t - b.at) / 1000) * this.spec.perSecond >= this.spec.burst) this.buckets.delete(k);
  }
}
