// Leases on outbox rows while they are sent. A lease is short (15 s by default) so that a crashed sender's rows are
// picked up again within seconds; while a send is in flight its lease is renewed every few seconds, so a slow but
// live sender is never overtaken by another instance (which would deliver the same row a second time). A lease that
// another instance holds now, or that ran out before it could be renewed, aborts its send.
import type { Core } from './context';
import { describeError } from './errors';

export class LeaseLost extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LeaseLost';
  }
}

export interface Lease {
  readonly token: string;
  /** Aborts when the lease is lost: stop sending and record nothing. */
  readonly signal: AbortSignal;
  readonly lost: boolean;
  lose(why: string): void;
}

interface Held {
  token: string;
  until: number;
  ctl: AbortController;
}

export class LeaseKeeper {
  private readonly held = new Map<string, Held>();
  private timer: NodeJS.Timeout | null = null;
  private renewing = false;

  constructor(
    private readonly core: Core,
    private readonly leaseMs: number,
    private readonly renewMs: number,
  ) {}

  hold(token: string, until: Date): Lease {
    const h: Held = { token, until: until.getTime(), ctl: new AbortController() };
    this.held.set(token, h);
    this.schedule();
    return {
      token,
      signal: h.ctl.signal,
      get lost() {
        return h.ctl.signal.aborted;
      },
      lose: (why) => h.ctl.abort(new LeaseLost(why)),
    };
  }

  release(lease: Lease): void {
    this.held.delete(lease.token);
    if (!this.held.size && this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
  }

  private schedule(): void {
    if (this.timer || this.renewing || !this.held.size) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.renewing = true;
      void this.renew().finally(() => {
        this.renewing = false;
        this.schedule();
      });
    }, this.renewMs);
    // Leases only matter while sends are in flight, and those keep the process alive by themselves.
    this.timer.unref();
  }

  /** One statement for every lease this process holds. */
  async renew(): Promise<void> {
    const batch = [...this.held.values()];
    if (!batch.length) return;
    const now = this.core.clock.now().getTime();
    const until = new Date(now + this.leaseMs);
    try {
      const kept = new Set(await this.core.store.tx((tx) => tx.renewOutbox(batch.map((h) => h.token), until)));
      for (const h of batch) {
        if (kept.has(h.token)) h.until = until.getTime();
        // Released meanwhile means finished (the row is no longer 'sending'), not lost.
        else if (this.held.has(h.token)) h.ctl.abort(new LeaseLost('another instance took over the delivery'));
      }
    } catch (err) {
      this.core.log.warn({ leases: batch.length, err: describeError(err) }, 'could not renew outbox leases');
      // A lease that ran out may already be another instance's: stop rather than deliver the row twice.
      for (const h of batch) if (h.until <= now) h.ctl.abort(new LeaseLost('the lease ran out before it could be renewed'));
    }
  }
}
