// Start-up as `npm start` runs it: time until the service answers /readyz, on the embedded database (first run on
// an empty DATA_DIR — PGlite's initdb — and a later run) and on PostgreSQL, and the resident memory of the idle
// instance (the whole process tree: tsx starts node as a child).
import { execSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { dropDatabase, freshDatabase, sleep } from './lib';

const ROOT = path.resolve(__dirname, '..');

function treeRssMb(pid: number): number {
  const pids = [pid];
  try {
    pids.push(...execSync(`pgrep -P ${pid}`).toString().trim().split('\n').filter(Boolean).map(Number));
  } catch {
    // no children
  }
  let kb = 0;
  for (const p of pids) {
    const m = /VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${p}/status`, 'utf8'));
    if (m) kb += Number(m[1]);
  }
  return kb / 1024;
}

async function run(env: Record<string, string>): Promise<{ readyMs: number; idleRssMb: number }> {
  const started = Date.now();
  const child: ChildProcess = spawn(path.join(ROOT, 'node_modules/.bin/tsx'), ['src/main.ts'], {
    cwd: ROOT, env: { PATH: process.env.PATH!, HOME: os.tmpdir(), HOST: '127.0.0.1', PORT: '38430', LOG_LEVEL: 'warn', ...env }, stdio: 'ignore',
  });
  try {
    for (;;) {
      if (child.exitCode !== null) throw new Error(`the service exited with ${child.exitCode}`);
      const ok = await fetch('http://127.0.0.1:38430/readyz').then((r) => r.ok, () => false);
      if (ok) break;
      if (Date.now() - started > 60_000) throw new Error('not ready within 60 s');
      await sleep(25);
    }
    const readyMs = Date.now() - started;
    await sleep(5000);
    return { readyMs, idleRssMb: treeRssMb(child.pid!) };
  } finally {
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await exited;
  }
}

export async function benchStartup() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sb-bench-start-'));
  try {
    const first = await run({ DATA_DIR: dir, INAPP_SECRET: 'bench-inapp-secret-0123456789' });
    const later = await run({ DATA_DIR: dir, INAPP_SECRET: 'bench-inapp-secret-0123456789' });
    const url = await freshDatabase('sb_bench_startup');
    const pg = await run({ DATABASE_URL: url, INAPP_SECRET: 'bench-inapp-secret-0123456789', ADMIN_TOKEN: 'bench-admin-token-0123456789' });
    await dropDatabase('sb_bench_startup');
    return { first, later, pg };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
