// SLA ticker poll cost: 100,000 running clocks due in the future, then repeated ticker passes that find nothing.
import pino from 'pino';
import { sql } from 'drizzle-orm';
import { migrate, openPostgres } from '../src/db/connect';
import { DrizzleStore } from '../src/db/store';
import { tickSla } from '../src/core/sla/ticker';
import { DEFAULT_DELIVERY } from '../src/core/effects';

function pct(values: number[], p: number) {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
}

export async function benchTicker(url: string, clocks: number) {
  const database = await openPostgres(url, { max: 2 });
  await migrate(database);
  const db = database.db;
  await db.execute(sql`INSERT INTO managers (id, name) VALUES ('00000000-0000-0000-0000-000000000001', 'M')`);
  await db.execute(sql`INSERT INTO clients (id, name, manager_id) VALUES ('00000000-0000-0000-0000-000000000002', 'C', '00000000-0000-0000-0000-000000000001')`);
  await db.execute(sql`INSERT INTO cases (id, number, client_id, status, urgency, urgency_source, channel, conversation_key, address, opened_at, updated_at)
    SELECT gen_random_uuid(), nextval('case_number_seq'), '00000000-0000-0000-0000-000000000002', 'open', 'medium', 'default', 'inapp', 'inapp:bench-' || g, '{}'::jsonb, now(), now()
    FROM generate_series(1, ${clocks}) g`);
  await db.execute(sql`INSERT INTO sla_clocks (id, case_id, kind, urgency, hours, target_minutes, started_at, due_at, state, warn_at, next_fire_at)
    SELECT gen_random_uuid(), id, 'response', 'medium', 'business', 60, now(), now() + interval '1 day', 'running', '[0.5,0.8]'::jsonb,
      now() + interval '1 hour' + (random() * interval '20 hours')
    FROM cases`);
  await db.execute(sql`ANALYZE`);
  const core = { store: new DrizzleStore(db, 'postgres'), clock: { now: () => new Date() }, log: pino({ level: 'warn' }), delivery: DEFAULT_DELIVERY };
  const polls = 500;
  const query: number[] = [];
  const pass: number[] = [];
  for (let i = 0; i < polls + 50; i++) {
    let t = performance.now();
    await core.store.tx((tx) => tx.dueClocks(new Date(), 200));
    const q = performance.now() - t;
    t = performance.now();
    const fired = await tickSla(core);
    const p = performance.now() - t;
    if (fired) throw new Error('a clock fired: the benchmark expects none due');
    if (i >= 50) {
      query.push(q);
      pass.push(p);
    }
  }
  await database.close();
  return { clocks, polls, queryP50: pct(query, 50), queryP99: pct(query, 99), passP50: pct(pass, 50), passP99: pct(pass, 99) };
}
