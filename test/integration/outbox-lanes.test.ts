// One slow endpoint must not delay everything. The background drainer keeps claiming and sending while earlier
// sends are in flight, client deliveries time out in (here) a second, and console notices have a lane of their own,
// so a vendor endpoint that accepts the connection and hangs delays neither an SLA alert nor another client's
// callback. Notices about no case (new clients) are not queued behind each other.
// These run the real job loops on real timers, with the send timeout set short through the service options; SLA
// time is still the injected clock. Every wait is bounded well under the time a hung send would take.
import { and, eq } from 'drizzle-orm';
import * as s from '../../src/db/schema';
import { drainOutbox } from '../../src/core/delivery';
import { inappMessage, startTestService, type TestService } from '../support/service';
import { msk } from '../support/clock';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function waitFor(what: string, ok: () => boolean | Promise<boolean>, ms: number) {
  for (const until = Date.now() + ms; !(await ok()); await sleep(5)) if (Date.now() > until) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
}

async function service(): Promise<{ t: TestService; maria: string }> {
  // Two sends in flight per lane, a one-second send timeout, loops polling every 20 ms. The tests jump the SLA clock
  // by an hour while sends hang; a lease longer than that keeps those sends from being taken over (not the subject).
  const t = await startTestService({ jobs: { pollMs: 20, tickMs: 20, batch: 2, leaseMs: 2 * 3600_000 }, delivery: { sendTimeoutMs: 1000 } });
  t.clock.moveTo(msk('2026-11-23', '11:00'));
  const maria = (await t.admin('POST', '/api/v1/managers', { name: 'Maria Petrova' })).json.id as string;
  return { t, maria };
}

async function open(t: TestService, maria: string, account: string) {
  expect((await t.admin('POST', '/api/v1/clients', { name: `Client ${account}`, tier: 'premium', managerId: maria, inappAccountId: account })).status).toBe(201);
  const res = await t.inapp(inappMessage({ account: { id: account }, user: { id: `${account}-u`, name: 'Ann' }, text: 'Hello?' }));
  expect(res.status).toBe(200);
  return { caseId: res.json.case.id as string, number: res.json.case.number as number };
}

const HANG = { status: 200, holdMs: 10_000 };

test('a callback endpoint that hangs delays neither an SLA alert nor another client\'s callback, and its send times out in a second', async () => {
  const { t, maria } = await service();
  try {
    const other = await open(t, maria, 'acct-other');
    await t.drain();
    t.callback.respondWith(HANG);
    const hung = await open(t, maria, 'acct-hung');
    t.jobs.start();
    await waitFor('the hanging send', () => t.callback.held.length === 1, 1000);

    // While it hangs: the other client's clock reaches its 50 % warning, and its manager replies.
    t.clock.moveTo(msk('2026-11-23', '11:31'));
    expect((await t.admin('POST', `/api/v1/cases/${other.number}/reply`, { text: 'On it', managerId: maria })).status).toBe(200);
    const started = Date.now();
    await waitFor('the alert and the reply', () =>
      t.notices.some((n) => n.type === 'sla_warning' && n.caseNumber === other.number) &&
      t.callback.received.some((r) => r.body.account?.id === 'acct-other' && r.body.kind === 'reply'), 700);
    expect(Date.now() - started).toBeLessThan(700);

    // The hung send is abandoned at its deadline and set aside for a retry (its retries hang too); nothing was delivered.
    // The warning is the lasting evidence: the row itself moves between pending and sending as it is retried.
    await waitFor('the hung send to time out', () =>
      t.log.entries.some((e) => e.msg === 'delivery failed; will retry' && (e.obj as { caseId?: string; err?: string }).caseId === hung.caseId &&
        /did not answer in time/.test(String((e.obj as { err?: string }).err))), 5000);
    expect(t.callback.received.filter((r) => r.body.account?.id === 'acct-hung')).toEqual([]);
  } finally {
    await t.close();
  }
});

test('SLA alerts go out while every client delivery slot is taken by hanging callbacks', async () => {
  const { t, maria } = await service();
  try {
    const watched = await open(t, maria, 'acct-watched');
    await t.drain();
    t.callback.respondWith(HANG, HANG);
    await open(t, maria, 'acct-hung-1');
    await open(t, maria, 'acct-hung-2');
    t.jobs.start();
    await waitFor('the client slots to hang', () => t.callback.held.length >= 1, 1000);
    await sleep(100);

    t.clock.moveTo(msk('2026-11-23', '12:01'));
    await waitFor('the breach alert', () => t.notices.some((n) => n.type === 'sla_breach' && n.caseNumber === watched.number), 700);
    // Both client slots were hanging all along (their sends time out only after a second).
    expect(t.callback.held).toHaveLength(2);
    expect(t.callback.received.filter((r) => /^acct-hung/.test(r.body.account?.id))).toEqual([]);
  } finally {
    await t.close();
  }
});

test('50 new-client notices all go out in one drain pass', async () => {
  const t = await startTestService();
  try {
    for (let i = 0; i < 50; i++) {
      const res = await t.inapp(inappMessage({ account: { id: `newcomer-${i}`, name: `Newcomer ${i}` }, user: { id: `n-${i}`, name: 'Nina' }, text: 'Hi, we just signed up' }));
      expect(res.status).toBe(200);
    }
    await drainOutbox(t.core, { channels: t.channels, console: t.console }, { limit: 100, leaseMs: 15_000 });
    expect(t.notices.filter((n) => n.type === 'new_client')).toHaveLength(50);
  } finally {
    await t.close();
  }
});
