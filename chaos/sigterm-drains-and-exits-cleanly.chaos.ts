// SIGTERM under a steady load, a second instance running beside it (a rolling deploy): the instance stops taking
// connections at once, finishes the sends it has in flight (the vendor's app answers slowly), exits 0 well inside its
// 25 s limit, and leaves nothing leased behind; what it refused is redelivered to the other instance, and in the
// end nothing is lost and nothing was delivered twice.
import net from 'node:net';
import { CallbackServer } from '../test/support/callback-server';
import { openTestDatabase, type TestDatabase } from '../test/support/db';
import { clientDeliveries, consoleNotices, drained, notOnce, outboxByStatus, report, rows, storedInapp } from './support/checks';
import { is2xx, messages, Sender } from './support/load';
import { INAPP_SECRET, killAll, sleep, startService, waitFor } from './support/service';

const HOLD_MS = 700;

let db: TestDatabase;
let callback: CallbackServer;

beforeAll(async () => {
  db = await openTestDatabase();
  callback = await new CallbackServer().start();
  // Every callback takes a while to answer, so sends are in flight when the signal comes.
  callback.respondWith(...Array.from({ length: 5000 }, () => ({ status: 200, holdMs: HOLD_MS })));
});
afterAll(async () => {
  await killAll();
  await callback?.stop();
  await db?.close();
});

const connects = (port: number) =>
  new Promise<boolean>((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    s.once('connect', () => (s.destroy(), resolve(true)));
    s.once('error', () => resolve(false));
  });

/** Client sends (in-app lane) the instance has in flight, from its /metrics. */
const sendsInFlight = async (url: string) =>
  Number(/switchboard_outbox_in_flight\{lane="inapp"\} (\d+)/.exec(await fetch(`${url}/metrics`).then((r) => r.text()))?.[1] ?? 0);

const leased = async () => new Set((await rows<{ k: string }>(db, `SELECT id || ':' || lease_token AS k FROM outbox WHERE status = 'sending'`)).map((r) => r.k));

