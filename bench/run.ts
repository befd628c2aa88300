// npm run bench — prints, from one run on this machine (BENCH_ONLY=ingest,ticker,alerts,latency,startup picks parts):
//  1. ingest through each channel's webhook on the real HTTP server on PostgreSQL at 50 connections (in-app, then
//     every other channel in bench/channels), next to a bare fastify + pg baseline doing a 3-statement transaction
//     per request, and their ratio; email's ingest rate (its receiver's path, without IMAP);
//  2. the SLA ticker's poll cost with 1,000, 10,000 and 100,000 open clocks, none due;
//  3. SLA alerts with 100,000 open cases and 1,000 coming due in one minute: lag behind their due time, and memory;
//  4. end-to-end latency with the platforms answering at once (acknowledgement, Slack thread post, manager's reply);
//  5. start-up: time to ready on the embedded database (first and later runs) and PostgreSQL, and idle memory;
//  6. the web face: the chat widget's gzipped size and the SLA board's first paint in Chromium.
// The servers run in child processes, one at a time, against scratch databases on the same server.
import { execSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import os from 'node:os';
import autocannon from 'autocannon';
import { Client } from 'pg';
import { benchAlerts } from './alerts';
import { BASE_URL, dropDatabase, freshDatabase, startServer, stopServer } from './lib';
import { benchChannels, type BenchChannel } from './channels';
import { benchEmail } from './email';
import { benchLatency } from './latency';
import { benchStartup } from './startup';
import { benchTicker } from './ticker';
import { boardFirstPaint, formatBoardFirstPaint, formatWidgetSize } from './web';

const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);
const DURATION = Number(process.env.BENCH_SECONDS ?? 10);
const ACCOUNTS = 200;

/** The baseline stores whatever JSON it gets; its body has the shape of an in-app message. */
function baselineRequest(account: number) {
  const body = JSON.stringify({ id: randomUUID(), account: { id: `bench-${account}` }, user: { id: 'user-1', name: 'Bench User' }, text: 'The dashboard numbers look wrong since this morning, can you check?' });
  return { headers: { 'content-type': 'application/json' }, body };
}

type Build = (account: number) => { headers: Record<string, string>; body: string };

