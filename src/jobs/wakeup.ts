// Waking the outbox drainers when work is queued. This instance's drainer is woken in process at once. Other
// instances are told through NOTIFY — sent after the commit, and at most once per interval: a NOTIFY inside every
// ingest transaction would serialise their commits (PostgreSQL takes a cluster-wide lock to queue notifications),
// which halved ingest throughput when tried.
export class Wakeup {
  private last = 0;
  private trailing: NodeJS.Timeout | null = null;

  constructor(
    private readonly local: () => void,
    private readonly notify: () => Promise<void>,
    private readonly onError: (err: unknown) => void,
    private readonly intervalMs = 100,
  ) {}

  /** Work was committed: wake here now, and the others within an interval. */
  queued(): void {
    this.local();
    const now = Date.now();
    if (now - this.last >= this.intervalMs && !this.trailing) this.send(now);
    else if (!this.trailing)
      this.trailing = setTimeout(() => {
        this.trailing = null;
        this.send(Date.now());
      }, this.intervalMs - (now - this.last));
    // A pending notice never keeps a stopping process alive; the others' polls cover it.
    this.trailing?.unref();
  }

  stop(): void {
    if (this.trailing) clearTimeout(this.trailing);
    this.trailing = null;
  }

  private send(now: number): void {
    this.last = now;
    this.notify().catch(this.onError);
  }
}
