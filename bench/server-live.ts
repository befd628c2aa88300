// The real service with its background work running (ticker, drainer woken by commits, LISTEN), on PostgreSQL, in its
// own process: for the latency and SLA-alert benchmarks. It reports ready over IPC and answers 'rss' with its
// resident memory. Channels and the Slack console come from BENCH_CHANNEL_ENV, as in main.ts.
import pino from 'pino';
import { migrate, openPostgres } from '../src/db/connect';
import { createService } from '../src/services';

async function main() {
  const database = await openPostgres(process.env.BENCH_DB_URL!, { max: 10 });
  await migrate(database);
  const env = JSON.parse(process.env.BENCH_CHANNEL_ENV ?? '{}') as Record<string, string>;
  const slack = env.SLACK_BOT_TOKEN ? { botToken: env.SLACK_BOT_TOKEN, signingSecret: env.SLACK_SIGNING_SECRET, apiUrl: env.SLACK_API_URL } : undefined;
  const svc = await createService({
    database, log: pino({ level: 'warn' }), adminToken: 'bench-admin-token-0123456789', channelEnv: env, slack,
    jobs: { tickMs: Number(process.env.BENCH_TICK_MS ?? 1000), pollMs: Number(process.env.BENCH_POLL_MS ?? 500) },
  });
  await svc.app.listen({ port: Number(process.env.PORT), host: '127.0.0.1' });
  await svc.startChannels();
  await svc.startBackground();
  process.on('message', (m) => {
    if (m === 'rss') process.send?.({ rss: process.memoryUsage().rss });
  });
  process.send?.('ready');
  process.on('SIGTERM', async () => {
    await svc.app.close();
    await svc.stopBackground();
    await svc.closeChannels();
    await database.close();
    process.exit(0);
  });
}
main().catch((e) => {
  console.error(e);
  process.exit(1);
});
