// SPEC §3 and §6 through the real HTTP app, database and SLA ticker, on an injected clock (time is set, never
// waited for). One service for the file; each test has its own in-app account (= its own client) and moves the
// clock only forward, so earlier tests' clocks never fire into a later test's assertions (notices are filtered by
// case number anyway).
import type { ConsoleNotice } from '../../src/core/ports';
import { inappMessage, startTestService, type TestService } from '../support/service';
import { iso, msk } from '../support/clock';

let t: TestService;
let maria: string; // the dedicated manager
let boris: string; // the backup manager

beforeAll(async () => {
  t = await startTestService();
  const m = await t.admin('POST', '/api/v1/managers', { name: 'Maria Petrova', email: 'maria@vendor.test', timeZone: 'Europe/Moscow' });
  const b = await t.admin('POST', '/api/v1/managers', { name: 'Boris Ivanov', email: 'boris@vendor.test', timeZone: 'Europe/Moscow' });
  expect([m.status, b.status]).toEqual([201, 201]);
  maria = m.json.id;
  boris = b.json.id;
});
afterAll(() => t.close());


const moveTo = (at: Date) => t.clock.moveTo(at);

async function newClient(account: string, tier: 'premium' | 'standard' = 'premium') {
  const c = await t.admin('POST', '/api/v1/clients', { name: `Client ${account}`, tier, managerId: maria, backupManagerId: boris, inappAccountId: account });
  expect(c.status).toBe(201);
  return c.json.id as string;
}

async function send(account: string, text: string, over: Record<string, unknown> = {}) {
  const res = await t.inapp(inappMessage({ account: { id: account, name: `Client ${account}` }, user: { id: `${account}-user`, name: 'Cleo Client' }, text, ...over }));
  expect(res.status).toBe(200);
  return res.json;
}

async function getCase(number: number) {
  const res = await t.admin('GET', `/api/v1/cases/${number}`);
  expect(res.status).toBe(200);
  return res.json;
}

async function post(number: number, action: string, body: Record<string, unknown>) {
  const res = await t.admin('POST', `/api/v1/cases/${number}/${action}`, body);
  expect(res.status).toBe(200);
  return res.json.result;
}

/** Console notices delivered (after a drain) about one case. */
function notices(caseNumber: number, type?: ConsoleNotice['type']): ConsoleNotice[] {
  return t.notices.filter((n) => n.caseNumber === caseNumber && (!type || n.type === type));
}
const alertTypes = ['sla_warning', 'sla_breach', 'eta_missed'];
const alerts = (caseNumber: number) => notices(caseNumber).filter((n) => alertTypes.includes(n.type));

/** What the vendor's callback received for one account, in order. */
const received = (account: string) => t.callback.received.filter((r) => r.body.account?.id === account).map((r) => r.body);

async function tickAndDrain() {
  await t.tick();
  await t.drain();
}

const types = (timeline: { type: string }[]) => timeline.map((e) => e.type);

test('(c) warnings at 50 % and 80 %, each once, then a breach to the manager, the backup and the lead', async () => {
  await newClient('acct-warn');
  moveTo(msk('2026-11-23', '11:00')); // Monday
  const opened = await send('acct-warn', 'How do I rotate the API key?');
  const n = opened.case.number;
  expect((await getCase(n)).sla).toMatchObject({ state: 'running', dueAt: iso('2026-11-23', '12:00') });
  await t.drain();
  expect(alerts(n)).toEqual([]);

  moveTo(msk('2026-11-23', '11:29'));
  await tickAndDrain();
  expect(alerts(n)).toEqual([]);

  moveTo(msk('2026-11-23', '11:30'));
  await tickAndDrain();
  expect(alerts(n)).toHaveLength(1);
  expect(alerts(n)[0]).toMatchObject({ type: 'sla_warning', managerIds: [maria], toLead: false });
  expect(alerts(n)[0].text).toContain('50%');

  await tickAndDrain();
  moveTo(msk('2026-11-23', '11:40'));
  await tickAndDrain();
  expect(alerts(n)).toHaveLength(1);

  moveTo(msk('2026-11-23', '11:48'));
  await tickAndDrain();
  expect(alerts(n)).toHaveLength(2);
  expect(alerts(n)[1]).toMatchObject({ type: 'sla_warning', managerIds: [maria] });
  expect(alerts(n)[1].text).toContain('80%');
  await tickAndDrain();
  expect(alerts(n)).toHaveLength(2);

  moveTo(msk('2026-11-23', '12:01'));
  await tickAndDrain();
  expect(alerts(n)).toHaveLength(3);
  const breach = alerts(n)[2];
  expect(breach.type).toBe('sla_breach');
  expect(breach.toLead).toBe(true);
  expect([...breach.managerIds].sort()).toEqual([maria, boris].sort());

  moveTo(msk('2026-11-23', '13:00'));
  await tickAndDrain();
  expect(alerts(n)).toHaveLength(3);

  const kase = await getCase(n);
  expect(kase.sla.state).toBe('breached');
  expect(types(kase.timeline)).toEqual(expect.arrayContaining(['clock_started', 'clock_warned', 'clock_breached']));
  expect(kase.timeline.filter((e: { type: string }) => e.type === 'clock_warned').map((e: { fraction: number }) => e.fraction)).toEqual([0.5, 0.8]);
});

