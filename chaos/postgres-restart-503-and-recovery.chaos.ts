// The machine's PostgreSQL stopped and started again under load (once per run, a few seconds down): webhooks answer
// 503 while it is down (never 500, never a hang), /readyz says so, the service recovers by itself, every 2xx is
// stored once, and the 503'd messages, redelivered as a platform would, are stored once too.
//
// This restarts the server other engineers' tests use: it is done once, kept short, and the case always waits for
// the server to be back (pg_isready) before it ends, even when it fails. CHAOS_PGDATA (a data directory run with
// pg_ctl as postgres) points it at a private server instead, to rehearse without disturbing anyone.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import { promisify } from 'node:util';
import { CallbackServer } from '../test/support/callback-server';
import { openTestDatabase, type TestDatabase } from '../test/support/db';
import { clientDeliveries, consoleNotices, drained, notOnce, outboxByStatus, report, storedInapp } from './support/checks';
import { is2xx, messages, Sender, type Outcome } from './support/load';
import { INAPP_SECRET, killAll, sleep, startService, waitFor } from './support/service';
import { tally } from './support/platforms';

const run = promisify(execFile);
const DOWN_MS = 3000;
const server = new URL(process.env.DATABASE_URL!);
const PGDATA = process.env.CHAOS_PGDATA;
const pgctl = (action: 'stop' | 'start') =>
  PGDATA
    ? run('su', ['postgres', '-c', `pg_ctl -D ${PGDATA} ${action === 'stop' ? '-m fast' : `-l ${PGDATA}/../log`} -w ${action}`], { env: { ...process.env, PATH: `/usr/lib/postgresql/${fs.readdirSync('/usr/lib/postgresql')[0]}/bin:${process.env.PATH}` } })
    : run('pg_ctlcluster', ['--skip-systemctl-redirect', fs.readdirSync('/etc/postgresql')[0], 'main', action, ...(action === 'stop' ? ['-m', 'fast'] : [])]);
const pgReady = () => run('pg_isready', ['-h', server.hostname, '-p', server.port || '5432', '-t', '1']).then(() => true, () => false);

let db: TestDatabase;
let callback: CallbackServer;
let stopped = false;

beforeAll(async () => {
  db = await openTestDatabase();
  callback = await new CallbackServer().start();
});
afterAll(async () => {
  if (stopped && !(await pgReady())) await pgctl('start').catch(() => undefined);
  await waitFor('PostgreSQL to accept connections', pgReady, 60_000, 250);
  await killAll();
  await callback?.stop();
  await db?.close();
});

