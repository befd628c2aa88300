// SPEC §8: a platform that fails or rate-limits. Outbound messages wait in the durable outbox and are retried with
// backoff (honouring Retry-After); after the deadline the failure is reported to the manager and kept on the case
// timeline, never dropped silently; permanent refusals are reported at once; one conversation stays in order.
// The vendor's callback is the local CallbackServer, scripted per test; time is the injected clock.
import { and, asc, eq } from 'drizzle-orm';
import * as s from '../../src/db/schema';
import { inappMessage, startTestService, type TestService } from '../support/service';

let t: TestService;
let maria: string;

beforeAll(async () => {
  t = await startTestService();
  const m = await t.admin('POST', '/api/v1/managers', { name: 'Maria Petrova', email: 'maria@vendor.test', timeZone: 'Europe/Moscow' });
  expect(m.status).toBe(201);
  maria = m.json.id;
});
afterAll(() => t.close());

// Every test must leave the callback's script empty and the outbox drained, so the next one starts clean.
afterEach(async () => {
  await t.drain();
});

async function open(account: string, text = 'How do I configure the postback URL?') {
  const c = await t.admin('POST', '/api/v1/clients', { name: `Client ${account}`, tier: 'premium', managerId: maria, inappAccountId: account });
  expect(c.status).toBe(201);
  const res = await t.inapp(inappMessage({ account: { id: account, name: `Client ${account}` }, user: { id: `${account}-user`, name: 'Cleo Client' }, text }));
  expect(res.status).toBe(200);
  expect(res.json.status).toBe('stored');
  return { caseId: res.json.case.id as string, number: res.json.case.number as number };
}

/** The client-bound outbox rows of a case, oldest first (read straight from the database). */
function clientRows(caseId: string) {
  return t.db.db.select().from(s.outbox).where(and(eq(s.outbox.caseId, caseId), eq(s.outbox.target, 'client'))).orderBy(asc(s.outbox.id));
}

const received = (account: string) => t.callback.received.filter((r) => r.body.account?.id === account);

async function getCase(number: number) {
  const res = await t.admin('GET', `/api/v1/cases/${number}`);
  expect(res.status).toBe(200);
  return res.json;
}

test('429 with Retry-After: 30 is retried no sooner than 30 s later, then delivered exactly once', async () => {
  t.callback.respondWith({ status: 429, headers: { 'retry-after': '30' } });
  const refusedBefore = t.callback.refused;
  const { caseId } = await open('acct-429');

  const first = await t.drain();
  expect(first.retried).toBe(1);
  expect(first.failed).toBe(0);
  expect(t.callback.refused).toBe(refusedBefore + 1);
  expect(received('acct-429')).toHaveLength(0);
  const [waiting] = await clientRows(caseId);
  expect(waiting).toMatchObject({ status: 'pending', attempts: 1 });
  expect(waiting.lastError).toMatch(/429/);
  expect(waiting.nextAttemptAt.getTime()).toBe(t.clock.now().getTime() + 30_000);

  t.clock.advance(10_000);
  const early = await t.drain();
  expect(early).toEqual({ sent: 0, retried: 0, failed: 0 });
  expect(t.callback.refused).toBe(refusedBefore + 1);
  expect(received('acct-429')).toHaveLength(0);

  t.clock.advance(21_000);
  const later = await t.drain();
  expect(later).toMatchObject({ sent: 1, retried: 0, failed: 0 });
  expect(received('acct-429')).toHaveLength(1);
  const ack = received('acct-429')[0];
  expect(ack.body.kind).toBe('ack');
  // Signed at the time it was actually sent, so the vendor's 5-minute window check passes on a retry too.
  expect(ack.headers['x-switchboard-timestamp']).toBe(String(Math.floor(t.clock.now().getTime() / 1000)));
  expect(ack.headers['idempotency-key']).toBe(`outbox-${waiting.id}`);

  t.clock.advance(60_000);
  await t.drain();
  expect(received('acct-429')).toHaveLength(1);
  expect((await clientRows(caseId))[0]).toMatchObject({ status: 'sent', attempts: 2 });
});

