// Composition root: config → database → migrations → service → listen → jobs; graceful shutdown on signals.
import path from 'node:path';
import pino from 'pino';
import { ConfigError, loadConfig } from './config';
import { migrate, openPglite, openPostgres, type Database } from './db/connect';
import { DataDirLockedError } from './db/dir-lock';
import { createService } from './services';
import { resolveAdminToken } from './admin-token';

async function main() {
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      process.exit(2);
    }
    throw err;
  }
  const log = pino({ level: config.LOG_LEVEL, redact: ['*.secret', '*.token', '*.password', 'headers.authorization'] });
  const dataDir = path.resolve(config.DATA_DIR);

  let database: Database;
  try {
    database = config.DATABASE_URL ? await openPostgres(config.DATABASE_URL, { max: config.DB_POOL_MAX }) : await openPglite(dataDir, { warn: (msg) => console.warn(`warning: ${msg}`) });
  } catch (err) {
    if (err instanceof DataDirLockedError) {
      console.error(err.message);
      process.exit(3);
    }
    throw err;
  }
  await migrate(database);

  const admin = await resolveAdminToken(config.ADMIN_TOKEN, dataDir, database);
  const svc = await createService({
    database,
    log,
    adminTokenSha256: admin.sha256,
    bodyLimit: config.BODY_LIMIT_BYTES,
    channelEnv: config.channelEnv,
    publicUrl: config.PUBLIC_URL,
    delivery: {
      clientDeadlineMs: config.OUTBOX_DEADLINE_MINUTES * 60_000, retryBaseMs: config.OUTBOX_RETRY_BASE_MS,
      // A console notice makes several calls; each step that completes is kept, so its budget is a few calls' worth.
      sendTimeoutMs: config.OUTBOX_SEND_TIMEOUT_MS, consoleTimeoutMs: 2 * config.OUTBOX_SEND_TIMEOUT_MS,
    },
    jobs: { tickMs: config.SLA_TICK_MS, pollMs: config.OUTBOX_POLL_MS },
    slack: config.SLACK_BOT_TOKEN && config.SLACK_SIGNING_SECRET
      ? { botToken: config.SLACK_BOT_TOKEN, signingSecret: config.SLACK_SIGNING_SECRET, apiUrl: config.SLACK_API_URL, leadChannel: config.SLACK_LEAD_CHANNEL }
      : undefined,
  });
  const address = await svc.app.listen({ port: config.PORT, host: config.HOST });
  // Webhook registrations and the like: a channel that can't set itself up stops start-up, naming why.
  await svc.startChannels();
  await svc.startBackground();

  const url = config.PUBLIC_URL ?? address.replace('0.0.0.0', 'localhost').replace('[::]', 'localhost');
  console.log(`Switchboard is running at ${url}`);
  console.log(`  database: ${database.kind === 'pglite' ? `embedded PGlite in ${dataDir} (for trying out and single small machines)` : 'PostgreSQL'}`);
  if (svc.channelInstances.length) {
    console.log('  client channels:');
    for (const c of svc.channelInstances) console.log(`    ${c.instance.describe?.() ?? c.name}`);
  } else console.log('  client channels: none (set INAPP_SECRET for the in-app channel; README lists every channel\'s settings)');
  console.log(`  manager console: ${config.channels.includes('slack') ? 'Slack' : 'admin API and log (set SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET for Slack)'}`);
  // Printed once, when generated; afterwards only where it is kept (tokens don't belong in every start-up log).
  if (admin.banner) console.log(`  ${admin.banner}`);

  let closing = false;
  const shutdown = async (signal: string) => {
    if (closing) return;
    closing = true;
    log.info({ signal }, 'shutting down');
    const force = setTimeout(() => process.exit(1), 25_000);
    force.unref();
    // Webhooks stop first (platforms redeliver what we don't answer), then background work finishes or lets go.
    await svc.app.close();
    await svc.stopBackground();
    await svc.closeChannels();
    await database.close();
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
