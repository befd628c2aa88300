// npm run bench — prints, from one run on this machine:
//  1. in-app ingest through the real HTTP server on PostgreSQL at 50 connections, next to a bare fastify + pg
//     baseline doing a 3-statement transaction per request, and their ratio;
//  2. the SLA ticker's poll cost with 100,000 open clocks, none due.
// Both servers run in child processes, one at a time, against a scratch database on the same server.
import { execSync, fork, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import autocannon from 'autocannon';
import { Client } from 'pg';
import { signedHeaders } from '../adapters/inapp';
import { benchTicker } from './ticker';

const BASE_URL = process.env.BENCH_DATABASE_URL ?? process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const SECRET = 'bench-inapp-secret-0123456789';
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);
const DURATION = Number(process.env.BENCH_SECONDS ?? 10);
const ACCOUNTS = 200;

async function freshDatabase(name: string): Promise<string> {
  const c = new Client({ connectionString: BASE_URL });
  await c.connect();
  await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await c.query(`CREATE DATABASE ${name}`);
  await c.end();
  const u = new URL(BASE_URL);
  u.pathname = `/${name}`;
  return u.toString();
}

async function dropDatabase(name: string) {
  const c = new Client({ connectionString: BASE_URL });
  await c.connect();
  await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await c.end();
}

function startServer(file: string, env: Record<string, string>): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const child = fork(path.join(__dirname, file), [], { env: { ...process.env, ...env }, execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    child.once('message', () => resolve(child));
    child.once('exit', (code) => reject(new Error(`${file} exited with ${code}`)));
  });
}

async function stopServer(child: ChildProcess) {
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await exited;
}

function message(path: string, signed: boolean) {
  const body = JSON.stringify({
    id: randomUUID(),
    account: { id: `bench-${Math.floor(Math.random() * ACCOUNTS)}` },
    user: { id: `user-${Math.floor(Math.random() * 5)}`, name: 'Bench User' },
    text: 'The dashboard numbers look wrong since this morning, can you check?',
  });
  const headers: Record<string, string> = { 'content-type': 'application/json', ...(signed ? signedHeaders(SECRET, { method: 'POST', path: '/webhooks/inapp', body }, new Date()) : {}) };
  return { method: 'POST' as const, path, headers, body };
}

async function load(port: number, path: string, signed: boolean, seconds: number) {
  const result = await autocannon({
    url: `http://127.0.0.1:${port}`,
    connections: CONNECTIONS,
    duration: seconds,
    requests: [{ setupRequest: (req: Record<string, unknown>) => ({ ...req, ...message(path, signed) }) }] as never,
  });
  return {
    rps: result.requests.average,
    total: result.requests.total,
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.errors + result.non2xx,
  };
}

/** CPU seconds used so far by these processes (Linux /proc; 0 elsewhere). */
function cpuSeconds(pids: string): number {
  try {
    const out = execSync(`for p in ${pids}; do cat /proc/$p/stat 2>/dev/null; done | awk '{s+=$14+$15} END {print s+0}'`).toString();
    return Number(out) / 100;
  } catch {
    return 0;
  }
}
const postgresPids = () => {
  try {
    return execSync('pgrep -d " " postgres').toString().trim();
  } catch {
    return '';
  }
};

async function measure(label: string, file: string, route: string, signed: boolean, port: number) {
  const db = `sb_bench_${label}`;
  const url = await freshDatabase(db);
  const child = await startServer(file, { BENCH_DB_URL: url, PORT: String(port), BENCH_SECRET: SECRET, BENCH_ACCOUNTS: String(ACCOUNTS) });
  try {
    await load(port, route, signed, 3); // warm-up: JIT, pool, plan caches
    // Where the CPU goes per request (server process vs PostgreSQL): on two cores this is what bounds throughput.
    const pg = postgresPids();
    const before = { server: cpuSeconds(String(child.pid)), pg: cpuSeconds(pg) };
    const r = await load(port, route, signed, DURATION);
    const perReq = (secs: number) => (r.total ? (secs * 1000) / r.total : 0);
    return { ...r, serverMs: perReq(cpuSeconds(String(child.pid)) - before.server), pgMs: perReq(cpuSeconds(postgresPids()) - before.pg) };
  } finally {
    await stopServer(child);
    await dropDatabase(db);
  }
}

async function main() {
  const rounds = Number(process.env.BENCH_ROUNDS ?? 2);
  console.log(`Switchboard benchmark — ${CONNECTIONS} connections, ${DURATION}s per run, ${rounds} alternating rounds, PostgreSQL at ${new URL(BASE_URL).host}`);
  type R = Awaited<ReturnType<typeof measure>>;
  const base: R[] = [];
  const ours: R[] = [];
  // Alternate the order each round so drift on a noisy machine hits both sides alike.
  for (let i = 0; i < rounds; i++) {
    const runBase = async () => base.push(await measure('baseline', 'server-baseline.ts', '/webhooks/baseline', false, 38411));
    const runOurs = async () => ours.push(await measure('switchboard', 'server-switchboard.ts', '/webhooks/inapp', true, 38412));
    if (i % 2) await runOurs().then(runBase);
    else await runBase().then(runOurs);
  }
  const fmt = (r: R) =>
    `${r.rps.toFixed(0).padStart(6)} req/s   p50 ${String(r.p50).padStart(4)} ms   p99 ${String(r.p99).padStart(4)} ms   errors ${r.errors}   cpu/req: server ${r.serverMs.toFixed(2)} ms, postgres ${r.pgMs.toFixed(2)} ms`;
  const mean = (xs: R[], f: (r: R) => number) => xs.reduce((a, r) => a + f(r), 0) / xs.length;
  console.log('\nIngest (POST, 50 concurrent connections)');
  for (let i = 0; i < rounds; i++) {
    console.log(`  round ${i + 1}  baseline fastify + pg, 3-statement tx : ${fmt(base[i])}`);
    console.log(`  round ${i + 1}  switchboard in-app webhook            : ${fmt(ours[i])}   ratio ${(ours[i].rps / base[i].rps).toFixed(2)}`);
  }
  const ratio = mean(ours, (r) => r.rps) / mean(base, (r) => r.rps);
  console.log(`  mean: baseline ${mean(base, (r) => r.rps).toFixed(0)} req/s, switchboard ${mean(ours, (r) => r.rps).toFixed(0)} req/s, p99 ${mean(ours, (r) => r.p99).toFixed(0)} ms`);
  console.log(`  ratio switchboard / baseline: ${ratio.toFixed(2)}   (target ≥ 0.5 now, goal 0.75; p99 target ≤ 100 ms)`);

  const ticker = await benchTicker(await freshDatabase('sb_bench_ticker'), 100_000);
  await dropDatabase('sb_bench_ticker');
  console.log(`\nSLA ticker poll with ${ticker.clocks.toLocaleString('en')} open clocks, none due (${ticker.polls} polls)`);
  console.log(`  poll query alone  : p50 ${ticker.queryP50.toFixed(2)} ms   p99 ${ticker.queryP99.toFixed(2)} ms`);
  console.log(`  full ticker pass  : p50 ${ticker.passP50.toFixed(2)} ms   p99 ${ticker.passP99.toFixed(2)} ms   (target ≤ 5 ms p50)`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