test('(d) after downtime only the most urgent pending warning is sent', async () => {
  await newClient('acct-downtime');
  moveTo(msk('2026-11-23', '14:00'));
  const n = (await send('acct-downtime', 'Where do I find the payout report?')).case.number;
  expect((await getCase(n)).sla.dueAt).toBe(iso('2026-11-23', '15:00'));

  moveTo(msk('2026-11-23', '14:50')); // the ticker was down through the 50 % and 80 % marks
  await tickAndDrain();
  expect(alerts(n)).toHaveLength(1);
  expect(alerts(n)[0].type).toBe('sla_warning');
  expect(alerts(n)[0].text).toContain('80%');
  await tickAndDrain();
  expect(alerts(n)).toHaveLength(1);

  const kase = await getCase(n);
  const skipped = kase.timeline.filter((e: { type: string }) => e.type === 'clock_warning_skipped');
  expect(skipped).toEqual([expect.objectContaining({ fraction: 0.5 })]);
});

test('(a) a request for details pauses the case; the client’s answer starts a new clock', async () => {
  await newClient('acct-details');
  moveTo(msk('2026-11-24', '11:00')); // Tuesday
  const n = (await send('acct-details', 'Postbacks from our tracker are rejected')).case.number;
  const first = await getCase(n);
  expect(first.sla).toMatchObject({ state: 'running', startedAt: iso('2026-11-24', '11:00'), dueAt: iso('2026-11-24', '12:00') });

  moveTo(msk('2026-11-24', '11:10'));
  const asked = await post(n, 'needinfo', { question: 'Which postback URL and which click id are you sending?', managerId: maria });
  expect(asked.sla).toBe('met');

  const waiting = await getCase(n);
  expect(waiting.status).toBe('waiting_on_client');
  expect(waiting.sla.state).toBe('paused');
  const clockMet = waiting.timeline.find((e: { type: string }) => e.type === 'clock_met');
  expect(clockMet.reason).toBe('details requested from the client');

  await t.drain();
  expect(received('acct-details').map((b) => b.kind)).toEqual(['ack', 'needinfo']);
  expect(received('acct-details')[1]).toMatchObject({ caseNumber: n, author: { name: 'Maria Petrova' } });

  // No clock runs while the case waits: passing the old due time raises nothing.
  moveTo(msk('2026-11-24', '14:00'));
  await tickAndDrain();
  expect(alerts(n)).toEqual([]);
  expect((await getCase(n)).sla.state).toBe('paused');

  // The client answers late in the day: one business hour runs 18:30–19:00 today and 10:00–10:30 tomorrow.
  moveTo(msk('2026-11-24', '18:30'));
  const answer = await send('acct-details', 'URL is https://tracker.example/pb?cid={clickid}, click id 8f3a');
  expect(answer.case).toMatchObject({ number: n, opened: false, reopened: false });
  const resumed = await getCase(n);
  expect(resumed.status).toBe('open');
  expect(resumed.sla).toMatchObject({ state: 'running', startedAt: iso('2026-11-24', '18:30'), dueAt: iso('2026-11-25', '10:30') });

  // The timeline explains it: paused by the request, resumed by the answer, a new clock with its reason.
  const tl = resumed.timeline as { type: string; reason: string; at: string; dueAt?: string }[];
  expect(types(tl)).toEqual(expect.arrayContaining(['waiting_on_client', 'resumed']));
  expect(tl.find((e) => e.type === 'resumed')!.reason).toBe('the client answered the request for details');
  const started = tl.filter((e) => e.type === 'clock_started');
  expect(started).toHaveLength(2);
  expect(started[1]).toMatchObject({ at: iso('2026-11-24', '18:30'), reason: 'the client answered the request for details', dueAt: iso('2026-11-25', '10:30') });
  expect(types(tl).indexOf('waiting_on_client')).toBeLessThan(types(tl).indexOf('resumed'));
});

