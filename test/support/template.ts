import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';

/**
 * One id per test run, set by global setup (workers inherit its environment), so parallel runs on one machine —
 * several developers' suites against the same PostgreSQL — never share or drop each other's databases.
 */
export function runId(): string {
  if (!process.env.SB_TEST_RUN) process.env.SB_TEST_RUN = String(process.pid);
  return process.env.SB_TEST_RUN;
}

export const templateDb = () => `sb_tpl_${runId()}`;
/** Databases of one run are named sb_test_<run>_…; the run id is the pid of the jest process that owns them. */
export const testDbPrefix = () => `sb_test_${runId()}_`;

export function templateDir(): string {
  if (!process.env.SB_TEST_TEMPLATE) process.env.SB_TEST_TEMPLATE = path.join(os.tmpdir(), `switchboard-test-template-${runId()}`);
  return process.env.SB_TEST_TEMPLATE;
}

export async function withDatabase<T>(url: string, fn: (c: Client) => Promise<T>): Promise<T> {
  const c = new Client({ connectionString: url });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

/** Databases left by runs whose process is gone (a killed run never tears down). */
export async function dropOrphans(admin: Client): Promise<void> {
  const { rows } = await admin.query(`SELECT datname FROM pg_database WHERE datname ~ '^sb_(test|tpl)_[0-9]+'`);
  for (const r of rows as { datname: string }[]) {
    const pid = Number(/^sb_(?:test|tpl)_(\d+)/.exec(r.datname)![1]);
    let alive = true;
    try {
      process.kill(pid, 0);
    } catch (err) {
      alive = (err as NodeJS.ErrnoException).code === 'EPERM';
    }
    if (!alive) await admin.query(`DROP DATABASE IF EXISTS "${r.datname}" WITH (FORCE)`).catch(() => undefined);
  }
}
