// The outbox drainer. Rows are sent in lanes — console notices, each client channel, and anything else queued —
// each with a bounded number of sends in flight: a platform that hangs holds up only its own lane's slots, and SLA
// alerts never wait behind client callbacks. Running continuously, a lane claims again as soon as a send finishes
// instead of waiting for a whole batch. Order is kept per conversation by the claim itself (only a conversation's
// oldest unsent row is claimable), so everything else goes out in parallel.
import type { Core } from './context';
import { deliverClaim, type Outcome } from './delivery-attempt';
import { describeError } from './errors';
import { LeaseKeeper } from './lease';
import type { ChannelAdapter, ManagerConsole, OutboxLane } from './ports';
import type { OutboxTarget } from './records';

export { backoffMs } from './backoff';

export interface OutboxClaim {
  id: number;
  caseId: string | null;
  messageId: string | null;
  target: OutboxTarget;
  channel: string;
  conversationKey: string;
  address: unknown;
  payload: unknown;
  attempts: number;
  deadlineAt: Date;
  leaseUntil: Date;
  /** Names this claim; the outcome is recorded only while the row still carries it. */
  token: string;
  /** Steps of a multi-step delivery that earlier attempts completed, and the platform ids they produced. */
  stepsDone: string[];
  externalIds: string[];
  lastError: string | null;
}

export interface Deliverers {
  channels: Map<string, ChannelAdapter>;
  console: ManagerConsole;
}

export interface DrainStats {
  sent: number;
  retried: number;
  failed: number;
}

/** What the background jobs report, for metrics. */
export interface JobObserver {
  delivery?(target: OutboxTarget, outcome: Outcome): void;
  /** A clock or an outbox row whose processing threw unexpectedly; it was recorded and set aside for a retry. */
  itemError?(job: 'sla' | 'outbox'): void;
  inFlight?(lane: string, count: number): void;
  /** An SLA alert fired, `lagMs` after the moment it was due (how late the ticker is). */
  alert?(type: string, lagMs: number): void;
}

export interface DrainerOptions {
  /** Sends one lane may have in flight; also what a lane claims at most at once. */
  maxInFlight: number;
  leaseMs: number;
  renewMs: number;
}

interface Lane {
  name: string;
  filter: OutboxLane;
  inFlight: number;
  claiming: boolean;
}

export class OutboxDrainer {
  private readonly lanes: Lane[];
  private readonly leases: LeaseKeeper;
  private readonly running = new Set<Promise<Outcome>>();
  /** Claims under way: each starts its sends once it returns. */
  private readonly claims = new Set<Promise<unknown>>();
  /** Set while the job runner runs: a finished send makes room that is filled at once, not at the next poll. */
  continuous = false;

  constructor(
    private readonly core: Core,
    private readonly deliverers: Deliverers,
    private readonly opts: DrainerOptions,
    private readonly observer: JobObserver = {},
  ) {
    const channels = [...deliverers.channels.keys()];
    const lane = (name: string, filter: OutboxLane): Lane => ({ name, filter, inFlight: 0, claiming: false });
    // Rows for a channel this instance doesn't serve still get tried, so they are reported at their deadline.
    this.lanes = [lane('console', { channels: ['console'] }), ...channels.map((c) => lane(c, { channels: [c] })), lane('other', { except: ['console', ...channels] })];
    this.leases = new LeaseKeeper(core, opts.leaseMs, opts.renewMs);
  }

  /** Claims what each lane has room for and starts sending it; resolves once claimed, not once sent. */
  async pump(): Promise<number> {
    let claimed = 0;
    for (const l of this.lanes) claimed += (await this.fill(l)).length;
    return claimed;
  }

  /** One complete pass: claims what each lane has room for, sends it, and returns once every outcome is recorded. */
  async drainOnce(): Promise<DrainStats> {
    const started: Promise<Outcome>[] = [];
    for (const l of this.lanes) started.push(...(await this.fill(l)));
    const stats: DrainStats = { sent: 0, retried: 0, failed: 0 };
    for (const o of await Promise.all(started)) {
      if (o === 'sent') stats.sent++;
      else if (o === 'retried') stats.retried++;
      else if (o === 'failed' || o === 'expired') stats.failed++;
    }
    return stats;
  }

  /** Lets the sends in flight finish (each is bounded by its deadline). */
  async stop(): Promise<void> {
    this.continuous = false;
    // A lane that was refilling as one of its sends finished starts that claim's sends only after this point.
    // Waiting for the sends in flight alone let a stopping instance (SIGTERM) exit with rows it had just claimed and
    // their sends cut off: left leased, sent again by another instance 15 s later — a repeat if the cut-off send had
    // reached the platform. No new claim starts once `continuous` is off and the job loops have stopped.
    while (this.claims.size || this.running.size) await Promise.allSettled([...this.claims, ...this.running]);
  }

  private async fill(lane: Lane): Promise<Promise<Outcome>[]> {
    const room = this.opts.maxInFlight - lane.inFlight;
    if (lane.claiming || room <= 0) return [];
    lane.claiming = true;
    const claiming = this.core.store.tx((tx) => tx.claimOutbox(this.core.clock.now(), room, this.opts.leaseMs, lane.filter));
    this.claims.add(claiming);
    try {
      const claims = await claiming;
      return claims.map((c) => this.send(lane, c));
    } finally {
      this.claims.delete(claiming);
      lane.claiming = false;
    }
  }

  private send(lane: Lane, claim: OutboxClaim): Promise<Outcome> {
    const lease = this.leases.hold(claim.token, claim.leaseUntil);
    lane.inFlight++;
    this.observer.inFlight?.(lane.name, lane.inFlight);
    const p = deliverClaim({ core: this.core, deliverers: this.deliverers, observer: this.observer }, claim, lease).finally(() => {
      this.leases.release(lease);
      this.running.delete(p);
      lane.inFlight--;
      this.observer.inFlight?.(lane.name, lane.inFlight);
      if (this.continuous)
        this.fill(lane).catch((err) => this.core.log.warn({ lane: lane.name, err: describeError(err) }, 'outbox claim failed; the next poll retries'));
    });
    this.running.add(p);
    return p;
  }
}

/** One complete pass with a drainer of its own (tests and tools; the service uses its job runner's). */
export async function drainOutbox(
  core: Core, deliverers: Deliverers, opts: { limit: number; leaseMs: number; renewMs?: number }, observer?: JobObserver,
): Promise<DrainStats> {
  return new OutboxDrainer(core, deliverers, { maxInFlight: opts.limit, leaseMs: opts.leaseMs, renewMs: opts.renewMs ?? opts.leaseMs / 3 }, observer).drainOnce();
}
