// Background loops: the SLA ticker and the outbox drainer. Both are safe to run on every instance — claims use
// FOR UPDATE SKIP LOCKED — so there is no leader to elect. stop() lets the current pass finish.
import type { Core } from '../core/context';
import { drainOutbox, type Deliverers } from '../core/delivery';
import { tickSla } from '../core/sla/ticker';
import { returnOffHoursCover } from '../core/commands';
import { describeError } from '../core/errors';

export interface JobOptions {
  tickMs: number;
  pollMs: number;
  leaseMs: number;
  batch: number;
}

export class JobRunner {
  private stopped = true;
  private timers = new Set<NodeJS.Timeout>();
  private running = new Set<Promise<unknown>>();

  constructor(
    private readonly core: Core,
    private readonly deliverers: Deliverers,
    private readonly opts: JobOptions,
    private readonly onPass?: (kind: 'tick' | 'drain' | 'cover', count: number) => void,
  ) {}

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.loop('tick', this.opts.tickMs, async () => tickSla(this.core, this.opts.batch));
    // Off-hours cover goes back when the dedicated manager's hours begin; a minute's precision is plenty.
    this.loop('cover', 60_000, async () => returnOffHoursCover(this.core));
    this.loop('drain', this.opts.pollMs, async () => {
      const s = await drainOutbox(this.core, this.deliverers, { limit: this.opts.batch, leaseMs: this.opts.leaseMs });
      return s.sent + s.retried + s.failed;
    });
  }

  private loop(kind: 'tick' | 'drain' | 'cover', everyMs: number, pass: () => Promise<number>): void {
    let failures = 0;
    const run = async () => {
      if (this.stopped) return;
      let count = 0;
      const p = pass();
      this.running.add(p);
      try {
        count = await p;
        failures = 0;
        this.onPass?.(kind, count);
      } catch (err) {
        failures++;
        this.core.log.error({ job: kind, failures, err: describeError(err) }, 'background pass failed');
      } finally {
        this.running.delete(p);
      }
      if (this.stopped) return;
      // A full batch means more is waiting: go again at once. Failures (database down) back off up to 30 s.
      const delay = failures ? Math.min(30_000, everyMs * 2 ** failures) : count >= this.opts.batch ? 0 : everyMs;
      const t = setTimeout(() => {
        this.timers.delete(t);
        void run();
      }, delay);
      this.timers.add(t);
    };
    void run();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    await Promise.allSettled([...this.running]);
  }
}