test('SIGTERM: stops taking connections, finishes its sends, exits 0; nothing lost, nothing doubled', async () => {
  const env = { DATABASE_URL: db.url!, INAPP_SECRET, INAPP_CALLBACK_URL: callback.url, OUTBOX_POLL_MS: '100', SLA_TICK_MS: '200' };
  const [a, b] = await Promise.all([startService('a', env), startService('b', env)]);
  let target = a.url;
  const sender = new Sender(() => target);
  let loading = true;
  // Small waves of new clients: acknowledgements keep being queued all along.
  const load = sender.run(messages('t', 4000, 800, {}, 10), 8, () => !loading);

  let termAt = 0;
  let exit: { code: number | null; ms: number } = { code: null, ms: 0 };
  let acceptsAfterTerm: boolean | null = null;
  let leftLeased: string[] = [];
  let inFlightAtTerm = 0;
  let heldAtTerm = 0;
  let aInFlight = 0;
  try {
    await sleep(3000);
    const waiting = () => callback.held.length - callback.received.length - callback.abandoned;
    // The signal comes while A itself has callbacks waiting for their answer.
    await waitFor('A sending', async () => (aInFlight = await sendsInFlight(a.url)) >= 2, 10_000, 10);
    inFlightAtTerm = (await rows(db, `SELECT 1 FROM outbox WHERE status = 'sending'`)).length;
    heldAtTerm = waiting();
    termAt = Date.now();
    const exiting = a.term();
    await sleep(200);
    // The listening socket is closed first thing: a new connection is refused while the sends still finish.
    if (a.alive) acceptsAfterTerm = await connects(a.port);
    exit = await exiting;
    // Anything A still had claimed is either B's by now (B answers within HOLD_MS) or left leased by A.
    const atExit = await leased();
    await sleep(3 * HOLD_MS);
    const later = await leased();
    leftLeased = [...atExit].filter((k) => later.has(k));
    await sleep(1000);
  } finally {
    loading = false;
    await load;
  }

  const before = sender.tally();
  const afterTerm = sender.tally((x) => x.at >= termAt);
  const firstOk = new Set(sender.acknowledged());
  const storedAtExit = await storedInapp(db);
  const twoXx = notOnce(storedAtExit.byId, firstOk);
  // A platform redelivers what it got no answer for; a load balancer would have sent it to B.
  const redeliverAt = Date.now();
  target = b.url;
  const redelivered = await sender.redeliver(8);
  const drainMs = await drained(db);
  await sleep(HOLD_MS + 500);

  const stored = await storedInapp(db);
  const all = notOnce(stored.byId, sender.messages.keys());
  const deliveries = await clientDeliveries(db, callback);
  const notices = await consoleNotices(db, [a, b]);
  const status = await outboxByStatus(db);
  const aLines = a.lines.filter((l) => l.time !== undefined && Number(l.time) >= termAt);

  report('SIGTERM under load, a second instance beside it', {
    'load': `${sender.messages.size} messages, 8 at a time, to instance A; callbacks answer after ${HOLD_MS} ms`,
    'at SIGTERM': `A sending ${aInFlight} callbacks; ${inFlightAtTerm} outbox rows being sent by A and B, ${heldAtTerm} callbacks waiting for their answer`,
    'exit': `code ${exit.code} after ${exit.ms} ms (limit 25000)`,
    'new connection 200 ms after SIGTERM': acceptsAfterTerm === null ? 'A already gone' : acceptsAfterTerm ? 'ACCEPTED' : 'refused',
    'requests to A after SIGTERM': afterTerm,
    'all first-round outcomes': before,
    '2xx stored once': `${firstOk.size - twoXx.lost.length - twoXx.doubled.length}/${firstOk.size}`,
    'redelivered to B': `${redelivered} → ${JSON.stringify(sender.tally((x) => x.at >= redeliverAt))}`,
    'left leased by A': leftLeased.length,
    'drained': `${drainMs} ms after redelivery started ${redeliverAt - exit.ms - termAt} ms after A exited`,
    'stored': `${stored.total} inbound messages; lost ${all.lost.length}, doubled ${all.doubled.length}`,
    'client deliveries': `expected ${deliveries.expected}, received ${deliveries.received}, missing ${deliveries.missing.length}, repeated ${deliveries.repeated.length}; abandoned by the sender ${callback.abandoned}`,
    'console notices': `rows sent ${notices.rows}, logged ${notices.logged}, repeats ${notices.repeats.length}, missing ${notices.missing.length}`,
    'outbox at end': status,
    'A after SIGTERM': `${aLines.filter((l) => l.level >= 40).length} warnings/errors: ${[...new Set(aLines.filter((l) => l.level >= 40).map((l) => l.msg))].join('; ') || 'none'}`,
  });

  expect(exit.code).toBe(0);
  expect(exit.ms).toBeLessThan(25_000);
  expect(acceptsAfterTerm).not.toBe(true);
  // In flight at the signal: answered. After it: refused, a kept-alive connection closed under the request, or
  // fastify's 503 for a request on a connection still open while closing — all redelivered by a platform; nothing
  // else, and no database error from A while it stops.
  expect(Object.keys(afterTerm).filter((o) => !is2xx(Number(o)) && !['refused', 'reset', '503'].includes(o))).toEqual([]);
  expect(aLines.filter((l) => l.level >= 40)).toEqual([]);
  // Every callback A started was answered before it exited (none cut off for B to send again).
  expect(callback.abandoned).toBe(0);
  expect(leftLeased).toEqual([]);
  expect(twoXx).toEqual({ lost: [], doubled: [] });
  expect(all).toEqual({ lost: [], doubled: [] });
  expect(stored.total).toBe(sender.messages.size);
  // A clean stop is no crash: not one delivery repeated.
  expect(deliveries.missing).toEqual([]);
  expect(deliveries.unexpected).toEqual([]);
  expect(deliveries.repeated).toEqual([]);
  expect(notices.missing).toEqual([]);
  expect(notices.repeats).toEqual([]);
  expect(Object.keys(status).every((k) => k.endsWith(':sent'))).toBe(true);
});
