import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';

export const TEMPLATE_DB = 'sb_test_template';

/** Set by global setup (workers inherit its environment), so parallel runs on one machine never share a template. */
export function templateDir(): string {
  if (!process.env.SB_TEST_TEMPLATE) process.env.SB_TEST_TEMPLATE = path.join(os.tmpdir(), `switchboard-test-template-${process.pid}`);
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
