// Telegram's flood limits (not published exactly; PLATFORMS.md): about 1 message a second into one chat, 20 a
// minute into a group, 30 a second overall. Token buckets per chat and overall (short bursts are fine there), and a
// sliding minute per group (a bucket would let 40 through in a minute), keep us under them on this instance. A short wait is taken in place; a long one (a busy group) goes back to the outbox as a retry after
// that time, so a send never holds its outbox slot for long. A 429 blocks the chat until its retry_after.
export interface BucketSpec {
  /** Messages that may go at once after a quiet spell. */
  burst: number;
  /** Sustained rate, per second. */
  perSecond: number;
}

export interface PaceLimits {
  chat: BucketSpec;
  /** At most `count` messages in any `windowMs`. */
  group: { count: number; windowMs: number };
  global: BucketSpec;
  /** Longest wait taken in place; longer waits are handed back to the outbox. */
  maxWaitMs: number;
}

export const TELEGRAM_LIMITS: PaceLimits = {
  chat: { burst: 3, perSecond: 1 },
  group: { count: 20, windowMs: 60_000 },
  global: { burst: 30, perSecond: 30 },
  maxWaitMs: 2000,
};

interface Bucket {
  tokens: number;
  at: number;
  blockedUntil: number;
}

export type Reservation = { ok: true; waitMs: number } | { ok: false; retryAfterMs: number };

export class Pacer {
  private buckets = new Map<string, Bucket>();
  private windows = new Map<number, number[]>();

  constructor(
    private readonly limits: PaceLimits = TELEGRAM_LIMITS,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** Takes a slot for one message into `chatId`: go after `waitMs`, or (not taken) come back after `retryAfterMs`. */
  reserve(chatId: number, group: boolean): Reservation {
    const t = this.now();
    const buckets = ([[`chat:${chatId}`, this.limits.chat], ['global', this.limits.global]] as const).map(([key, spec]) => ({ b: this.bucket(key, spec, t), spec }));
    let wait = Math.max(...buckets.map(({ b, spec }) => Math.max(b.blockedUntil - t, b.tokens >= 1 ? 0 : ((1 - b.tokens) / spec.perSecond) * 1000)));
    const sent = group ? this.window(chatId, t) : null;
    if (sent && sent.length >= this.limits.group.count) wait = Math.max(wait, sent[sent.length - this.limits.group.count] + this.limits.group.windowMs - t);
    if (wait > this.limits.maxWaitMs) return { ok: false, retryAfterMs: Math.ceil(wait) };
    for (const { b } of buckets) b.tokens -= 1;
    sent?.push(t + wait);
    this.prune(t);
    return { ok: true, waitMs: Math.ceil(wait) };
  }

  /** Telegram said 429 for this chat: nothing more goes there until then. */
  block(chatId: number, ms: number): void {
    const t = this.now();
    const b = this.bucket(`chat:${chatId}`, this.limits.chat, t);
    b.blockedUntil = Math.max(b.blockedUntil, t + ms);
  }

  private bucket(key: string, spec: BucketSpec, t: number): Bucket {
    let b = this.buckets.get(key);
    if (!b) {
      b = { tokens: spec.burst, at: t, blockedUntil: 0 };
      this.buckets.set(key, b);
    }
    b.tokens = Math.min(spec.burst, b.tokens + ((t - b.at) / 1000) * spec.perSecond);
    b.at = t;
    return b;
  }

  /** When the group's messages of the last window went (or are due to go). */
  private window(chatId: number, t: number): number[] {
    const sent = (this.windows.get(chatId) ?? []).filter((at) => at > t - this.limits.group.windowMs);
    this.windows.set(chatId, sent);
    return sent;
  }

  /** Full buckets and empty windows carry no information; dropping them keeps memory bounded by activity. */
  private prune(t: number): void {
    if (this.buckets.size + this.windows.size < 10_000) return;
    for (const [key, b] of this.buckets) {
      const spec = key === 'global' ? this.limits.global : this.limits.chat;
      if (b.blockedUntil <= t && b.tokens + ((t - b.at) / 1000) * spec.perSecond >= spec.burst) this.buckets.delete(key);
    }
    for (const [chat, sent] of this.windows) if (!sent.some((at) => at > t - this.limits.group.windowMs)) this.windows.delete(chat);
  }
}
