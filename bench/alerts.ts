// SLA alerts at scale: 100,000 open cases with running response clocks, 1,000 of which come due within the same
// minute. The real service (ticker every second, everything else running) in a child process on PostgreSQL: how late
// after its due time does each breach fire, and how much memory does the instance hold meanwhile.
import { sql } from 'drizzle-orm';
import { migrate, openPostgres } from '../src/db/connect';
import { dropDatabase, freshDatabase, pct, rssOf, sleep, startServer, stopServer } from './lib';

export async function benchAlerts(open = 100_000, due = 1_000) {
  const url = await freshDatabase('sb_bench_alerts');
  const database = await openPostgres(url, { max: 2 });
  await migrate(database);
  const db = database.db;
  await db.execute(sql`INSERT INTO managers (id, name) VALUES ('00000000-0000-0000-0000-000000000001', 'M')`);
  await db.execute(sql`INSERT INTO clients (id, name, tier, manager_id) VALUES ('00000000-0000-0000-0000-000000000002', 'C', 'premium', '00000000-0000-0000-0000-000000000001')`);
  await db.execute(sql`INSERT INTO cases (id, number, client_id, status, urgency, urgency_source, channel, conversation_key, address, opened_at, updated_at, manager_id)
    SELECT gen_random_uuid(), nextval('case_number_seq'), '00000000-0000-0000-0000-000000000002', 'open', 'critical', 'default', 'inapp', 'inapp:bench-' || g,
      jsonb_build_object('accountId', 'bench-' || g), now(), now(), '00000000-0000-0000-0000-000000000001'
    FROM generate_series(1, ${open}) g`);
  // Everything due in a day, except `due` clocks spread over one minute starting 20 s from now (a breach each: no
  // warnings, so each clock fires exactly once at its due time).
  await db.execute(sql`INSERT INTO sla_clocks (id, case_id, kind, urgency, hours, target_minutes, started_at, due_at, state, warn_at, next_fire_at)
    SELECT gen_random_uuid(), id, 'response', 'critical', '24x7', 15, now(), d, 'running', '[]'::jsonb, d
    FROM (SELECT id, CASE WHEN row_number() OVER () <= ${due}
                         THEN now() + interval '20 seconds' + (random() * interval '60 seconds')
                         ELSE now() + interval '1 day' + (random() * interval '1 hour') END AS d FROM cases) c`);
  await db.execute(sql`ANALYZE`);
  const child = await startServer('server-live.ts', { BENCH_DB_URL: url, PORT: '38421', BENCH_TICK_MS: '1000' });
  let fired = 0;
  const rss: number[] = [];
  try {
    for (const until = Date.now() + 150_000; Date.now() < until; await sleep(2000)) {
      rss.push(await rssOf(child));
      const res = (await db.execute(sql`SELECT count(*)::int AS n FROM clock_events WHERE type = 'breached'`)) as unknown as { rows: { n: number }[] };
      fired = res.rows[0].n;
      if (fired >= due) break;
    }
    rss.push(await rssOf(child));
  } finally {
    await stopServer(child);
  }
  const lags = ((await db.execute(sql`SELECT extract(epoch FROM e.at - k.due_at) * 1000 AS ms FROM clock_events e JOIN sla_clocks k ON k.id = e.clock_id WHERE e.type = 'breached'`)) as unknown as { rows: { ms: number }[] }).rows.map((r) => Number(r.ms));
  await database.close();
  await dropDatabase('sb_bench_alerts');
  return { open, due, fired, lagP50: pct(lags, 50), lagP99: pct(lags, 99), lagMax: Math.max(...lags), rssMaxMb: Math.max(...rss) / 1e6 };
}
