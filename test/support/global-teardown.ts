import fs from 'node:fs';
import { TEMPLATE_DB, templateDir, withDatabase } from './template';

export default async function globalTeardown() {
  if (process.env.DATABASE_URL) {
    await withDatabase(process.env.DATABASE_URL, async (admin) => {
      const { rows } = await admin.query(`SELECT datname FROM pg_database WHERE datname LIKE 'sb_test_%' OR datname = '${TEMPLATE_DB}'`);
      for (const r of rows) await admin.query(`DROP DATABASE IF EXISTS ${r.datname} WITH (FORCE)`).catch(() => undefined);
    });
    return;
  }
  fs.rmSync(templateDir(), { recursive: true, force: true });
}
