// The real service on PostgreSQL for the ingest benchmark, in its own process (the load generator must not share
// its CPU). Background jobs are off: the number measured is webhook ingest, as in the baseline. BENCH_CHANNEL_ENV
// enables the channel under test; BENCH_LINKS ties each bench account to its client on that channel.
import pino from 'pino';
import { randomUUID } from 'node:crypto';
import { migrate, openPostgres } from '../src/db/connect';
import * as s from '../src/db/schema';
import { createService } from '../src/services';

type Link = { inappAccountId: string } | { channel: string; key: string };

async function main() {
  const database = await openPostgres(process.env.BENCH_DB_URL!, { max: 10 });
  await migrate(database);
  const managerId = randomUUID();
  await database.db.insert(s.managers).values({ id: managerId, name: 'Bench Manager' });
  const links = JSON.parse(process.env.BENCH_LINKS ?? '[]') as Link[];
  const clients = links.map((l, i) => ({
    id: randomUUID(), name: `Bench ${i}`, tier: i % 3 ? 'standard' : 'premium', managerId, inappAccountId: 'inappAccountId' in l ? l.inappAccountId : null,
  }));
  if (clients.length) await database.db.insert(s.clients).values(clients);
  const channelLinks = links.flatMap((l, i) => ('channel' in l ? [{ channel: l.channel, key: l.key, clientId: clients[i].id }] : []));
  if (channelLinks.length) await database.db.insert(s.clientLinks).values(channelLinks);
  const channelEnv = JSON.parse(process.env.BENCH_CHANNEL_ENV ?? '{}') as Record<string, string>;
  // Slack Connect rides on the manager console: SLACK_* configure both, as in main.ts.
  const slack = channelEnv.SLACK_BOT_TOKEN
    ? { botToken: channelEnv.SLACK_BOT_TOKEN, signingSecret: channelEnv.SLACK_SIGNING_SECRET, apiUrl: channelEnv.SLACK_API_URL }
    : undefined;
  const svc = await createService({
    database, log: pino({ level: 'warn' }), adminToken: 'bench-admin-token-0123456789', channelEnv, publicUrl: channelEnv.PUBLIC_URL, slack,
  });
  await svc.app.listen({ port: Number(process.env.PORT), host: '127.0.0.1' });
  await svc.startChannels();
  process.send?.('ready');
  process.on('SIGTERM', async () => {
    await svc.app.close();
    await svc.closeChannels();
    await database.close();
    process.exit(0);
  });
}
main().catch((e) => {
  console.error(e);
  process.exit(1);
});
