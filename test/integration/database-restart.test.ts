// A PostgreSQL restart reaches connections the pool has handed out, between two queries of a transaction: the
// server's FATAL then arrives with no query to fail, as an 'error' event on the connection. Found by `npm run chaos`
// (chaos/postgres-restart-503-and-recovery.chaos.ts): with no listener that event killed the process; now the
// transaction fails with an error the HTTP layer answers 503, and the pool carries on with fresh connections.
import { sql } from 'drizzle-orm';
import { isDatabaseUnavailable } from '../../src/http/errors';
import { openTestDatabase, usingPostgres } from '../support/db';

test('a transaction whose connection was dropped reads as "database unavailable" (503), also from its failed rollback', () => {
  const dropped = new Error('Client has encountered a connection error and is not queryable');
  expect(isDatabaseUnavailable(dropped)).toBe(true);
  // drizzle wraps it, and its own message carries the query's parameters: only the cause is matched.
  expect(isDatabaseUnavailable(Object.assign(new Error('Failed query: rollback\nparams: '), { cause: dropped }))).toBe(true);
  expect(isDatabaseUnavailable(new Error('Failed query: select 1\nparams: is not queryable'))).toBe(false);
});

(usingPostgres ? test : test.skip)('PostgreSQL: a connection terminated mid-transaction fails that transaction without crashing the process', async () => {
  const db = await openTestDatabase();
  const admin = await db.second();
  try {
    const outcome = await db.db
      .transaction(async (tx) => {
        const [{ pid }] = ((await tx.execute(sql`SELECT pg_backend_pid() AS pid`)) as unknown as { rows: { pid: number }[] }).rows;
        // What a server shutdown sends every backend (57P01), while this transaction sits between two queries.
        await admin.db.execute(sql`SELECT pg_terminate_backend(${pid})`);
        await new Promise((r) => setTimeout(r, 300));
        await tx.execute(sql`SELECT 1`);
      })
      .then(() => null, (err: unknown) => err);
    expect(outcome).not.toBeNull();
    expect(isDatabaseUnavailable(outcome)).toBe(true);
    // The broken connection was discarded on release: the next queries get working ones.
    for (let i = 0; i < 12; i++) await db.ping();
  } finally {
    await db.close();
  }
});
