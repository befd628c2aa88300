// Live updates for open boards over server-sent events. The stream only says "something changed"; the page fetches
// the JSON again. Changes are found by polling a cheap fingerprint of the board's data (one query per interval per
// instance, only while a board is open), which sees changes made by every instance sharing the database, by the
// ticker and by the API alike, with no hook into the write path.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { describeError } from '../../core/errors';
import type { Logger } from '../../core/ports';
import type { BoardSession } from './session';

interface Subscriber {
  session: BoardSession;
  /** The fingerprint this page last heard about; undefined until its first poll, which always tells it to fetch. */
  seen?: string;
  write(chunk: string): void;
  end(): void;
}

export interface FeedOptions {
  pollMs: number;
  /** Keeps proxies from closing an idle stream, and re-checks the sessions (a sign-out elsewhere ends its streams). */
  heartbeatMs: number;
}

export class BoardFeed {
  private readonly subs = new Set<Subscriber>();
  private timer: NodeJS.Timeout | null = null;
  private lastBeat = Date.now();
  private closed = false;

  constructor(
    private readonly stamp: () => Promise<string>,
    private readonly stillValid: (idSha256s: string[]) => Promise<Set<string>>,
    private readonly opts: FeedOptions,
    private readonly log: Logger,
  ) {}

  open(req: FastifyRequest, reply: FastifyReply, session: BoardSession, now: Date): void {
    reply.hijack();
    const raw = reply.raw;
    raw.writeHead(200, {
      ...(reply.getHeaders() as Record<string, string>),
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
      // nginx and similar proxies buffer responses unless told not to; events would arrive in bursts.
      'x-accel-buffering': 'no',
    });
    let ended = false;
    const sub: Subscriber = {
      session,
      write: (chunk) => {
        if (!ended) raw.write(chunk);
      },
      end: () => {
        if (ended) return;
        ended = true;
        clearTimeout(expiry);
        this.subs.delete(sub);
        raw.end();
      },
    };
    // The stream ends with its session; the page then finds itself signed out.
    const expiry = setTimeout(() => sub.end(), Math.min(2 ** 31 - 1, Math.max(0, session.expiresAt.getTime() - now.getTime())));
    req.raw.on('close', () => sub.end());
    this.subs.add(sub);
    sub.write('retry: 3000\nevent: hello\ndata: {}\n\n');
    this.schedule();
  }

  /** Ends the streams of one session on this instance (signed out here). */
  endSession(idSha256: string): void {
    for (const sub of this.subs) if (sub.session.idSha256 === idSha256) sub.end();
  }

  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    for (const sub of [...this.subs]) sub.end();
  }

  private schedule(): void {
    if (this.timer || this.closed || !this.subs.size) return;
    this.timer = setTimeout(() => void this.poll(), this.opts.pollMs);
  }

  private async poll(): Promise<void> {
    try {
      const stamp = await this.stamp();
      // A page that connected after fetching may have missed a change made meanwhile: its first poll covers it.
      for (const sub of this.subs) {
        if (sub.seen !== stamp) sub.write(`event: change\ndata: ${JSON.stringify({ stamp })}\n\n`);
        sub.seen = stamp;
      }
      if (Date.now() - this.lastBeat >= this.opts.heartbeatMs) {
        this.lastBeat = Date.now();
        const valid = await this.stillValid([...this.subs].map((s) => s.session.idSha256));
        for (const sub of [...this.subs]) if (!valid.has(sub.session.idSha256)) sub.end();
        this.broadcast(': keep-alive\n\n');
      }
    } catch (err) {
      // A database hiccup skips a beat; the next poll tries again and the pages keep their last data.
      this.log.warn({ err: describeError(err) }, 'board change poll failed');
    } finally {
      this.timer = null;
      this.schedule();
    }
  }

  private broadcast(chunk: string): void {
    for (const sub of this.subs) sub.write(chunk);
  }
}
