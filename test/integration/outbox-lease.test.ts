// The outbox lease (ARCHITECTURE §8: several instances share one database). A claimed row is an instance's for a
// short lease, renewed while its send is in flight: a slow send is never taken over by another instance (which
// would deliver it a second time), while the rows of an instance that died are picked up within seconds. What a
// crash can repeat is only a send that was in flight, and it repeats with the same id for the client to dedupe on.
// The callback server holds requests in real time (well under a second); the lease runs on the injected clock.
import { eq } from 'drizzle-orm';
import * as s from '../../src/db/schema';
import { CallbackServer } from '../support/callback-server';
import { openTestDatabase, type TestDatabase } from '../support/db';
import { inappMessage, startTestService, type TestService } from '../support/service';

let db: TestDatabase;
let callback: CallbackServer;
let a: TestService;
let b: TestService;
let crashed: TestService;
let maria: string;

const second = async () => Object.assign(await db.second(), { second: db.second, url: db.url });

beforeAll(async () => {
  db = await openTestDatabase();
  callback = await new CallbackServer().start();
  // Renewals every 25 ms of real time, so a test can wait for a few of them.
  a = await startTestService({ db, callback, jobs: { renewMs: 25 } });
  b = await startTestService({ db: await second(), callback, jobs: { renewMs: 25 } });
  // An instance that stops renewing as a killed process would: it never gets round to it during a test.
  crashed = await startTestService({ db: await second(), callback, jobs: { renewMs: 600_000 } });
  b.core.clock = a.core.clock;
  crashed.core.clock = a.core.clock;
  const m = await a.admin('POST', '/api/v1/managers', { name: 'Maria Petrova' });
  maria = m.json.id;
});
afterAll(async () => {
  await a.close();
  await b.close();
  await crashed.close();
  await callback.stop();
  await db.close();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function waitFor(what: string, ok: () => boolean, ms = 2000) {
  for (const until = Date.now() + ms; !ok(); await sleep(5)) if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
}

async function open(account: string) {
  expect((await a.admin('POST', '/api/v1/clients', { name: `Client ${account}`, tier: 'premium', managerId: maria, inappAccountId: account })).status).toBe(201);
  const res = await a.inapp(inappMessage({ account: { id: account }, user: { id: `${account}-u`, name: 'Ann' }, text: 'Hello?' }));
  expect(res.status).toBe(200);
  // Console notices go to each instance's own log console; only the client's acknowledgement matters here.
  await a.db.db.delete(s.outbox).where(eq(s.outbox.target, 'console'));
  return res.json.case.id as string;
}
const receivedBy = (account: string) => callback.received.filter((r) => r.body.account?.id === account);

test('a send slower than the lease keeps it: another instance does not take the row, and the client gets it once', async () => {
  await open('acct-slow');
  callback.respondWith({ status: 200, holdMs: 600 });
  const heldBefore = callback.held.length;
  const sending = a.drain();
  await waitFor('the send to be in flight', () => callback.held.length > heldBefore);

  // Far past any lease as first claimed; the renewals (on the same clock) keep it ahead.
  a.clock.advance(61_000);
  await sleep(150);
  expect(await b.drain()).toEqual({ sent: 0, retried: 0, failed: 0 });
  expect(await sending).toMatchObject({ sent: 1 });
  expect(receivedBy('acct-slow')).toHaveLength(1);
});

test('the rows of an instance that died mid-send are delivered by another within seconds, with the same id', async () => {
  const caseId = await open('acct-crash');
  callback.respondWith({ status: 200, holdMs: 1000 });
  const heldBefore = callback.held.length;
  const dying = crashed.drain();
  await waitFor('the send to be in flight', () => callback.held.length > heldBefore);
  const inFlight = callback.held.at(-1)!;

  // Within the lease the row is still the dead instance's...
  a.clock.advance(10_000);
  expect((await b.drain()).sent).toBe(0);
  // ...and seconds later it is picked up, not a minute later.
  a.clock.advance(6_000);
  expect((await b.drain()).sent).toBe(1);
  const got = receivedBy('acct-crash');
  expect(got.length).toBeGreaterThanOrEqual(1);
  expect(got[0].body.id).toBe(inFlight.body.id);
  expect(got[0].headers['idempotency-key']).toBe(inFlight.body.id);

  // The late answer to the dead instance's send is not recorded over the live instance's result.
  expect((await dying).sent).toBe(0);
  const [row] = await a.db.db.select().from(s.outbox).where(eq(s.outbox.caseId, caseId));
  expect(row).toMatchObject({ status: 'sent', attempts: 1, leaseToken: null });
  // Everything that reached the client carries one id: the repeat of the in-flight send is the client's to drop.
  expect(new Set(receivedBy('acct-crash').map((r) => r.body.id))).toEqual(new Set([inFlight.body.id]));
});
