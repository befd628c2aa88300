// Shared by the benchmark scripts: scratch databases on the benchmark's PostgreSQL, child servers, percentiles.
import { fork, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { Client } from 'pg';

export const BASE_URL = process.env.BENCH_DATABASE_URL ?? process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

export async function freshDatabase(name: string): Promise<string> {
  const c = new Client({ connectionString: BASE_URL });
  await c.connect();
  await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await c.query(`CREATE DATABASE ${name}`);
  await c.end();
  const u = new URL(BASE_URL);
  u.pathname = `/${name}`;
  return u.toString();
}

export async function dropDatabase(name: string) {
  const c = new Client({ connectionString: BASE_URL });
  await c.connect();
  await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await c.end();
}

/** BENCH_SERVER_NODE_ARGS adds node flags to the servers under test, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof". */
const serverNodeArgs = () => (process.env.BENCH_SERVER_NODE_ARGS ?? '').split(/\s+/).filter(Boolean);

export function startServer(file: string, env: Record<string, string>): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const child = fork(path.join(__dirname, file), [], { env: { ...process.env, ...env }, execArgv: ['--import', 'tsx', ...serverNodeArgs()], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    child.once('message', () => resolve(child));
    child.once('exit', (code) => reject(new Error(`${file} exited with ${code}`)));
  });
}

export async function stopServer(child: ChildProcess) {
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await exited;
}

/** The child's resident memory, as it reports it. */
export function rssOf(child: ChildProcess): Promise<number> {
  return new Promise((resolve) => {
    child.once('message', (m) => resolve((m as { rss: number }).rss));
    child.send('rss');
  });
}

export function pct(values: number[], p: number): number {
  if (!values.length) return NaN;
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
