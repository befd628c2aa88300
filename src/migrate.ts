// Applies the SQL migrations and exits (the release command in fly.toml). The service also migrates on start.
import path from 'node:path';
import { migrate, openPglite, openPostgres } from './db/connect';

async function run() {
  const url = process.env.DATABASE_URL;
  const db = url ? await openPostgres(url) : await openPglite(path.resolve(process.env.DATA_DIR ?? './data'));
  await migrate(db);
  await db.close();
  console.log(`migrations applied (${db.kind})`);
}

run().catch((err) => {
  console.error(err);
  process.exit(1);
});