test('(b) while an ETA stands client messages notify the manager but start no clock; a missed ETA alerts once', async () => {
  await newClient('acct-eta');
  moveTo(msk('2026-11-25', '11:00')); // Wednesday
  const n = (await send('acct-eta', 'The conversion report shows wrong numbers')).case.number;
  expect((await getCase(n)).urgency).toBe('high'); // "wrong numbers" is a high keyword

  moveTo(msk('2026-11-25', '11:05'));
  const eta = await post(n, 'eta', { when: '2h', managerId: maria, note: 'Recalculating the report.' });
  expect(eta.sla).toBe('met');
  const withEta = await getCase(n);
  expect(withEta.eta).toBe(iso('2026-11-25', '13:05'));
  expect(withEta.sla.state).toBe('met');
  await t.drain();

  moveTo(msk('2026-11-25', '11:30'));
  const more = await send('acct-eta', 'Any news? The numbers are still off.');
  expect(more.case).toMatchObject({ number: n, opened: false });
  moveTo(msk('2026-11-25', '12:00'));
  await send('acct-eta', 'Also the EU campaign is affected.');
  await t.drain();

  const clientMessages = notices(n, 'client_message');
  expect(clientMessages).toHaveLength(2);
  expect(clientMessages.every((m) => m.managerIds.includes(maria))).toBe(true);
  expect(clientMessages[0].text).toMatch(/ETA stands/);

  const standing = await getCase(n);
  expect(standing.sla.state).toBe('met');
  expect(standing.status).toBe('open');
  expect(standing.timeline.filter((e: { type: string; kind?: string }) => e.type === 'clock_started' && e.kind === 'response')).toHaveLength(1);
  // Only the acknowledgement and the ETA reached the client: the extra messages are not auto-answered.
  expect(received('acct-eta').map((b) => b.kind)).toEqual(['ack', 'eta']);

  moveTo(msk('2026-11-25', '13:04'));
  await tickAndDrain();
  expect(notices(n, 'eta_missed')).toEqual([]);

  moveTo(msk('2026-11-25', '13:06'));
  await tickAndDrain();
  expect(notices(n, 'eta_missed')).toHaveLength(1);
  expect(notices(n, 'eta_missed')[0]).toMatchObject({ toLead: true, managerIds: [maria] });
  await tickAndDrain();
  moveTo(msk('2026-11-25', '15:00'));
  await tickAndDrain();
  expect(notices(n, 'eta_missed')).toHaveLength(1);
  expect(alerts(n).map((a) => a.type)).toEqual(['eta_missed']);

  const missed = await getCase(n);
  expect(missed.etas).toEqual([expect.objectContaining({ revision: 1, state: 'missed' })]);
  expect(missed.timeline.find((e: { type: string; kind?: string }) => e.type === 'clock_missed' && e.kind === 'eta').reason).toBe('the ETA passed without a resolution');
});

test('(e) an urgency change recomputes the due time from the clock’s original start', async () => {
  await newClient('acct-urgency');
  moveTo(msk('2026-11-26', '11:00')); // Thursday
  const n = (await send('acct-urgency', 'How do I add a second domain?')).case.number;
  expect((await getCase(n)).sla).toMatchObject({ state: 'running', dueAt: iso('2026-11-26', '12:00') });

  moveTo(msk('2026-11-26', '11:20'));
  const high = await post(n, 'urgency', { urgency: 'high', managerId: maria, reason: 'a launch depends on it' });
  expect(high.urgency).toBe('high');
  const asHigh = await getCase(n);
  expect(asHigh.urgency).toBe('high');
  // 30 minutes from 11:00, not from 11:20: time already used stays used.
  expect(asHigh.sla).toMatchObject({ state: 'running', startedAt: iso('2026-11-26', '11:00'), dueAt: iso('2026-11-26', '11:30') });
  const recomputed = asHigh.timeline.find((e: { type: string }) => e.type === 'clock_recomputed');
  expect(recomputed).toMatchObject({ from: iso('2026-11-26', '12:00'), dueAt: iso('2026-11-26', '11:30') });
  expect(recomputed.reason).toContain('medium → high');

  // The moved deadline re-armed the warnings; the 50 % and 80 % marks (11:15, 11:24) are both past: one warning.
  moveTo(msk('2026-11-26', '11:25'));
  await tickAndDrain();
  expect(alerts(n)).toHaveLength(1);
  expect(alerts(n)[0].text).toContain('80%');

  // Lowering it to informational (5 business hours) moves the due time out again, still from 11:00.
  moveTo(msk('2026-11-26', '11:26'));
  await post(n, 'urgency', { urgency: 'informational', managerId: maria });
  expect((await getCase(n)).sla).toMatchObject({ state: 'running', startedAt: iso('2026-11-26', '11:00'), dueAt: iso('2026-11-26', '16:00') });
  moveTo(msk('2026-11-26', '11:35')); // past the old 11:30 due time: no breach
  await tickAndDrain();
  expect(notices(n, 'sla_breach')).toEqual([]);
});

