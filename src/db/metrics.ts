// Gauges read from the database when Prometheus scrapes: the outbox backlog and its oldest row (what is stuck), and
// the SLA timers still pending. Both queries stay on partial indexes, so a scrape costs milliseconds at any size.
import { sql } from 'drizzle-orm';
import { Gauge } from 'prom-client';
import type { Metrics } from '../http/metrics';
import type { Db } from './connect';

const rowsOf = <T>(r: unknown) => (r as { rows: T[] }).rows;

export function registerDatabaseGauges(metrics: Metrics, db: Db): void {
  const registers = [metrics.registry];
  const clocks = new Gauge({
    name: 'switchboard_sla_pending_timers', help: 'SLA clocks with something still to fire (warnings, breaches, ETAs, milestones), by kind', labelNames: ['kind'], registers,
    async collect() {
      const rows = rowsOf<{ kind: string; n: string }>(await db.execute(sql`SELECT kind, count(*) AS n FROM sla_clocks WHERE next_fire_at IS NOT NULL GROUP BY kind`));
      clocks.reset();
      for (const r of rows) clocks.set({ kind: r.kind }, Number(r.n));
    },
  });
  // One query fills both outbox gauges; prom-client collects each gauge separately, so the second reuses the first.
  let pending: Promise<{ target: string; n: string; age: string | null }[]> | null = null;
  const read = () =>
    (pending ??= db
      .execute(sql`SELECT target, count(*) AS n, extract(epoch FROM now() - min(created_at)) AS age FROM outbox WHERE status IN ('pending', 'sending') GROUP BY target`)
      .then((r) => rowsOf<{ target: string; n: string; age: string | null }>(r))
      .finally(() => setTimeout(() => (pending = null), 0)));
  const byTarget = (g: Gauge, value: (r: { n: string; age: string | null }) => number) => async () => {
    g.reset();
    for (const t of ['client', 'console']) g.set({ target: t }, 0);
    for (const r of await read()) g.set({ target: r.target }, value(r));
  };
  const backlog: Gauge = new Gauge({
    name: 'switchboard_outbox_pending', help: 'Outbox rows waiting or being sent, by target', labelNames: ['target'], registers,
    collect: () => byTarget(backlog, (r) => Number(r.n))(),
  });
  const oldest: Gauge = new Gauge({
    name: 'switchboard_outbox_oldest_pending_seconds', help: 'Age of the oldest outbox row not yet sent, by target', labelNames: ['target'], registers,
    collect: () => byTarget(oldest, (r) => Math.max(0, Number(r.age ?? 0)))(),
  });
}
