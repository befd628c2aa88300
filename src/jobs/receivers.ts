// Single-instance receivers (Telegram long polling, IMAP IDLE): each runs on one instance at a time under a lease
// row in the database. The holder renews it while it runs; an instance that dies stops renewing, and another takes
// the receiver over within a lease's length. Times come from the database clock, shared by every instance.
import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import type { Receiver } from '../channels/module';
import type { Logger } from '../core/ports';
import { describeError } from '../core/errors';
import { sleepUnlessAborted } from '../core/backoff';
import type { Db } from '../db/connect';

export interface ReceiverOptions {
  /** How long a lease holds unrenewed: about how long a dead instance's receiver stays silent. */
  ttlMs: number;
  /** How often the holder renews, and others try to take it. */
  renewMs: number;
}

const rowsOf = (r: unknown) => (r as { rows: unknown[] }).rows;

export class ReceiverRunner {
  readonly holder = randomUUID();
  private readonly stop$ = new AbortController();
  private readonly loops: Promise<void>[] = [];
  /** Receivers this instance holds right now (for tests and the metrics). */
  readonly held = new Set<string>();

  constructor(
    private readonly db: Db,
    private readonly receivers: { channel: string; receiver: Receiver }[],
    private readonly log: Logger,
    private readonly opts: ReceiverOptions = { ttlMs: 15_000, renewMs: 5_000 },
    private readonly onHeld?: (name: string, held: boolean) => void,
  ) {}

  start(): void {
    for (const r of this.receivers) this.loops.push(this.loop(`${r.channel}:${r.receiver.name}`, r.receiver));
  }

  async stop(): Promise<void> {
    this.stop$.abort();
    await Promise.allSettled(this.loops);
  }

  private async acquire(name: string): Promise<boolean> {
    const res = await this.db.execute(sql`INSERT INTO leases (name, holder, expires_at) VALUES (${name}, ${this.holder}, now() + make_interval(secs => ${this.opts.ttlMs / 1000}::float8))
      ON CONFLICT (name) DO UPDATE SET holder = EXCLUDED.holder, expires_at = EXCLUDED.expires_at
      WHERE leases.expires_at < now() OR leases.holder = EXCLUDED.holder RETURNING holder`);
    return rowsOf(res).length > 0;
  }

  private async renew(name: string): Promise<boolean> {
    const res = await this.db.execute(sql`UPDATE leases SET expires_at = now() + make_interval(secs => ${this.opts.ttlMs / 1000}::float8)
      WHERE name = ${name} AND holder = ${this.holder} RETURNING 1`);
    return rowsOf(res).length > 0;
  }

  private async release(name: string): Promise<void> {
    await this.db.execute(sql`DELETE FROM leases WHERE name = ${name} AND holder = ${this.holder}`).catch(() => undefined);
  }

  private async loop(name: string, receiver: Receiver): Promise<void> {
    const stopping = this.stop$.signal;
    let failures = 0;
    while (!stopping.aborted) {
      let got = false;
      try {
        got = await this.acquire(name);
      } catch (err) {
        this.log.warn({ receiver: name, err: describeError(err) }, 'receiver lease unavailable');
      }
      if (!got) {
        await sleepUnlessAborted(this.opts.renewMs, stopping);
        continue;
      }
      const run = new AbortController();
      const stop = () => run.abort();
      stopping.addEventListener('abort', stop);
      const renewals = setInterval(() => {
        this.renew(name).then(
          (ok) => {
            if (!ok) {
              this.log.warn({ receiver: name }, 'receiver lease taken over; stopping here');
              run.abort();
            }
          },
          // A renewal that can't reach the database is retried; the lease outlives a few misses.
          () => undefined,
        );
      }, this.opts.renewMs);
      this.held.add(name);
      this.onHeld?.(name, true);
      this.log.info({ receiver: name }, 'receiver started on this instance');
      try {
        await receiver.run(run.signal);
        failures = 0;
      } catch (err) {
        failures++;
        this.log.error({ receiver: name, failures, err: describeError(err) }, 'receiver stopped with an error');
      } finally {
        clearInterval(renewals);
        stopping.removeEventListener('abort', stop);
        this.held.delete(name);
        this.onHeld?.(name, false);
        await this.release(name);
      }
      // A receiver that keeps failing backs off (another instance may try meanwhile).
      if (!stopping.aborted && failures) await sleepUnlessAborted(Math.min(60_000, 1000 * 2 ** failures), stopping);
    }
  }
}