test('500 until the deadline: the row expires, the manager is told and the timeline says why', async () => {
  const refusedBefore = t.callback.refused;
  const { caseId, number } = await open('acct-500');
  const [row] = await clientRows(caseId);
  const deadline = row.deadlineAt.getTime();
  expect(deadline - t.clock.now().getTime()).toBe(24 * 3600_000);

  // One scripted 500 per attempt; hourly steps are longer than any backoff, so every drain makes exactly one attempt.
  let attempts = 0;
  let status = 'pending';
  for (let step = 0; step < 30 && status === 'pending'; step++) {
    if (step) t.clock.advance(3600_000);
    t.callback.respondWith({ status: 500 });
    await t.drain();
    attempts++;
    expect(t.callback.refused).toBe(refusedBefore + attempts);
    status = (await clientRows(caseId))[0].status;
    if (status === 'pending') expect(t.clock.now().getTime()).toBeLessThan(deadline);
  }
  expect(status).toBe('expired');
  expect(t.clock.now().getTime()).toBeGreaterThanOrEqual(deadline - 3600_000);
  expect(attempts).toBeGreaterThan(20);
  expect(received('acct-500')).toHaveLength(0);

  const [expired] = await clientRows(caseId);
  expect(expired).toMatchObject({ status: 'expired', attempts });
  expect(expired.lastError).toMatch(/500/);

  const notices = t.notices.filter((n) => n.type === 'delivery_failed' && n.caseNumber === number);
  expect(notices).toHaveLength(1);
  expect(notices[0].managerIds).toEqual([maria]);
  expect(notices[0].text).toMatch(/500/);

  const failed = (await getCase(number)).timeline.filter((e: { type: string }) => e.type === 'delivery_failed');
  expect(failed).toHaveLength(1);
  expect(failed[0]).toMatchObject({ target: 'client', channel: 'inapp', outboxId: expired.id });
  expect(failed[0].reason).toMatch(/deadline/);
  expect(failed[0].reason).toMatch(/callback answered 500/);

  // Given up means given up: no further attempts, and later messages on the conversation are not blocked by it.
  t.clock.advance(3600_000);
  await t.drain();
  expect(t.callback.refused).toBe(refusedBefore + attempts);
  const reply = await t.admin('POST', `/api/v1/cases/${number}/reply`, { text: 'Sorry for the silence — are you still seeing this?', managerId: maria });
  expect(reply.status).toBe(200);
  await t.drain();
  expect(received('acct-500').map((r) => r.body.kind)).toEqual(['reply']);
});

test('400 is a permanent refusal: reported at once, never retried', async () => {
  t.callback.respondWith({ status: 400 });
  const refusedBefore = t.callback.refused;
  const { caseId, number } = await open('acct-400');

  const stats = await t.drain();
  expect(stats.failed).toBe(1);
  expect(stats.retried).toBe(0);
  expect(t.callback.refused).toBe(refusedBefore + 1);
  const [row] = await clientRows(caseId);
  expect(row).toMatchObject({ status: 'failed', attempts: 1 });

  const notices = t.notices.filter((n) => n.type === 'delivery_failed' && n.caseNumber === number);
  expect(notices).toHaveLength(1);
  expect(notices[0].text).toMatch(/400/);
  const failed = (await getCase(number)).timeline.filter((e: { type: string }) => e.type === 'delivery_failed');
  expect(failed).toHaveLength(1);
  expect(failed[0].reason).toBe('callback refused the message with 400');

  t.clock.advance(3600_000);
  await t.drain();
  expect(t.callback.refused).toBe(refusedBefore + 1);
  expect(received('acct-400')).toHaveLength(0);
  expect((await clientRows(caseId))[0].status).toBe('failed');
});

test('messages to one conversation are delivered in order even when the first needed a retry', async () => {
  t.callback.respondWith({ status: 503, headers: { 'retry-after': '20' } });
  const { caseId, number } = await open('acct-order');
  // Two more messages queue behind the acknowledgement before its retry is due.
  t.clock.advance(1_000);
  expect((await t.admin('POST', `/api/v1/cases/${number}/reply`, { text: 'First reply', managerId: maria })).status).toBe(200);
  t.clock.advance(1_000);
  expect((await t.admin('POST', `/api/v1/cases/${number}/reply`, { text: 'Second reply', managerId: maria })).status).toBe(200);

  const first = await t.drain();
  expect(first.retried).toBe(1);
  // The replies are due, but nothing overtakes the acknowledgement that is waiting for its retry.
  expect(received('acct-order')).toHaveLength(0);
  expect((await clientRows(caseId)).map((r) => r.status)).toEqual(['pending', 'pending', 'pending']);

  t.clock.advance(10_000);
  await t.drain();
  expect(received('acct-order')).toHaveLength(0);

  t.clock.advance(20_000);
  await t.drain();
  const got = received('acct-order');
  expect(got.map((r) => r.body.kind)).toEqual(['ack', 'reply', 'reply']);
  expect(got.map((r) => r.body.text).slice(1)).toEqual(['First reply', 'Second reply']);
  expect((await clientRows(caseId)).map((r) => r.status)).toEqual(['sent', 'sent', 'sent']);
  expect(t.callback.received.slice(-3).map((r) => r.body.account.id)).toEqual(['acct-order', 'acct-order', 'acct-order']);
});
