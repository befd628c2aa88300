// Driver choice: PostgreSQL through DATABASE_URL, otherwise embedded PGlite in DATA_DIR. Both get the same
// drizzle schema and the same SQL migrations.
import fs from 'node:fs';
import path from 'node:path';
import type { PgDatabase } from 'drizzle-orm/pg-core';
import { sql } from 'drizzle-orm';
import * as schema from './schema';
import { lockDataDir, type DirLock } from './dir-lock';

export type Db = PgDatabase<any, typeof schema>;

export interface Database {
  db: Db;
  kind: 'postgres' | 'pglite';
  /** Cheap round trip for /readyz. */
  ping(): Promise<void>;
  /** Sends a NOTIFY on `channel` (nothing on the embedded database: one process serves it). */
  notify(channel: string): Promise<void>;
  /** Calls `fn` on every NOTIFY on `channel`, from any instance, until closed; reconnects by itself. */
  listen(channel: string, fn: () => void, log?: (err: unknown) => void): Promise<{ close(): Promise<void> }>;
  close(): Promise<void>;
}

/** migrations/ at the project root: two levels up from src/db when run with tsx, three from dist/src/db when built. */
export const MIGRATIONS_DIR =
  [path.resolve(__dirname, '../../migrations'), path.resolve(__dirname, '../../../migrations')].find((d) =>
    fs.existsSync(path.join(d, 'meta', '_journal.json')),
  ) ?? path.resolve(__dirname, '../../migrations');

export async function openPostgres(url: string, opts: { max?: number } = {}): Promise<Database> {
  const { Pool } = await import('pg');
  const { drizzle } = await import('drizzle-orm/node-postgres');
  const pool = new Pool({ connectionString: url, max: opts.max ?? 10, connectionTimeoutMillis: 5000 });
  // An idle client losing its server must not crash the process; the next query reports it instead.
  pool.on('error', () => {});
  // The same for a client checked out between two queries (inside a transaction, an ingest session): pg-pool listens
  // only on idle clients, so a server restart (57P01 "terminating connection due to administrator command") reaching
  // one then was an unhandled 'error' event that killed the process. The client is broken either way: its next query
  // fails (a 503 for a webhook), and the pool discards it when it is released.
  pool.on('connect', (client) => client.on('error', () => {}));
  const db = drizzle(pool, { schema }) as unknown as Db;
  return {
    db,
    kind: 'postgres',
    ping: async () => void (await pool.query('SELECT 1')),
    notify: async (channel) => void (await pool.query('SELECT pg_notify($1, $2)', [channel, ''])),
    listen: (channel, fn, log) => listenPostgres(url, channel, fn, log),
    close: once(() => pool.end()),
  };
}

/**
 * LISTEN needs a connection of its own for as long as it listens (a pooled one would be handed to others). A lost
 * connection is reopened with backoff; notifications sent meanwhile are missed, which the callers' polls cover.
 */
async function listenPostgres(url: string, channel: string, fn: () => void, log?: (err: unknown) => void) {
  const { Client } = await import('pg');
  let client: InstanceType<typeof Client> | null = null;
  let closed = false;
  let retry: NodeJS.Timeout | null = null;
  const connect = async (attempt: number) => {
    if (closed) return;
    const c = new Client({ connectionString: url, connectionTimeoutMillis: 5000 });
    c.on('error', (err) => log?.(err));
    c.on('notification', () => fn());
    c.on('end', () => {
      // Only a connection that was listening reconnects here; a failed attempt is retried below.
      if (client !== c) return;
      client = null;
      if (!closed) retry = setTimeout(() => void connect(1), 1000);
    });
    try {
      await c.connect();
      await c.query(`LISTEN ${channel}`);
      client = c;
      // Anything queued while we weren't listening is picked up now rather than at the next poll.
      fn();
    } catch (err) {
      log?.(err);
      await c.end().catch(() => undefined);
      if (!closed) retry = setTimeout(() => void connect(attempt + 1), Math.min(30_000, 500 * 2 ** attempt));
    }
  };
  await connect(0);
  return {
    close: async () => {
      closed = true;
      if (retry) clearTimeout(retry);
      await client?.end().catch(() => undefined);
    },
  };
}

/**
 * The embedded database's files hold every client conversation, and PGlite creates them readable by everyone
 * (0666): the directory itself is what keeps other local users out, so it is made private, and an existing one
 * that isn't is tightened (with a warning, since someone may have relied on reading it).
 */
export function securePrivateDir(dir: string, warn: (msg: string) => void = () => undefined): void {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const mode = fs.statSync(dir).mode & 0o777;
  if (mode & 0o077) {
    fs.chmodSync(dir, 0o700);
    warn(`${dir} was readable by other users (mode ${mode.toString(8)}); it now is not (700)`);
  }
}

/** `dataDir` null = in memory (tests that need no persistence). */
export async function openPglite(dataDir: string | null, opts: { warn?: (msg: string) => void } = {}): Promise<Database> {
  const { PGlite } = await import('@electric-sql/pglite');
  const { drizzle } = await import('drizzle-orm/pglite');
  let lock: DirLock | null = null;
  if (dataDir) {
    securePrivateDir(dataDir, opts.warn);
    // PGlite has no lock of its own and two processes on one dir silently lose writes.
    lock = await lockDataDir(dataDir);
  }
  try {
    const pgDir = dataDir ? path.join(dataDir, 'pg') : null;
    // initdb grows PGlite's WebAssembly memory to ~1 GB, and that memory is never given back: on a first run the
    // fresh data dir is created, closed and opened again (about a second), so the instance idles at half that.
    if (pgDir && !fs.existsSync(path.join(pgDir, 'PG_VERSION'))) await (await PGlite.create(pgDir)).close();
    const client = pgDir ? await PGlite.create(pgDir) : await PGlite.create();
    const db = drizzle(client, { schema }) as unknown as Db;
    return {
      db,
      kind: 'pglite',
      ping: async () => void (await client.query('SELECT 1')),
      // One process serves an embedded database, and the store already wakes it in process.
      notify: async () => undefined,
      listen: async () => ({ close: async () => undefined }),
      close: once(async () => {
        await client.close();
        await lock?.release();
      }),
    };
  } catch (err) {
    await lock?.release();
    throw err;
  }
}

/** Closing twice (a shutdown racing a failure path) closes once. */
function once(fn: () => Promise<void>): () => Promise<void> {
  let p: Promise<void> | null = null;
  return () => (p ??= fn());
}

export async function migrate(database: Database): Promise<void> {
  if (database.kind === 'pglite') {
    const { migrate: run } = await import('drizzle-orm/pglite/migrator');
    await run(database.db as never, { migrationsFolder: MIGRATIONS_DIR });
    return;
  }
  const { migrate: run } = await import('drizzle-orm/node-postgres/migrator');
  // Several instances may start together; one migrates while the others wait on the advisory lock.
  await database.db.transaction(async (tx) => {
    await tx.execute(sql`SELECT pg_advisory_xact_lock(727400101)`);
    await run(tx as never, { migrationsFolder: MIGRATIONS_DIR });
  });
}