test('(g) a plain reply is delivered with the manager’s name but does not stop the clock; a note is never delivered', async () => {
  await newClient('acct-reply');
  moveTo(msk('2026-11-26', '15:00'));
  const n = (await send('acct-reply', 'Can we get a second login for our accountant?')).case.number;
  await t.drain();

  moveTo(msk('2026-11-26', '15:05'));
  await post(n, 'reply', { text: 'Looking into it.', managerId: maria });
  const afterReply = await getCase(n);
  expect(afterReply.sla).toMatchObject({ state: 'running', dueAt: iso('2026-11-26', '16:00') });
  await t.drain();
  const bodies = received('acct-reply');
  expect(bodies.map((b) => b.kind)).toEqual(['ack', 'reply']);
  expect(bodies[1]).toMatchObject({ text: 'Looking into it.', author: { name: 'Maria Petrova' }, caseNumber: n });

  moveTo(msk('2026-11-26', '15:10'));
  await post(n, 'note', { text: 'Accountant logins need the owner’s approval.', managerId: maria });
  await t.drain();
  expect(received('acct-reply').map((b) => b.kind)).toEqual(['ack', 'reply']);
  expect(t.callback.received.some((r) => r.raw.includes('owner’s approval'))).toBe(false);

  // The clock kept running: the due time passing with only a plain reply is a breach.
  moveTo(msk('2026-11-26', '16:01'));
  await tickAndDrain();
  expect(notices(n, 'sla_breach')).toHaveLength(1);
  const kase = await getCase(n);
  expect(kase.sla.state).toBe('breached');
  expect(kase.messages.find((m: { kind: string }) => m.kind === 'note')).toMatchObject({ direction: 'note' });
});