async function load(port: number, path: string, build: Build, seconds: number) {
  const result = await autocannon({
    url: `http://127.0.0.1:${port}`,
    connections: CONNECTIONS,
    duration: seconds,
    requests: [{ setupRequest: (req: Record<string, unknown>) => ({ ...req, method: 'POST', path, ...build(Math.floor(Math.random() * ACCOUNTS)) }) }] as never,
  });
  return {
    rps: result.requests.average,
    total: result.requests.total,
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.errors + result.non2xx,
    ok: result['2xx'],
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

async function measure(label: string, file: string, route: string, build: Build, port: number, env: Record<string, string> = {}) {
  const db = `sb_bench_${label}`;
  const url = await freshDatabase(db);
  const child = await startServer(file, { BENCH_DB_URL: url, PORT: String(port), ...env });
  try {
    const warm = await load(port, route, build, 3); // warm-up: JIT, pool, plan caches
    // Where the CPU goes per request (server process vs PostgreSQL): on two cores this is what bounds throughput.
    const pg = postgresPids();
    const batchesBefore = label === 'baseline' ? null : await batchCounters(port);
    const before = { server: cpuSeconds(String(child.pid)), pg: cpuSeconds(pg) };
    const r = await load(port, route, build, DURATION);
    const perReq = (secs: number) => (r.total ? (secs * 1000) / r.total : 0);
    // Every message answered 2xx must be stored, once: fast but lossy would not count.
    const stored = label === 'baseline' ? null : await inboundCount(url);
    const after = batchesBefore && (await batchCounters(port));
    const batching = after && after.count > batchesBefore.count
      ? { mean: (after.sum - batchesBefore.sum) / (after.count - batchesBefore.count), retried: after.retried - batchesBefore.retried }
      : null;
    return { ...r, answered: warm.ok + r.ok, stored, batching, serverMs: perReq(cpuSeconds(String(child.pid)) - before.server), pgMs: perReq(cpuSeconds(postgresPids()) - before.pg) };
  } finally {
    await stopServer(child);
    await dropDatabase(db);
  }
}

/** How the service's group commit behaved: messages per batch, and batches retried member by member. */
async function batchCounters(port: number): Promise<{ count: number; sum: number; retried: number }> {
  const text = await fetch(`http://127.0.0.1:${port}/metrics`).then((r) => r.text(), () => '');
  const num = (name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1] ?? 0);
  return { count: num('switchboard_ingest_batch_size_count'), sum: num('switchboard_ingest_batch_size_sum'), retried: num('switchboard_ingest_batch_retried_total') };
}

async function inboundCount(url: string): Promise<number> {
  const c = new Client({ connectionString: url });
  await c.connect();
  try {
    return Number((await c.query(`SELECT count(*) AS n FROM messages WHERE direction = 'inbound'`)).rows[0].n);
  } finally {
    await c.end();
  }
}

/** Each channel's fake platform is started once, for all rounds. */
const prepared = new Map<string, Promise<Record<string, string>>>();

async function measureChannel(ch: BenchChannel, port: number) {
  if (!prepared.has(ch.name)) prepared.set(ch.name, ch.prepare());
  const env = await prepared.get(ch.name)!;
  const links = Array.from({ length: ACCOUNTS }, (_, i) => ch.link(i));
  return measure(ch.name, 'server-switchboard.ts', ch.route, (a) => ch.request(a), port, {
    BENCH_CHANNEL_ENV: JSON.stringify(env), BENCH_LINKS: JSON.stringify(links),
  });
}

async function ingest() {
  const rounds = Number(process.env.BENCH_ROUNDS ?? 2);
  const wanted = process.env.BENCH_CHANNELS?.split(',');
  const channels = benchChannels().filter((c) => !wanted || wanted.includes(c.name));
  console.log(`Ingest: ${CONNECTIONS} connections, ${DURATION}s per run, ${rounds} alternating rounds`);
  type R = Awaited<ReturnType<typeof measure>>;
  const base: R[] = [];
  const ours = new Map<string, R[]>(channels.map((c) => [c.name, []]));
  // Alternate the order each round so drift on a noisy machine hits both sides alike.
  for (let i = 0; i < rounds; i++) {
    const runBase = async () => base.push(await measure('baseline', 'server-baseline.ts', '/webhooks/baseline', baselineRequest, 38411));
    const runOurs = async () => {
      for (const ch of channels) ours.get(ch.name)!.push(await measureChannel(ch, 38412));
    };
    if (i % 2) await runOurs().then(runBase);
    else await runBase().then(runOurs);
  }
  for (const ch of channels) await ch.stop();
  const fmt = (r: R) =>
    `${r.rps.toFixed(0).padStart(6)} req/s   p50 ${String(r.p50).padStart(4)} ms   p99 ${String(r.p99).padStart(4)} ms   errors ${r.errors}   cpu/req: server ${r.serverMs.toFixed(2)} ms, postgres ${r.pgMs.toFixed(2)} ms${stored(r)}`;
  // Requests still in flight when a run ends may be stored without being counted as answered; fewer is a loss.
  const stored = (r: R) => (r.stored === null ? '' : `   stored ${r.stored}/${r.answered} answered${r.stored < r.answered ? '  LOST MESSAGES' : ''}`)
    + (r.batching ? `   batch mean ${r.batching.mean.toFixed(1)}, ${r.batching.retried} retried` : '');
  const mean = (xs: R[], f: (r: R) => number) => xs.reduce((a, r) => a + f(r), 0) / xs.length;
  console.log('\nIngest (POST, 50 concurrent connections)');
  for (let i = 0; i < rounds; i++) {
    console.log(`  round ${i + 1}  baseline fastify + pg, 3-statement tx : ${fmt(base[i])}`);
    for (const ch of channels) {
      const r = ours.get(ch.name)![i];
      console.log(`  round ${i + 1}  ${`switchboard ${ch.name} webhook`.padEnd(37)}: ${fmt(r)}   ratio ${(r.rps / base[i].rps).toFixed(2)}`);
    }
  }
  console.log(`  mean: baseline ${mean(base, (r) => r.rps).toFixed(0)} req/s`);
  for (const ch of channels) {
    const xs = ours.get(ch.name)!;
    const ratio = mean(xs, (r) => r.rps) / mean(base, (r) => r.rps);
    console.log(`  ${ch.name.padEnd(13)} ${mean(xs, (r) => r.rps).toFixed(0).padStart(6)} req/s   p99 ${mean(xs, (r) => r.p99).toFixed(0)} ms   ratio ${ratio.toFixed(2)}${ch.name === 'inapp' ? '   (target ≥ 0.5, goal 0.75; p99 ≤ 100 ms)' : ''}`);
  }

}

async function ticker() {
  console.log('\nSLA ticker poll, open clocks none of which are due (500 polls each; target ≤ 5 ms p50, flat as cases grow)');
  for (const n of [1_000, 10_000, 100_000]) {
    const r = await benchTicker(await freshDatabase('sb_bench_ticker'), n);
    await dropDatabase('sb_bench_ticker');
    console.log(`  ${n.toLocaleString('en').padStart(7)} clocks   poll query p50 ${r.queryP50.toFixed(2)} ms  p99 ${r.queryP99.toFixed(2)} ms   full pass p50 ${r.passP50.toFixed(2)} ms  p99 ${r.passP99.toFixed(2)} ms`);
  }
}

async function alerts() {
  const r = await benchAlerts();
  console.log(`\nSLA alerts: ${r.open.toLocaleString('en')} open cases, ${r.due} due within one minute (ticker every second)`);
  console.log(`  fired ${r.fired}/${r.due}   lag after due time: p50 ${(r.lagP50 / 1000).toFixed(2)} s  p99 ${(r.lagP99 / 1000).toFixed(2)} s  max ${(r.lagMax / 1000).toFixed(2)} s   (target ≤ 2 s)`);
  console.log(`  instance RSS meanwhile: max ${r.rssMaxMb.toFixed(0)} MB   (target ≤ 250 MB on PostgreSQL)`);
}

async function latency() {
  const r = await benchLatency();
  const fmt = (x: { n: number; p50: number; p99: number; max: number }) => `p50 ${String(x.p50).padStart(4)} ms   p99 ${String(x.p99).padStart(4)} ms   max ${String(x.max).padStart(4)} ms   (n ${x.n})`;
  console.log('\nEnd-to-end latency, platforms answering at once (one message at a time)');
  console.log(`  client message → acknowledgement sent         ${fmt(r.ack)}   (target p99 ≤ 100 ms)`);
  console.log(`  client message → Slack thread post, new case  ${fmt(r.firstPost)}   (creates the client's channel and card first)`);
  console.log(`  client message → Slack thread post, follow-up ${fmt(r.followPost)}   (target p99 ≤ 250 ms)`);
  console.log(`  Slack thread reply → client delivery          ${fmt(r.reply)}   (target p99 ≤ 250 ms)`);
}

async function startup() {
  const r = await benchStartup();
  console.log('\nStart-up (npm start, until /readyz answers) and idle memory (process tree RSS after 5 s)');
  console.log(`  embedded, first run (initdb)  ${(r.first.readyMs / 1000).toFixed(1)} s   ${r.first.idleRssMb.toFixed(0)} MB   (target ≤ 10 s)`);
  console.log(`  embedded, later run           ${(r.later.readyMs / 1000).toFixed(1)} s   ${r.later.idleRssMb.toFixed(0)} MB   (target ≤ 3 s)`);
  console.log(`  PostgreSQL                    ${(r.pg.readyMs / 1000).toFixed(1)} s   ${r.pg.idleRssMb.toFixed(0)} MB`);
}

async function email() {
  const r = await benchEmail();
  console.log(`\nEmail ingest (parse, thread and store ${r.mails} mails through the receiver's path, without IMAP), PostgreSQL`);
  console.log(`  one at a time (as the receiver runs) ${r.serial.toFixed(0)} mails/s   4 in parallel ${r.parallel.toFixed(0)} mails/s`);
}

async function web() {
  console.log('\nWeb face');
  console.log(`  ${formatWidgetSize()}`);
  console.log(`  ${formatBoardFirstPaint(await boardFirstPaint())}`);
}

async function main() {
  const only = process.env.BENCH_ONLY?.split(',');
  const parts: [string, () => Promise<void>][] = [
    ['ingest', ingest], ['email', email], ['ticker', ticker], ['alerts', alerts], ['latency', latency], ['startup', startup], ['web', web],
  ];
  console.log(`Switchboard benchmark — PostgreSQL at ${new URL(BASE_URL).host}; ${os.cpus().length} cores`);
  for (const [name, run] of parts) if (!only || only.includes(name)) await run();
}
main().catch((e) => {
  console.error(e);
  process.exit(1);
});
