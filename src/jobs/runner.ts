// Background loops: the SLA ticker and the outbox drainer. Both are safe to run on every instance — claims use
// FOR UPDATE SKIP LOCKED — so there is no leader to elect. stop() lets the current pass and the sends in flight finish.
import type { Core } from '../core/context';
import { OutboxDrainer, type Deliverers, type DrainStats, type JobObserver } from '../core/delivery';
import { tickSla } from '../core/sla/ticker';
import { returnOffHoursCover } from '../core/commands';
import { describeError } from '../core/errors';

export interface JobOptions {
  tickMs: number;
  pollMs: number;
  /** How long a claimed outbox row stays ours unrenewed: about what a crashed sender delays its rows by. */
  leaseMs: number;
  /** How often the leases of sends in flight are renewed (default: a third of the lease). */
  renewMs?: number;
  /** Clocks per ticker pass; sends each outbox lane may have in flight. */
  batch: number;
}

export interface JobReports extends JobObserver {
  alertsFired?(count: number): void;
  claimed?(count: number): void;
}

export class JobRunner {
  private stopped = true;
  private timers = new Set<NodeJS.Timeout>();
  private running = new Set<Promise<unknown>>();
  private readonly drainer: OutboxDrainer;

  constructor(
    private readonly core: Core,
    deliverers: Deliverers,
    private readonly opts: JobOptions,
    private readonly reports: JobReports = {},
  ) {
    // A send is abandoned (its deadline) before its lease could run out even if no renewal got through.
    const leaseMs = Math.max(opts.leaseMs, core.delivery.sendTimeoutMs + 1000);
    const renewMs = opts.renewMs ?? leaseMs / 3;
    this.drainer = new OutboxDrainer(core, deliverers, { maxInFlight: opts.batch, leaseMs, renewMs }, reports);
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.drainer.continuous = true;
    this.loop('tick', this.opts.tickMs, () => this.tick());
    // Off-hours cover goes back when the dedicated manager's hours begin; a minute's precision is plenty.
    this.loop('cover', 60_000, async () => returnOffHoursCover(this.core));
    // Claims only what the lanes have room for and doesn't wait for the sends: finished sends refill their lane.
    this.loop('drain', this.opts.pollMs, async () => {
      const n = await this.drainer.pump();
      this.reports.claimed?.(n);
      return 0;
    });
  }

  /** One ticker pass; the number of alerts fired. */
  async tick(): Promise<number> {
    const n = await tickSla(this.core, this.opts.batch, this.reports);
    if (n) this.reports.alertsFired?.(n);
    return n;
  }

  /** One complete drain pass, waiting for its sends (tests and tools; start() drains continuously). */
  drainOnce(): Promise<DrainStats> {
    return this.drainer.drainOnce();
  }

  /** Wakes for each kind of loop: run a pass now instead of at the next poll (the poll stays as the fallback). */
  private readonly wakes = new Map<string, () => void>();

  /**
   * Work was queued (a commit here, or NOTIFY from another instance): drain now. A wake during a pass runs one more
   * pass right after it, so nothing queued meanwhile waits for the poll.
   */
  wakeDrainer(): void {
    this.wakes.get('drain')?.();
  }

  private loop(kind: 'tick' | 'drain' | 'cover', everyMs: number, pass: () => Promise<number>): void {
    let failures = 0;
    let busy = false;
    let again = false;
    let timer: NodeJS.Timeout | null = null;
    const schedule = (delay: number) => {
      timer = setTimeout(() => {
        this.timers.delete(timer!);
        timer = null;
        void run();
      }, delay);
      this.timers.add(timer);
    };
    const run = async () => {
      if (this.stopped) return;
      busy = true;
      again = false;
      let count = 0;
      const p = pass();
      this.running.add(p);
      try {
        count = await p;
        failures = 0;
      } catch (err) {
        failures++;
        this.core.log.error({ job: kind, failures, err: describeError(err) }, 'background pass failed');
      } finally {
        this.running.delete(p);
        busy = false;
      }
      if (this.stopped) return;
      // A full batch, or a wake while it ran, means more is waiting: go again at once. Failures (database down)
      // back off up to 30 s.
      schedule(failures ? Math.min(30_000, everyMs * 2 ** failures) : count >= this.opts.batch || again ? 0 : everyMs);
    };
    this.wakes.set(kind, () => {
      if (this.stopped || failures) return;
      if (busy) again = true;
      else if (timer) {
        clearTimeout(timer);
        this.timers.delete(timer);
        timer = null;
        void run();
      }
    });
    void run();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    await Promise.allSettled([...this.running]);
    await this.drainer.stop();
  }
}
