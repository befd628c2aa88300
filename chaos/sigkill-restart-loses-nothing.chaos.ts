// SIGKILL in the middle of 1,000 in-app messages, then a restart on the same database: every message that got a 2xx
// is stored once, every acknowledgement and console notice queued goes out, and the only repeats are rows that were
// being sent at the kill (the service could not record their outcome; README: at least once, with a stable id).
import { CallbackServer } from '../test/support/callback-server';
import { openTestDatabase, type TestDatabase } from '../test/support/db';
import {
  acksPerAccount, backendsGone, clientDeliveries, consoleNotices, drained, inFlight, notOnce, outboxByStatus, report, rows, storedInapp,
} from './support/checks';
import { is2xx, messages, Sender } from './support/load';
import { freePort, INAPP_SECRET, killAll, sleep, startService, type ServiceProcess } from './support/service';

const MESSAGES = 1000;
const ACCOUNTS = 200;
const CONCURRENCY = 16;

let db: TestDatabase;
let callback: CallbackServer;

beforeAll(async () => {
  db = await openTestDatabase();
  callback = await new CallbackServer().start();
});
afterAll(async () => {
  await killAll();
  await callback?.stop();
  await db?.close();
});

test('kill -9 mid-load, restart: every 2xx stored once, every queued delivery out, repeats only for sends in flight', async () => {
  const port = await freePort();
  const env = { DATABASE_URL: db.url!, INAPP_SECRET, INAPP_CALLBACK_URL: callback.url, OUTBOX_POLL_MS: '100', SLA_TICK_MS: '200' };
  const first = await startService('first', env, port);
  const url = `http://127.0.0.1:${port}`;
  const sender = new Sender(() => url);
  const load = messages('k', MESSAGES, ACCOUNTS);

  // The kill comes from beside the load, once about half the messages were acknowledged; the load goes on.
  let killedAt = 0;
  const killing = (async () => {
    while (sender.acknowledged().length < MESSAGES / 2) await sleep(5);
    killedAt = Date.now();
    await first.kill9();
  })();
  await sender.run(load, CONCURRENCY);
  await killing;
  const okBeforeKill = sender.acknowledged().length;
  const outcomes = sender.tally();

  // What the dead process had claimed and not finished: the only rows it may have delivered without recording it.
  await backendsGone(db, first);
  const flying = await inFlight(db);
  const flyingIds = new Set(flying.map((r) => r.id));
  const afterKill = await storedInapp(db);

  const restartAt = Date.now();
  const second = await startService('second', env, port);
  const startMs = Date.now() - restartAt;
  // A platform redelivers what it got no 2xx for; whatever the dead process stored before answering is a duplicate.
  const before = sender.tally();
  const redelivered = await sender.redeliver(CONCURRENCY);
  const redeliveryOutcomes = diff(sender.tally(), before);
  const drainMs = await drained(db);
  await sleep(500);

  const acked = sender.acknowledged();
  const stored = await storedInapp(db);
  const firstTwoXx = notOnce(afterKill.byId, new Set([...sender.attempts].filter(([, a]) => is2xx(a[0].outcome)).map(([id]) => id)));
  const all = notOnce(stored.byId, sender.messages.keys());
  const deliveries = await clientDeliveries(db, callback, flyingIds);
  const acks = acksPerAccount(callback);
  const [cases] = await rows<{ n: string }>(db, `SELECT count(*) AS n FROM cases`);
  const notices = await consoleNotices(db, [first, second], flying);
  const status = await outboxByStatus(db);

  report('SIGKILL mid-load, restart on the same database', {
    'messages sent': `${MESSAGES} from ${ACCOUNTS} accounts, ${CONCURRENCY} at a time`,
    'first attempts': outcomes,
    '2xx before the kill': okBeforeKill,
    'killed at': `${new Date(killedAt).toISOString()} (${afterKill.total} stored then)`,
    '2xx not stored after kill': firstTwoXx.lost.length,
    'rows in flight at kill': `${flying.length} (${flying.filter((r) => r.target === 'client').length} client, ${flying.filter((r) => r.target === 'console').length} console)`,
    'restart to banner': `${startMs} ms`,
    'redelivered': `${redelivered} → ${JSON.stringify(redeliveryOutcomes)}`,
    'drained after restart': `${drainMs} ms after redelivery`,
    'stored': `${stored.total} inbound messages, ${stored.byId.size} distinct ids; lost ${all.lost.length}, doubled ${all.doubled.length}`,
    'cases / acks': `${cases.n} cases; accounts with exactly one ack ${[...acks.values()].filter((n) => n === 1).length}/${ACCOUNTS}`,
    'client deliveries': `expected ${deliveries.expected}, received ${deliveries.received}, missing ${deliveries.missing.length}, repeated ids ${deliveries.repeated.length} (+${deliveries.extra}), repeated not in flight ${deliveries.repeatedNotInFlight.length}`,
    'console notices': `rows sent ${notices.rows}, logged ${notices.logged}, repeats ${notices.repeats.reduce((n, r) => n + r.extra, 0)} (keys ${notices.repeats.map((r) => `${r.key}+${r.extra}/${r.allowed}`).join(' ') || 'none'}), missing ${notices.missing.length}`,
    'outbox at end': status,
    'service errors logged': `${first.errors().length} before kill, ${second.errors().length} after restart`,
  });

  expect(okBeforeKill).toBeGreaterThanOrEqual(MESSAGES / 2);
  expect(Object.keys(outcomes).some((o) => !is2xx(Number(o)))).toBe(true);
  // Every message that got a 2xx is stored once, also those answered just before the kill.
  expect(firstTwoXx).toEqual({ lost: [], doubled: [] });
  expect(acked).toHaveLength(MESSAGES);
  expect(all).toEqual({ lost: [], doubled: [] });
  expect(stored.total).toBe(MESSAGES);
  // Every acknowledgement queued reached the vendor's app; a repeat only where the send was in flight at the kill.
  expect(deliveries.missing).toEqual([]);
  expect(deliveries.unexpected).toEqual([]);
  expect(deliveries.repeatedNotInFlight).toEqual([]);
  expect(Number(cases.n)).toBe(ACCOUNTS);
  expect([...acks.values()].every((n) => n === 1) && acks.size === ACCOUNTS).toBe(true);
  // Console notices: every sent row logged, nothing logged twice except in-flight rows.
  expect(notices.missing).toEqual([]);
  expect(notices.repeats.filter((r) => r.extra > r.allowed)).toEqual([]);
  expect(Object.keys(status).every((k) => k.endsWith(':sent'))).toBe(true);
});

function diff(after: Record<string, number>, before: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(after).map(([k, v]) => [k, v - (before[k] ?? 0)]).filter(([, v]) => Number(v) > 0));
}
