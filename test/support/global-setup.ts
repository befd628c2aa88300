// Builds one migrated database template per test run; every test file then starts from a copy of it, which is far
// cheaper than running initdb + migrations per file (PGlite's first open is ~6 s and ~800 MB).
import fs from 'node:fs';
import path from 'node:path';
import { migrate, openPglite, openPostgres } from '../../src/db/connect';
import { dropOrphans, templateDb, templateDir, withDatabase } from './template';

export default async function globalSetup() {
  if (process.env.DATABASE_URL) {
    const name = templateDb();
    await withDatabase(process.env.DATABASE_URL, async (admin) => {
      await dropOrphans(admin);
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.query(`CREATE DATABASE ${name}`);
    });
    const url = new URL(process.env.DATABASE_URL);
    url.pathname = `/${name}`;
    const db = await openPostgres(url.toString(), { max: 1 });
    await migrate(db);
    await db.close();
    return;
  }
  const dir = templateDir();
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(path.dirname(dir), { recursive: true });
  const db = await openPglite(dir);
  await migrate(db);
  await db.close();
}
