// One open widget stream (Server-Sent Events): the conversation from the client's cursor — history first — then
// live. Live means polling the read-back (commit-ordered, so a cursor never skips a late commit) every pollMs, and
// at once when this instance wrote something for the account. Event ids are read-back seqs: a browser that
// reconnects with Last-Event-ID resumes exactly where it was.
import type { ServerResponse } from 'node:http';
import type { ReadbackMessage } from '../../../src/channels/module';
import { describeError } from '../../../src/core/errors';
import type { Clock, Logger } from '../../../src/core/ports';
import { conversationKey } from '../address';
import type { OpenStream } from './hub';
import { isAck, offerMatches, type Offer, type Offers } from './offers';
import type { WidgetClaims } from './token';

export interface StreamOptions {
  pollMs: number;
  heartbeatMs: number;
  /** A client that stops reading is dropped rather than buffered without end; it resumes from its last id. */
  maxBufferedBytes: number;
}

export interface StreamContext {
  readback(conversationKey: string, after: number, limit: number, opts?: { identityAccount?: string }): Promise<ReadbackMessage[]>;
  offers: Offers;
  clock: Clock;
  log: Logger;
  opts: StreamOptions;
}

const PAGE = 100;
/** How long after an acknowledgement was written its buttons may still be on their way (the delivery is queued). */
const OFFER_WAIT_MS = 120_000;

export const sseEvent = (event: string, data: unknown, id?: number) =>
  `${id === undefined ? '' : `id: ${id}\n`}event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;

export class WidgetStream implements OpenStream {
  private closed = false;
  private woken = false;
  private wakeUp: (() => void) | null = null;
  private cursor: number;
  private readonly conversation: string;
  /** The latest acknowledgement sent without its buttons because their record hadn't arrived yet. */
  private pending: ReadbackMessage | null = null;

  constructor(
    private readonly ctx: StreamContext,
    private readonly res: ServerResponse,
    private readonly claims: WidgetClaims,
    after: number,
  ) {
    this.cursor = after;
    this.conversation = conversationKey(claims.accountId);
  }

  wake(): void {
    this.woken = true;
    this.wakeUp?.();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.res.end();
    this.wakeUp?.();
  }

  async run(): Promise<void> {
    const { opts, clock } = this.ctx;
    this.res.on('close', () => this.close());
    // The token's holder may read until exp and no longer: the widget then asks its page for a fresh token.
    const expiry = setTimeout(() => {
      this.write(sseEvent('expired', { reason: 'token expired' }));
      this.close();
    }, Math.max(0, this.claims.exp * 1000 - clock.now().getTime()));
    const heartbeat = setInterval(() => this.write(': keep-alive\n\n'), opts.heartbeatMs);
    try {
      this.write(`retry: 3000\n\n`);
      this.write(sseEvent('session', {
        account: { id: this.claims.accountId, name: this.claims.accountName ?? null },
        user: { id: this.claims.userId, name: this.claims.name ?? null },
        exp: this.claims.exp,
      }));
      await this.pump();
      this.write(sseEvent('synced', { seq: this.cursor }));
      while (!this.closed) {
        await this.sleep(opts.pollMs);
        if (!this.closed) await this.pump();
      }
    } catch (err) {
      // The browser reconnects from its last id; the database being away for a moment costs a reconnect, no message.
      this.ctx.log.warn({ err: describeError(err) }, 'widget stream stopped');
    } finally {
      clearTimeout(expiry);
      clearInterval(heartbeat);
      this.close();
    }
  }

  private async pump(): Promise<void> {
    let offer: Offer | null | undefined;
    const latestOffer = async () => (offer === undefined ? (offer = await this.ctx.offers.latest(this.claims.accountId)) : offer);
    for (;;) {
      // Authors are named by their user id in the token's account only, never by another account's.
      const page = await this.ctx.readback(this.conversation, this.cursor, PAGE, { identityAccount: this.claims.accountId });
      for (const m of page) {
        if (this.closed) return;
        let data: ReadbackMessage & { choices?: Offer['choices'] } = m;
        if (isAck(m)) {
          const o = await latestOffer();
          if (offerMatches(o, m)) {
            if (o.choices.length) data = { ...m, choices: o.choices };
            this.pending = null;
          } else this.pending = this.recent(m) ? m : null;
        }
        this.write(sseEvent('message', data, m.seq));
        this.cursor = m.seq;
      }
      if (page.length < PAGE) break;
    }
    const p = this.pending;
    if (!p || this.closed) return;
    offer = undefined;
    const o = await latestOffer();
    if (offerMatches(o, p)) {
      this.pending = null;
      if (o.choices.length) this.write(sseEvent('choices', { seq: p.seq, choices: o.choices }));
    } else if (!this.recent(p)) this.pending = null;
  }

  private recent(m: ReadbackMessage): boolean {
    return this.ctx.clock.now().getTime() - Date.parse(m.createdAt) < OFFER_WAIT_MS;
  }

  private sleep(ms: number): Promise<void> {
    if (this.woken) {
      this.woken = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.wakeUp = null;
        this.woken = false;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wakeUp = done;
    });
  }

  private write(chunk: string): void {
    if (this.closed) return;
    this.res.write(chunk);
    if (this.res.writableLength > this.ctx.opts.maxBufferedBytes) this.close();
  }
}