test('(h) client text commands: /status, /urgency, /call and /feature', async () => {
  await newClient('acct-cmd', 'premium');
  await newClient('acct-cmd-std', 'standard');
  moveTo(msk('2026-11-27', '10:50')); // Friday
  // A standard client's request, older than the premium client's.
  const stdFeature = await send('acct-cmd-std', '/feature export to CSV');
  expect(stdFeature.status).toBe('command');

  moveTo(msk('2026-11-27', '11:00'));
  const n = (await send('acct-cmd', 'How do I set up the Android SDK?')).case.number;
  expect((await getCase(n)).sla.dueAt).toBe(iso('2026-11-27', '12:00'));
  await t.drain();
  const seen = () => received('acct-cmd');
  const last = () => seen()[seen().length - 1];

  const status = await send('acct-cmd', '/status');
  expect(status.status).toBe('command');
  await t.drain();
  expect(last().kind).toBe('status');
  expect(last().text).toContain(`#${n}`);
  expect(last().text).toContain('medium, open');

  moveTo(msk('2026-11-27', '11:10'));
  expect((await send('acct-cmd', '/urgency high')).status).toBe('command');
  const raised = await getCase(n);
  expect(raised.urgency).toBe('high');
  expect(raised.urgencySource).toBe('client');
  expect(raised.sla).toMatchObject({ state: 'running', startedAt: iso('2026-11-27', '11:00'), dueAt: iso('2026-11-27', '11:30') });
  await t.drain();
  expect(last().text).toContain(`Case #${n} is now high`);
  expect(last().text).toContain('Fri 27 Nov 2026, 11:30 (Europe/Moscow)');

  // Today is less than one working day ahead: refused, with the earliest slot (Fri 11:10 + 9 working hours → Mon 11:10, rounded to 11:15).
  const casesBefore = (await t.admin('GET', '/api/v1/cases?kind=call')).json.cases.length;
  expect((await send('acct-cmd', '/call today 17:00')).status).toBe('command');
  await t.drain();
  expect(last().kind).toBe('call');
  expect(last().text).toMatch(/can't book a call/);
  expect(last().text).toContain('earliest possible slot is Mon 30 Nov 2026, 11:15 (Europe/Moscow)');
  expect((await t.admin('GET', '/api/v1/cases?kind=call')).json.cases).toHaveLength(casesBefore);
  // The earliest slot itself is accepted.
  await send('acct-cmd', '/call 2026-11-30T11:15');
  await t.drain();
  expect(last().text).toMatch(/^Call requested for Mon 30 Nov 2026, 11:15/);
  expect((await t.admin('GET', '/api/v1/cases?kind=call')).json.cases).toHaveLength(casesBefore + 1);

  moveTo(msk('2026-11-27', '11:20'));
  expect((await send('acct-cmd', '/feature dark mode')).status).toBe('command');
  await t.drain();
  expect(last().kind).toBe('feature');
  const filed = /case #(\d+)/.exec(last().text);
  expect(filed).not.toBeNull();
  const featureCase = await getCase(Number(filed![1]));
  expect(featureCase).toMatchObject({ kind: 'feature', urgency: 'feature', status: 'open', managerId: maria });
  expect(Number(filed![1])).not.toBe(n);

  const features = (await t.admin('GET', '/api/v1/features')).json.features as { text: string; tier: string; caseNumber: number }[];
  const dark = features.findIndex((f) => f.text === 'dark mode');
  const csv = features.findIndex((f) => f.text === 'export to CSV');
  expect(dark).toBeGreaterThanOrEqual(0);
  expect(csv).toBeGreaterThanOrEqual(0);
  expect(features[dark]).toMatchObject({ tier: 'premium', caseNumber: featureCase.number });
  expect(features[csv].tier).toBe('standard');
  expect(dark).toBeLessThan(csv); // premium first, although the standard request is older

  // The support case is untouched by the commands (apart from its urgency), and /status now lists both open cases.
  await send('acct-cmd', '/status');
  await t.drain();
  expect(last().text).toContain(`#${n}`);
  expect(last().text).toContain(`#${featureCase.number}`);
});

test('(f) a message within the reopen window reopens the case with a new clock; after it, a new case opens', async () => {
  await newClient('acct-reopen');
  moveTo(msk('2026-11-30', '11:00')); // Monday
  const n = (await send('acct-reopen', 'How do I change the payout currency?')).case.number;
  moveTo(msk('2026-11-30', '11:20'));
  await post(n, 'resolve', { managerId: maria, summary: 'Settings → Billing → Currency.' });
  expect((await getCase(n)).status).toBe('resolved');

  moveTo(msk('2026-12-03', '11:20')); // 3 days later
  const again = await send('acct-reopen', 'The currency setting is greyed out for me.');
  expect(again.case).toMatchObject({ number: n, opened: false, reopened: true });
  const reopened = await getCase(n);
  expect(reopened.status).toBe('open');
  expect(reopened.resolvedAt).toBeNull();
  expect(reopened.sla).toMatchObject({ state: 'running', startedAt: iso('2026-12-03', '11:20'), dueAt: iso('2026-12-03', '12:20') });
  expect(types(reopened.timeline)).toContain('reopened');
  expect(reopened.timeline.filter((e: { type: string }) => e.type === 'clock_started')).toHaveLength(2);
  await t.drain();
  const acks = received('acct-reopen').filter((b) => b.kind === 'ack');
  expect(acks).toHaveLength(2);
  expect(acks[1].text).toContain(`We reopened case #${n}`);

  moveTo(msk('2026-12-03', '11:40'));
  await post(n, 'resolve', { managerId: maria, summary: 'Needed the owner role.' });
  moveTo(msk('2026-12-11', '11:40')); // 8 days after that resolution
  const later = await send('acct-reopen', 'New question: can we export invoices?');
  expect(later.case.opened).toBe(true);
  expect(later.case.number).not.toBe(n);
  expect((await getCase(n)).status).toBe('resolved');
  expect(await getCase(later.case.number)).toMatchObject({ status: 'open', sla: { state: 'running', dueAt: iso('2026-12-11', '12:40') } });
});