test('PostgreSQL restarted under load: 503 while down, recovery without a restart, nothing lost or doubled', async () => {
  const svc = await startService('svc', { DATABASE_URL: db.url!, INAPP_SECRET, INAPP_CALLBACK_URL: callback.url, OUTBOX_POLL_MS: '100', SLA_TICK_MS: '200' });
  const sender = new Sender(() => svc.url);
  let loading = true;
  const load = sender.run(messages('p', 5000, 250), 6, () => !loading);

  const ready: { at: number; ms: number; outcome: Outcome }[] = [];
  let probing = true;
  const probe = (async () => {
    while (probing) {
      const at = Date.now();
      const outcome = await fetch(`${svc.url}/readyz`, { signal: AbortSignal.timeout(5000) }).then((r) => r.status as Outcome, () => 'error' as Outcome);
      ready.push({ at, ms: Date.now() - at, outcome });
      await sleep(100);
    }
  })();

  const t: Record<string, number> = {};
  try {
    await sleep(2500);
    t.stop = Date.now();
    stopped = true;
    await pgctl('stop');
    t.down = Date.now();
    await sleep(DOWN_MS);
    t.start = Date.now();
    await pgctl('start');
    await waitFor('PostgreSQL to accept connections', pgReady, 60_000, 100);
    stopped = false;
    t.back = Date.now();
    // Recovery is the service's own doing: nothing here touches it, the load just goes on.
    t.ready = t.back + (await waitFor('/readyz 200 again', () => ready.some((r) => r.at > t.back && r.outcome === 200), 60_000));
    t.webhook = t.back + (await waitFor('a webhook 2xx again', () => [...sender.attempts.values()].some((a) => a.some((x) => x.at > t.back && is2xx(x.outcome))), 60_000));
    t.recovered = Date.now();
    await sleep(2000);
  } catch (err) {
    const tail = svc.lines.slice(-15).map((l) => JSON.stringify(l)).join('\n');
    throw new Error(`${(err as Error).message}\nservice alive: ${svc.alive}; readyz: ${JSON.stringify(ready.slice(-5))}; outcomes: ${JSON.stringify(sender.tally())}\n${svc.text}\n${tail}`);
  } finally {
    loading = false;
    probing = false;
    await Promise.all([load, probe]);
  }
  const { stop: stopAt, recovered: recoveredAt } = t;
  // Asked and answered while the server was certainly stopped (stop returned, start not yet issued).
  const down = (a: { at: number; ms?: number }) => a.at >= t.down && a.at + (a.ms ?? 0) <= t.start;
  const during = (a: { at: number }) => a.at >= stopAt && a.at <= recoveredAt;
  const outcomes = sender.tally();
  const whileDown = sender.tally(down);
  const aroundIt = sender.tally(during);
  const count = (list: { outcome: Outcome }[]) => Object.fromEntries(tally(list.map((r) => String(r.outcome))));
  const readyWhileDown = count(ready.filter(down));
  const readyAroundIt = count(ready.filter(during));
  const slowest = Math.max(...[...sender.attempts.values()].flat().map((a) => a.ms));
  const firstOk = new Set(sender.acknowledged());
  const storedBefore = await storedInapp(db);
  const twoXxOnce = notOnce(storedBefore.byId, firstOk);
  const redelivered = await sender.redeliver(6);
  const drainMs = await drained(db);
  await sleep(500);

  const stored = await storedInapp(db);
  const all = notOnce(stored.byId, sender.messages.keys());
  // A send whose outcome could not be recorded while the database was away may repeat (README: outcome unknown);
  // any other repeat is a defect.
  const outage = (t: number) => t >= stopAt - 1000 && t <= recoveredAt;
  const firstSeen = new Map<string, number>();
  for (const r of callback.received) if (!firstSeen.has(r.body.id)) firstSeen.set(r.body.id, r.at);
  const deliveries = await clientDeliveries(db, callback);
  const repeatsOutsideOutage = deliveries.repeated.filter((id) => !outage(firstSeen.get(`outbox-${id}`)!));
  const notices = await consoleNotices(db, [svc]);
  const noticeRepeatsOutsideOutage = notices.repeats.filter((r) => !r.times.some(outage));
  const status = await outboxByStatus(db);

  report('PostgreSQL restarted under load', {
    'load': `${sender.messages.size} messages, 6 at a time, to one instance`,
    'database down': `stop ${t.down - t.stop} ms, down ${t.start - t.down} ms, start to pg_isready ${t.back - t.start} ms`,
    'webhooks while down': `${JSON.stringify(whileDown)}; from stop to recovery ${JSON.stringify(aroundIt)}`,
    'all first-round outcomes': outcomes,
    'slowest answer': `${slowest} ms`,
    '/readyz while down': `${JSON.stringify(readyWhileDown)}; from stop to recovery ${JSON.stringify(readyAroundIt)}`,
    'recovery after pg_isready': `/readyz 200 after ${t.ready - t.back} ms, webhook 2xx after ${t.webhook - t.back} ms (no restart, still running: ${svc.alive})`,
    '2xx stored once': `${firstOk.size - twoXxOnce.lost.length - twoXxOnce.doubled.length}/${firstOk.size} (lost ${twoXxOnce.lost.length}, doubled ${twoXxOnce.doubled.length})`,
    'redelivered (503 etc.)': `${redelivered}; all stored once: lost ${all.lost.length}, doubled ${all.doubled.length}; ${stored.total} inbound messages`,
    'drained': `${drainMs} ms after redelivery`,
    'client deliveries': `expected ${deliveries.expected}, received ${deliveries.received}, missing ${deliveries.missing.length}, repeated ${deliveries.repeated.length} (outside the outage ${repeatsOutsideOutage.length})`,
    'console notices': `rows sent ${notices.rows}, logged ${notices.logged}, repeats ${notices.repeats.length} (outside the outage ${noticeRepeatsOutsideOutage.length}), missing ${notices.missing.length}`,
    'outbox at end': status,
    'errors logged by the service': svc.errors().length,
  });

  expect(svc.alive).toBe(true);
  expect(whileDown['503'] ?? 0).toBeGreaterThan(0);
  expect(Object.keys(whileDown)).toEqual(['503']);
  // Only 2xx and 503: no 500, no hang, no dropped connection.
  expect(Object.keys(outcomes).filter((o) => o !== '503' && !is2xx(Number(o)))).toEqual([]);
  expect(readyWhileDown['503'] ?? 0).toBeGreaterThan(0);
  expect(Object.keys(readyWhileDown)).toEqual(['503']);
  expect(Object.keys(readyAroundIt).filter((o) => o !== '503' && o !== '200')).toEqual([]);
  expect(twoXxOnce).toEqual({ lost: [], doubled: [] });
  expect(all).toEqual({ lost: [], doubled: [] });
  expect(stored.total).toBe(sender.messages.size);
  expect(deliveries.missing).toEqual([]);
  expect(deliveries.unexpected).toEqual([]);
  expect(repeatsOutsideOutage).toEqual([]);
  expect(notices.missing).toEqual([]);
  expect(noticeRepeatsOutsideOutage).toEqual([]);
  expect(Object.keys(status).every((k) => k.endsWith(':sent'))).toBe(true);
});
