import fs from 'node:fs';
import { templateDb, templateDir, testDbPrefix, withDatabase } from './template';

export default async function globalTeardown() {
  if (process.env.DATABASE_URL) {
    await withDatabase(process.env.DATABASE_URL, async (admin) => {
      const { rows } = await admin.query(`SELECT datname FROM pg_database WHERE starts_with(datname, $1) OR datname = $2`, [testDbPrefix(), templateDb()]);
      for (const r of rows) await admin.query(`DROP DATABASE IF EXISTS "${r.datname}" WITH (FORCE)`).catch(() => undefined);
    });
    return;
  }
  fs.rmSync(templateDir(), { recursive: true, force: true });
}
