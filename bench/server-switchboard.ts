// The real service on PostgreSQL for the ingest benchmark, in its own process (the load generator must not share
// its CPU). Background jobs are off: the number measured is webhook ingest, as in the baseline.
import pino from 'pino';
import { randomUUID } from 'node:crypto';
import { migrate, openPostgres } from '../src/db/connect';
import * as s from '../src/db/schema';
import { createService } from '../src/services';

async function main() {
  const database = await openPostgres(process.env.BENCH_DB_URL!, { max: 10 });
  await migrate(database);
  const managerId = randomUUID();
  await database.db.insert(s.managers).values({ id: managerId, name: 'Bench Manager' });
  const accounts = Number(process.env.BENCH_ACCOUNTS ?? 200);
  await database.db.insert(s.clients).values(
    Array.from({ length: accounts }, (_, i) => ({ id: randomUUID(), name: `Bench ${i}`, tier: i % 3 ? 'standard' : 'premium', managerId, inappAccountId: `bench-${i}` })),
  );
  const svc = await createService({
    database, log: pino({ level: 'warn' }), adminToken: 'bench-admin-token-0123456789', channelEnv: { INAPP_SECRET: process.env.BENCH_SECRET! },
  });
  await svc.app.listen({ port: Number(process.env.PORT), host: '127.0.0.1' });
  process.send?.('ready');
  process.on('SIGTERM', async () => {
    await svc.app.close();
    await database.close();
    process.exit(0);
  });
}
main().catch((e) => {
  console.error(e);
  process.exit(1);
});
