// A fresh database per test file: a copy of the migrated template, on PGlite or (with DATABASE_URL) PostgreSQL.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openPglite, openPostgres, type Database } from '../../src/db/connect';
import { templateDb, templateDir, testDbPrefix, withDatabase } from './template';

export const usingPostgres = !!process.env.DATABASE_URL;

export interface TestDatabase extends Database {
  /** Another connection pool onto the same database (a second instance); PGlite shares its one connection. */
  second(): Promise<Database>;
  url: string | null;
}

export async function openTestDatabase(): Promise<TestDatabase> {
  if (usingPostgres) {
    const name = `${testDbPrefix()}${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
    await withDatabase(process.env.DATABASE_URL!, (c) => c.query(`CREATE DATABASE ${name} TEMPLATE ${templateDb()}`));
    const url = new URL(process.env.DATABASE_URL!);
    url.pathname = `/${name}`;
    const db = await openPostgres(url.toString());
    const extra: Database[] = [];
    return {
      ...db,
      url: url.toString(),
      second: async () => {
        const d = await openPostgres(url.toString());
        extra.push(d);
        return d;
      },
      close: async () => {
        await Promise.all(extra.map((d) => d.close()));
        await db.close();
        await withDatabase(process.env.DATABASE_URL!, (c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)).catch(() => undefined);
      },
    };
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sb-test-db-'));
  fs.cpSync(templateDir(), dir, { recursive: true });
  fs.rmSync(path.join(dir, '.switchboard.lock'), { recursive: true, force: true });
  const db = await openPglite(dir);
  return {
    ...db,
    url: null,
    second: async () => ({ ...db, close: async () => undefined }),
    close: async () => {
      await db.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
