// The admin REST API (SPEC §7) as a vendor admin meets it, through the real HTTP app and database on an injected
// clock: calendars and policies, contacts and identities, manager away/back and on-call cover (SPEC §4), SLA
// reports, the case queue, funnel activations and the feature queue (SPEC §6), metrics and health.
// One service for the file; every test has its own in-app accounts (= its own clients) and moves the shared clock
// only forward, each test on its own stretch of the calendar (see `moveTo` calls), so one test's clocks and cases
// never leak into another's figures.
import type { ConsoleNotice } from '../../src/core/ports';
import { usingPostgres } from '../support/db';
import { ADMIN_TOKEN, inappMessage, startTestService, type TestService } from '../support/service';
import { iso, msk } from '../support/clock';

let t: TestService;
let maria: string; // the dedicated manager of most clients here
let boris: string; // their backup

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

async function newManager(name: string, extra: Record<string, unknown> = {}) {
  const res = await t.admin('POST', '/api/v1/managers', { name, email: `${name.split(' ')[0].toLowerCase()}@vendor.test`, timeZone: 'Europe/Moscow', ...extra });
  expect(res.status).toBe(201);
  return res.json.id as string;
}

async function newClient(account: string | null, fields: Record<string, unknown> = {}) {
  const res = await t.admin('POST', '/api/v1/clients', {
    name: `Client ${account}`, tier: 'premium', managerId: maria, backupManagerId: boris, inappAccountId: account, ...fields,
  });
  expect(res.status).toBe(201);
  return res.json.id as string;
}

async function send(account: string, text: string, over: Record<string, unknown> = {}) {
  const res = await t.inapp(inappMessage({ account: { id: account, name: `Client ${account}` }, user: { id: `${account}-user`, name: 'Cleo Client' }, text, ...over }));
  expect(res.status).toBe(200);
  return res.json;
}

/** Opens a case and returns its number. */
async function open(account: string, text: string, over: Record<string, unknown> = {}): Promise<number> {
  const res = await send(account, text, over);
  expect(res.status).toBe('stored');
  expect(res.case.opened).toBe(true);
  return res.case.number;
}

async function getCase(ref: number | string) {
  const res = await t.admin('GET', `/api/v1/cases/${ref}`);
  expect(res.status).toBe(200);
  return res.json;
}

async function post(number: number, action: string, body: Record<string, unknown>) {
  const res = await t.admin('POST', `/api/v1/cases/${number}/${action}`, body);
  expect(res.status).toBe(200);
  return res.json.result;
}

/** What the vendor's callback received for one account, in order. */
const received = (account: string) => t.callback.received.filter((r) => r.body.account?.id === account).map((r) => r.body);
const last = (account: string) => received(account)[received(account).length - 1];

/** Console notices delivered (after a drain) about one case. */
const notices = (caseNumber: number, type?: ConsoleNotice['type']) => t.notices.filter((n) => n.caseNumber === caseNumber && (!type || n.type === type));

const types = (timeline: { type: string }[]) => timeline.map((e) => e.type);

const WEEKDAYS_9_TO_5 = { mon: [['09:00', '17:00']], tue: [['09:00', '17:00']], wed: [['09:00', '17:00']], thu: [['09:00', '17:00']], fri: [['09:00', '17:00']] };

test('calendars and policies: create, validate, update, read the SPEC defaults; a client’s inline calendar and policy set its due times', async () => {
  moveTo(msk('2026-11-23', '11:00')); // Monday

  // A calendar with a night interval that crosses midnight and a holiday.
  const spec = { zone: 'Europe/Berlin', week: { ...WEEKDAYS_9_TO_5, sat: [['22:00', '02:00']] }, holidays: ['2026-12-25'] };
  const created = await t.admin('POST', '/api/v1/calendars', { name: 'Berlin office', spec });
  expect(created.status).toBe(201);
  expect(created.json).toMatchObject({ id: expect.any(String), name: 'Berlin office', spec });
  const calendarId = created.json.id;

  const bad = await t.admin('POST', '/api/v1/calendars', { name: 'Broken', spec: { zone: 'Mars/Olympus', week: { mon: [['09:00', '25:00']] }, holidays: [] } });
  expect(bad.status).toBe(400);
  expect(bad.json.error).toMatch(/zone: unknown IANA time zone "Mars\/Olympus"/);
  expect(bad.json.error).toMatch(/week\.mon\[0\]: bad time "25:00"/);
  expect((await t.admin('POST', '/api/v1/calendars', { spec })).status).toBe(400); // a name is required
  const listed = await t.admin('GET', '/api/v1/calendars');
  expect(listed.json.calendars.map((c: { name: string }) => c.name)).not.toContain('Broken');

  const winter = { ...spec, holidays: ['2026-12-24', '2026-12-25'] };
  const patched = await t.admin('PATCH', `/api/v1/calendars/${calendarId}`, { name: 'Berlin office (winter)', spec: winter });
  expect(patched.status).toBe(200);
  expect(patched.json).toMatchObject({ id: calendarId, name: 'Berlin office (winter)', spec: winter });
  const badPatch = await t.admin('PATCH', `/api/v1/calendars/${calendarId}`, { spec: { ...winter, week: { mon: [['9am', '17:00']] } } });
  expect(badPatch.status).toBe(400);
  expect(badPatch.json.error).toContain('"9am"');
  expect((await t.admin('GET', `/api/v1/calendars/${calendarId}`)).json).toMatchObject({ name: 'Berlin office (winter)', spec: winter });
  expect((await t.admin('PATCH', '/api/v1/calendars/00000000-0000-4000-8000-000000000000', { name: 'x' })).status).toBe(404);

  // SPEC §3 defaults.
  const defCal = await t.admin('GET', '/api/v1/calendars/default');
  expect(defCal.status).toBe(200);
  expect(defCal.json.spec).toEqual({
    zone: 'Europe/Moscow',
    week: { mon: [['10:00', '19:00']], tue: [['10:00', '19:00']], wed: [['10:00', '19:00']], thu: [['10:00', '19:00']], fri: [['10:00', '19:00']] },
    holidays: [],
  });
  const defPol = await t.admin('GET', '/api/v1/policies/default');
  expect(defPol.status).toBe(200);
  expect(defPol.json.spec).toEqual({
    targets: {
      critical: { minutes: 15, hours: '24x7' },
      high: { minutes: 30, hours: 'business' },
      medium: { minutes: 60, hours: 'business' },
      low: { minutes: 60, hours: 'business' },
      informational: { minutes: 300, hours: 'business' },
      feature: { minutes: 300, hours: 'business' },
    },
    warnAt: [0.5, 0.8],
    plainReplyCounts: false,
    reopenDays: 7,
  });

  // A stored policy overriding one target is completed from the defaults.
  const pol = await t.admin('POST', '/api/v1/policies', { name: 'Gold', spec: { targets: { high: { minutes: 45, hours: 'business' } }, reopenDays: 14 } });
  expect(pol.status).toBe(201);
  expect(pol.json.spec).toMatchObject({ targets: { high: { minutes: 45, hours: 'business' }, critical: { minutes: 15, hours: '24x7' } }, reopenDays: 14, warnAt: [0.5, 0.8] });
  const badPol = await t.admin('POST', '/api/v1/policies', { name: 'Broken', spec: { targets: { urgent: { minutes: 10, hours: '24x7' }, high: { minutes: -5, hours: 'weekly' } } } });
  expect(badPol.status).toBe(400);
  expect(badPol.json.error).toContain('unknown urgency "urgent"');
  expect(badPol.json.error).toContain('targets.high.minutes must be a positive number');
  expect(badPol.json.error).toContain('targets.high.hours must be "business" or "24x7"');
  const polPatched = await t.admin('PATCH', `/api/v1/policies/${pol.json.id}`, { spec: { targets: { high: { minutes: 40, hours: 'business' } } } });
  expect(polPatched.status).toBe(200);
  expect(polPatched.json.spec.targets.high).toEqual({ minutes: 40, hours: 'business' });
  expect(polPatched.json.spec.reopenDays).toBe(7);

  // A client with its own calendar (New York, 9–5) and policy (medium: 2 business hours), given inline.
  const nyCalendar = { zone: 'America/New_York', week: WEEKDAYS_9_TO_5, holidays: [] };
  const nyPolicy = { targets: { medium: { minutes: 120, hours: 'business' } } };
  const client = await t.admin('POST', '/api/v1/clients', {
    name: 'Hudson Analytics', tier: 'premium', managerId: maria, inappAccountId: 'adm-cal-ny', calendar: nyCalendar, policy: nyPolicy,
  });
  expect(client.status).toBe(201);
  expect(client.json).toMatchObject({ name: 'Hudson Analytics', tier: 'premium', managerId: maria, inappAccountId: 'adm-cal-ny', calendar: nyCalendar, policy: nyPolicy });
  const clientId = client.json.id;
  expect((await t.admin('GET', `/api/v1/clients/${clientId}`)).json).toMatchObject({ id: clientId, calendar: nyCalendar, policy: nyPolicy });
  const badClient = await t.admin('POST', '/api/v1/clients', { name: 'Bad Cal', calendar: { zone: 'America/Nowhere', week: {}, holidays: [] } });
  expect(badClient.status).toBe(400);
  expect(badClient.json.error).toContain('calendar: zone: unknown IANA time zone');

  // Monday 11:00 in Moscow is 03:00 in New York: the 2 business hours run 09:00–11:00 New York time (EST, UTC−5).
  const n = await open('adm-cal-ny', 'How do I export the monthly report?');
  const kase = await getCase(n);
  expect(kase.urgency).toBe('medium');
  expect(kase.sla).toEqual({ state: 'running', startedAt: '2026-11-23T08:00:00.000Z', dueAt: '2026-11-23T16:00:00.000Z' });
  await t.drain();
  const ack = last('adm-cal-ny');
  expect(ack.kind).toBe('ack');
  expect(ack.text).toContain('You will get a response by Mon 23 Nov 2026, 11:00 (America/New_York)');
  expect(ack.text).toContain('next available Mon 23 Nov 2026, 09:00 (America/New_York)');

  // Back to the defaults.
  const reset = await t.admin('PATCH', `/api/v1/clients/${clientId}`, { calendar: null });
  expect(reset.status).toBe(200);
  expect(reset.json).toMatchObject({ id: clientId, calendar: null, policy: nyPolicy });
  const resetPolicy = await t.admin('PATCH', `/api/v1/clients/${clientId}`, { policy: null });
  expect(resetPolicy.json).toMatchObject({ calendar: null, policy: null });
  expect((await t.admin('GET', `/api/v1/clients/${clientId}`)).json).toMatchObject({ calendar: null, policy: null, name: 'Hudson Analytics' });
  // The case's running clock keeps its stored due time...
  expect((await getCase(n)).sla.dueAt).toBe('2026-11-23T16:00:00.000Z');
  // ...and the next clock is counted in the default calendar and policy (Moscow, 1 business hour for medium).
  moveTo(msk('2026-11-23', '11:02'));
  await post(n, 'resolve', { managerId: maria, summary: 'Reports → Export.' });
  moveTo(msk('2026-11-23', '11:05'));
  const again = await send('adm-cal-ny', 'And the weekly one?');
  expect(again.case).toMatchObject({ number: n, reopened: true });
  expect((await getCase(n)).sla).toEqual({ state: 'running', startedAt: iso('2026-11-23', '11:05'), dueAt: iso('2026-11-23', '12:05') });
});

test('contacts and identities: a registered in-app user is attributed to its contact; duplicates and impossible identities are refused', async () => {
  moveTo(msk('2026-11-23', '11:10'));
  const clientId = await newClient('adm-contacts');

  const created = await t.admin('POST', '/api/v1/contacts', {
    clientId, name: 'Carl Contact', email: 'carl@contacts.test', identities: [{ channel: 'inapp', externalId: 'carl-1' }],
  });
  expect(created.status).toBe(201);
  expect(created.json).toMatchObject({ id: expect.any(String), clientId, name: 'Carl Contact', email: 'carl@contacts.test', identities: [{ channel: 'inapp', externalId: 'carl-1' }] });
  const contactId = created.json.id;

  // The user writes from the client's account: no second contact appears, the case is Carl's.
  const opened = await t.inapp(inappMessage({ account: { id: 'adm-contacts', name: 'Contacts Co' }, user: { id: 'carl-1', name: 'C. Contact' }, text: 'Where do I find invoices?' }));
  expect(opened.status).toBe(200);
  const kase = await getCase(opened.json.case.number);
  expect(kase.contactId).toBe(contactId);
  expect(kase.clientId).toBe(clientId);
  const contacts = await t.admin('GET', `/api/v1/contacts?clientId=${clientId}`);
  expect(contacts.status).toBe(200);
  expect(contacts.json.contacts).toHaveLength(1);
  expect(contacts.json.contacts[0]).toMatchObject({ id: contactId, name: 'Carl Contact' });

  // The same identity for someone else: 409, and no half-created contact is left behind.
  const dup = await t.admin('POST', '/api/v1/contacts', { clientId, name: 'Carla Copy', identities: [{ channel: 'inapp', externalId: 'carl-1' }] });
  expect(dup.status).toBe(409);
  expect(dup.json.error).toMatch(/already exists/);
  expect((await t.admin('GET', `/api/v1/contacts?clientId=${clientId}`)).json.contacts).toHaveLength(1);
  const dupAdd = await t.admin('POST', `/api/v1/contacts/${contactId}/identities`, { channel: 'inapp', externalId: 'carl-1' });
  expect(dupAdd.status).toBe(409);

  // Another channel's identity can be added to the same contact.
  const added = await t.admin('POST', `/api/v1/contacts/${contactId}/identities`, { channel: 'telegram', externalId: '424242' });
  expect(added.status).toBe(201);
  expect(added.json.identities).toEqual(expect.arrayContaining([
    expect.objectContaining({ channel: 'inapp', externalId: 'carl-1' }), expect.objectContaining({ channel: 'telegram', externalId: '424242' }),
  ]));

  // An in-app identity needs the client's in-app account.
  const noApp = await newClient(null, { name: 'No App Co' });
  const refused = await t.admin('POST', '/api/v1/contacts', { clientId: noApp, name: 'Nadia', identities: [{ channel: 'inapp', externalId: 'nadia-1' }] });
  expect(refused.status).toBe(400);
  expect(refused.json.error).toContain('inappAccountId');
  expect((await t.admin('GET', `/api/v1/contacts?clientId=${noApp}`)).json.contacts).toEqual([]);
  // Bad input names the field.
  const badChannel = await t.admin('POST', '/api/v1/contacts', { clientId, name: 'Pigeon', identities: [{ channel: 'pigeon', externalId: 'p' }] });
  expect(badChannel.status).toBe(400);
  expect(badChannel.json.error).toContain('identities.0.channel');
});

test('manager away and back (SPEC §4): the backup covers open and new cases and the client is told; a critical case off hours goes on call', async () => {
  moveTo(msk('2026-11-23', '12:00'));
  const anna = await newManager('Anna Away');
  const bruno = await newManager('Bruno Backup');
  const olga = await newManager('Olga Oncall', { onCall: true });
  const fields = { managerId: anna, backupManagerId: bruno };
  await newClient('adm-away-x', fields);
  await newClient('adm-away-y', fields);
  await newClient('adm-away-z', fields);
  await newClient('adm-away-w', { managerId: anna, backupManagerId: null }); // no backup: critical cases go on call

  const x = await open('adm-away-x', 'How do I add a user?');
  expect(await getCase(x)).toMatchObject({ managerId: anna, coveringForManagerId: null });
  moveTo(msk('2026-11-23', '12:05'));
  const w = await open('adm-away-w', 'Our tracking is down!');
  expect(await getCase(w)).toMatchObject({ urgency: 'critical', managerId: anna, coveringForManagerId: null });
  await t.drain();
  expect(last('adm-away-x').text).toContain('Your manager: Anna Away.');

  moveTo(msk('2026-11-23', '12:10'));
  const away = await t.admin('POST', `/api/v1/managers/${anna}/away`);
  expect(away.status).toBe(200);
  expect(away.json).toEqual({ status: 'away', casesMoved: 2 });
  expect((await t.admin('GET', `/api/v1/managers/${anna}`)).json.status).toBe('away');
  expect(await getCase(x)).toMatchObject({ managerId: bruno, coveringForManagerId: anna });
  await t.drain();
  expect(last('adm-away-x')).toMatchObject({ kind: 'notice', caseNumber: x });
  expect(last('adm-away-x').text).toBe(`Anna Away is away; Bruno Backup is covering case #${x}.`);
  expect(notices(x, 'case_reassigned')).toEqual([expect.objectContaining({ managerIds: [bruno] })]);
  const assigned = (await getCase(x)).timeline.filter((e: { type: string }) => e.type === 'assigned');
  expect(assigned[assigned.length - 1]).toMatchObject({ managerId: bruno, coveringFor: anna, reason: 'Anna Away is away; Bruno Backup covers' });
  // The client without a backup: its critical case goes to the on-call manager rather than waiting for Anna.
  expect(await getCase(w)).toMatchObject({ managerId: olga, coveringForManagerId: anna });
  expect(last('adm-away-w')).toMatchObject({ kind: 'notice', text: `Anna Away is away; Olga Oncall is covering case #${w}.` });

  // A case opened while Anna is away goes straight to Bruno, and the acknowledgement says so.
  moveTo(msk('2026-11-23', '12:20'));
  const y = await open('adm-away-y', 'Can we change our billing email?');
  expect(await getCase(y)).toMatchObject({ managerId: bruno, coveringForManagerId: anna });
  await t.drain();
  expect(last('adm-away-y').kind).toBe('ack');
  expect(last('adm-away-y').text).toContain('Anna Away is away; Bruno Backup is covering your case.');

  moveTo(msk('2026-11-23', '13:00'));
  const back = await t.admin('POST', `/api/v1/managers/${anna}/back`);
  expect(back.status).toBe(200);
  expect(back.json).toEqual({ status: 'active', casesMoved: 3 });
  expect(await getCase(x)).toMatchObject({ managerId: anna, coveringForManagerId: null });
  expect(await getCase(y)).toMatchObject({ managerId: anna, coveringForManagerId: null });
  expect(await getCase(w)).toMatchObject({ managerId: anna, coveringForManagerId: null });
  await t.drain();
  expect(last('adm-away-x')).toMatchObject({ kind: 'notice', text: `Anna Away is back and takes case #${x} again.` });
  expect(last('adm-away-y')).toMatchObject({ kind: 'notice', text: `Anna Away is back and takes case #${y} again.` });
  expect((await t.admin('GET', `/api/v1/cases?managerId=${bruno}&status=open`)).json.cases).toEqual([]);

  // 22:00 in Moscow: Anna is active but outside her hours; a critical case goes to the on-call manager.
  moveTo(msk('2026-11-23', '22:00'));
  const z = await open('adm-away-z', 'Everything is down, nothing works!');
  const critical = await getCase(z);
  expect(critical).toMatchObject({ urgency: 'critical', managerId: olga, coveringForManagerId: anna });
  expect(critical.sla).toMatchObject({ state: 'running', dueAt: iso('2026-11-23', '22:15') });
  expect(critical.timeline.find((e: { type: string }) => e.type === 'assigned').reason).toBe('Anna Away is outside working hours; on-call manager Olga Oncall covers');
  await t.drain();
  expect(last('adm-away-z').text).toContain('Anna Away is outside working hours; Olga Oncall is covering your case.');
  expect(notices(z, 'case_opened')).toEqual([expect.objectContaining({ managerIds: [olga] })]);
});

test('SLA report: totals and per client / manager / urgency match what happened; CSV; bad input', async () => {
  moveTo(msk('2026-11-24', '11:00')); // Tuesday: no other test starts a clock on this day
  const rita = await newManager('Rita Report');
  const roman = await newManager('Roman Report');
  const alpha = await newClient('adm-rep-a', { name: 'Report Alpha', managerId: rita, backupManagerId: null });
  const bravo = await newClient('adm-rep-b', { name: 'Report Bravo', managerId: roman, backupManagerId: null });
  const charlie = await newClient('adm-rep-c', { name: 'Report Charlie', tier: 'standard', managerId: rita, backupManagerId: null });
  const delta = await newClient('adm-rep-d', { name: 'Report Delta', managerId: roman, backupManagerId: null });

  const a = await open('adm-rep-a', 'How do I rename a campaign?'); // medium, due 12:00
  const b = await open('adm-rep-b', 'Please check our postback setup', { urgency: 'high' }); // due 11:30
  moveTo(msk('2026-11-24', '11:05'));
  const c = await open('adm-rep-c', 'Our dashboard is down'); // critical, due 11:20
  moveTo(msk('2026-11-24', '11:10'));
  await post(c, 'resolve', { managerId: rita, summary: 'Cleared the cache.' }); // met
  moveTo(msk('2026-11-24', '11:20'));
  expect((await post(a, 'eta', { when: '3h', managerId: rita })).sla).toBe('met');
  moveTo(msk('2026-11-24', '11:31'));
  await t.tick();
  await t.drain();
  expect(notices(b, 'sla_breach')).toHaveLength(1);
  expect((await getCase(b)).sla.state).toBe('breached');
  moveTo(msk('2026-11-24', '11:40'));
  const d = await open('adm-rep-d', 'A question about the API rate limits', { urgency: 'low' }); // due 12:40
  expect((await getCase(d)).sla).toMatchObject({ state: 'running', dueAt: iso('2026-11-24', '12:40') });
  moveTo(msk('2026-11-24', '11:45'));

  const from = iso('2026-11-24', '10:00');
  const to = iso('2026-11-24', '12:00');
  const res = await t.admin('GET', `/api/v1/reports/sla?from=${from}&to=${to}`);
  expect(res.status).toBe(200);
  const row = (key: string, name: string, total: number, met: number, breached: number, running: number, compliance: number | null) =>
    ({ key, name, total, met, breached, running, compliance });
  expect(res.json).toEqual({
    from, to,
    totals: row('all', 'all', 4, 2, 1, 1, 0.6667),
    byClient: [
      row(alpha, 'Report Alpha', 1, 1, 0, 0, 1),
      row(bravo, 'Report Bravo', 1, 0, 1, 0, 0),
      row(charlie, 'Report Charlie', 1, 1, 0, 0, 1),
      row(delta, 'Report Delta', 1, 0, 0, 1, null),
    ],
    byManager: [row(rita, 'Rita Report', 2, 2, 0, 0, 1), row(roman, 'Roman Report', 2, 0, 1, 1, 0)],
    byUrgency: [
      row('critical', 'critical', 1, 1, 0, 0, 1),
      row('high', 'high', 1, 0, 1, 0, 0),
      row('low', 'low', 1, 0, 0, 1, null),
      row('medium', 'medium', 1, 1, 0, 0, 1),
    ],
  });

  // One client only, and a narrower window.
  const one = await t.admin('GET', `/api/v1/reports/sla?from=${from}&to=${to}&clientId=${bravo}`);
  expect(one.json.totals).toEqual(row('all', 'all', 1, 0, 1, 0, 0));
  const late = await t.admin('GET', `/api/v1/reports/sla?from=${iso('2026-11-24', '11:30')}&to=${to}`);
  expect(late.json.totals).toEqual(row('all', 'all', 1, 0, 0, 1, null));
  expect(late.json.byClient.map((r: { key: string }) => r.key)).toEqual([delta]);

  const csv = await t.app.inject({ method: 'GET', url: `/api/v1/reports/sla?from=${from}&to=${to}&format=csv`, headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
  expect(csv.statusCode).toBe(200);
  expect(csv.headers['content-type']).toMatch(/^text\/csv/);
  expect(csv.body).toBe([
    'dimension,key,name,total,met,breached,running,compliance',
    'total,all,all,4,2,1,1,0.6667',
    `client,${alpha},Report Alpha,1,1,0,0,1`,
    `client,${bravo},Report Bravo,1,0,1,0,0`,
    `client,${charlie},Report Charlie,1,1,0,0,1`,
    `client,${delta},Report Delta,1,0,0,1,`,
    `manager,${rita},Rita Report,2,2,0,0,1`,
    `manager,${roman},Roman Report,2,0,1,1,0`,
    'urgency,critical,critical,1,1,0,0,1',
    'urgency,high,high,1,0,1,0,0',
    'urgency,low,low,1,0,0,1,',
    'urgency,medium,medium,1,1,0,0,1',
  ].join('\n') + '\n');

  const badFrom = await t.admin('GET', `/api/v1/reports/sla?from=last-tuesday&to=${to}`);
  expect(badFrom.status).toBe(400);
  expect(badFrom.json.error).toMatch(/from/);
  expect((await t.admin('GET', `/api/v1/reports/sla?from=${from}&format=xlsx`)).status).toBe(400);
});

test('case list: filters, premium before standard, nearer due time first; lookup by number, "#number" and id', async () => {
  moveTo(msk('2026-11-25', '11:00')); // Wednesday
  const lena = await newManager('Lena Queue');
  const mine = { managerId: lena, backupManagerId: null };
  for (const acct of ['pa', 'pb', 'pc', 'pd']) await newClient(`adm-q-${acct}`, mine);
  for (const acct of ['sa', 'sb']) await newClient(`adm-q-${acct}`, { ...mine, tier: 'standard' });

  const pa = await open('adm-q-pa', 'Checkout events are missing', { urgency: 'critical' }); // due 11:15
  moveTo(msk('2026-11-25', '11:01'));
  const pd = await open('adm-q-pd', 'How do I add a logo?'); // resolved below
  moveTo(msk('2026-11-25', '11:02'));
  await post(pd, 'resolve', { managerId: lena, summary: 'Settings → Branding.' });
  const sb = await open('adm-q-sb', 'How do I invite a colleague?'); // medium, due 12:02
  moveTo(msk('2026-11-25', '11:03'));
  const pc = await open('adm-q-pc', 'How do I read the cohort chart?'); // medium; an ETA meets its clock
  moveTo(msk('2026-11-25', '11:04'));
  await post(pc, 'eta', { when: '1h', managerId: lena });
  moveTo(msk('2026-11-25', '11:05'));
  const pb = await open('adm-q-pb', 'How do I change my password?'); // medium, due 12:05
  moveTo(msk('2026-11-25', '11:06'));
  const sa = await open('adm-q-sa', 'Data export endpoint returns nothing', { urgency: 'critical' }); // due 11:21, but standard
  moveTo(msk('2026-11-25', '11:07'));

  const list = async (query: string) => {
    const res = await t.admin('GET', `/api/v1/cases?managerId=${lena}${query}`);
    expect(res.status).toBe(200);
    return res.json.cases as { number: number; tier: string; sla: { state: string; dueAt: string | null } }[];
  };
  const numbers = async (query: string) => (await list(query)).map((c) => c.number);

  const all = await list('');
  expect(all.map((c) => c.number)).toEqual([pa, pb, pc, pd, sa, sb]);
  expect(all[0]).toMatchObject({ tier: 'premium', urgency: 'critical', status: 'open', sla: { state: 'running', dueAt: iso('2026-11-25', '11:15') } });
  expect(all[4]).toMatchObject({ tier: 'standard', sla: { state: 'running', dueAt: iso('2026-11-25', '11:21') } });
  expect(await numbers('&status=open')).toEqual([pa, pb, pc, sa, sb]);
  expect(await numbers('&status=resolved')).toEqual([pd]);
  expect(await numbers('&urgency=critical')).toEqual([pa, sa]);
  expect(await numbers('&sla=running')).toEqual([pa, pb, sa, sb]);
  expect(await numbers('&sla=met')).toEqual([pc, pd]);
  expect(await numbers('&status=open&urgency=medium&sla=running')).toEqual([pb, sb]);
  expect((await t.admin('GET', '/api/v1/cases?sla=late')).status).toBe(400);

  // Past its due time the critical case reads as breached, and still leads the queue.
  moveTo(msk('2026-11-25', '11:16'));
  expect(await numbers('&sla=breached')).toEqual([pa]);
  expect(await numbers('&status=open')).toEqual([pa, pb, pc, sa, sb]);

  // Lookups.
  const byNumber = await getCase(pa);
  const byHash = await getCase(encodeURIComponent(`#${pa}`));
  const byId = await getCase(byNumber.id);
  expect(byHash.id).toBe(byNumber.id);
  expect(byId.number).toBe(pa);
  expect(byId).toMatchObject({ clientId: expect.any(String), channel: 'inapp', openedAt: iso('2026-11-25', '11:00'), eta: null });
  expect((await t.admin('GET', '/api/v1/cases/999999')).status).toBe(404);
  expect((await t.admin('GET', '/api/v1/cases/not-a-case')).status).toBe(404);
  expect((await t.admin('GET', '/api/v1/cases/00000000-0000-4000-8000-000000000000')).status).toBe(404);
  expect((await t.admin('GET', '/api/v1/cases/999999')).json.error).toContain('999999');
});

test('funnel activation (SPEC §6): agreed timeline to the client, a missed milestone alerts once, a milestone done meets its clock', async () => {
  moveTo(msk('2026-11-26', '11:00')); // Thursday
  const clientId = await newClient('adm-funnel');
  const silent = await newClient('adm-funnel-silent');
  await open('adm-funnel', 'We are ready to start the funnel activation.');
  await t.drain();

  moveTo(msk('2026-11-26', '11:05'));
  const milestones = [
    { title: 'First campaign live', dueAt: '2026-11-27T15:00:00+03:00' },
    { title: 'Tracking installed', dueAt: '2026-11-26T15:00:00+03:00' },
  ];
  const never = await t.admin('POST', `/api/v1/clients/${silent}/funnel-activations`, { title: 'Activation', milestones });
  expect(never.status).toBe(409);
  expect(never.json.error).toMatch(/has not written/);
  const past = await t.admin('POST', `/api/v1/clients/${clientId}/funnel-activations`, { title: 'Activation', milestones: [{ title: 'Yesterday', dueAt: '2026-11-25T15:00:00+03:00' }] });
  expect(past.status).toBe(400);
  expect((await t.admin('POST', `/api/v1/clients/${clientId}/funnel-activations`, { title: 'Activation', milestones: [] })).status).toBe(400);

  const created = await t.admin('POST', `/api/v1/clients/${clientId}/funnel-activations`, { title: 'Q4 funnel', milestones });
  expect(created.status).toBe(201);
  const { number, milestones: ms } = created.json;
  expect(ms).toEqual([
    { id: expect.any(String), title: 'Tracking installed', dueAt: iso('2026-11-26', '15:00') },
    { id: expect.any(String), title: 'First campaign live', dueAt: iso('2026-11-27', '15:00') },
  ]);
  const [first, second] = ms as { id: string }[];
  expect(await getCase(number)).toMatchObject({ kind: 'funnel_activation', status: 'open', clientId, subject: 'Q4 funnel' });

  await t.drain();
  const plan = last('adm-funnel');
  expect(plan).toMatchObject({ kind: 'notice', caseNumber: number });
  expect(plan.text).toContain(`Funnel activation "Q4 funnel" (case #${number}) — agreed timeline:`);
  expect(plan.text).toContain('1. Tracking installed — Thu 26 Nov 2026, 15:00 (Europe/Moscow)');
  expect(plan.text).toContain('2. First campaign live — Fri 27 Nov 2026, 15:00 (Europe/Moscow)');

  moveTo(msk('2026-11-26', '14:59'));
  await t.tick();
  await t.drain();
  expect(notices(number, 'milestone_missed')).toEqual([]);

  moveTo(msk('2026-11-26', '15:01'));
  await t.tick();
  await t.drain();
  expect(notices(number, 'milestone_missed')).toHaveLength(1);
  expect(notices(number, 'milestone_missed')[0]).toMatchObject({ managerIds: [maria] });
  expect(notices(number, 'milestone_missed')[0].text).toContain('Thu 26 Nov 2026, 15:00 (Europe/Moscow)');
  moveTo(msk('2026-11-26', '15:30'));
  await t.tick();
  await t.drain();
  expect(notices(number, 'milestone_missed')).toHaveLength(1);

  // The second milestone is done a day early: its clock is met.
  const done = await t.admin('POST', `/api/v1/milestones/${second.id}/done`);
  expect(done.status).toBe(200);
  expect(done.json).toEqual({ done: true, state: 'met' });
  expect((await t.admin('POST', `/api/v1/milestones/${second.id}/done`)).json).toEqual({ done: true, state: 'already done' });
  expect((await t.admin('POST', '/api/v1/milestones/00000000-0000-4000-8000-000000000000/done')).status).toBe(404);

  const kase = await getCase(number);
  const tl = kase.timeline as { type: string; reason: string; milestoneId?: string; state?: string }[];
  expect(tl.find((e) => e.type === 'milestone_done')).toMatchObject({ milestoneId: second.id, state: 'met', reason: 'First campaign live' });
  expect(tl.filter((e) => e.type === 'clock_missed')).toEqual([expect.objectContaining({ reason: 'the milestone date passed' })]);
  expect(tl.filter((e) => e.type === 'clock_met')).toEqual([expect.objectContaining({ reason: 'milestone done' })]);
  expect(types(tl).filter((x) => x === 'milestone_done')).toHaveLength(1);
  expect(first.id).not.toBe(second.id);

  // Its date passing later raises nothing.
  moveTo(msk('2026-11-27', '16:00'));
  await t.tick();
  await t.drain();
  expect(notices(number, 'milestone_missed')).toHaveLength(1);
});

test('feature queue: status changes are told to the client; done resolves the feature case; bad status is refused', async () => {
  moveTo(msk('2026-11-27', '16:10')); // Friday
  await newClient('adm-feature');
  expect((await send('adm-feature', '/feature Bulk export of conversions')).status).toBe('command');
  await t.drain();

  const queue = (await t.admin('GET', '/api/v1/features')).json.features as { id: string; text: string; status: string; caseNumber: number }[];
  const fr = queue.find((f) => f.text === 'Bulk export of conversions')!;
  expect(fr).toMatchObject({ status: 'new', tier: 'premium' });
  const path = `/api/v1/features/${fr.id}`;

  expect((await getCase(fr.caseNumber)).sla.state).toBe('running');
  const planned = await t.admin('PATCH', path, { status: 'planned' });
  expect(planned.status).toBe(200);
  expect(planned.json).toEqual({ changed: true });
  // Telling the client the plan is a response: the feature request's 5-hour clock is met.
  const afterPlan = await getCase(fr.caseNumber);
  expect(afterPlan.sla.state).toBe('met');
  expect(afterPlan.timeline.find((e: { type: string }) => e.type === 'clock_met').reason).toBe('feature request planned: the client was told');
  await t.drain();
  expect(last('adm-feature')).toMatchObject({ kind: 'feature', caseNumber: fr.caseNumber });
  expect(last('adm-feature').text).toContain(`Your feature request (case #${fr.caseNumber}) is now: planned.`);
  const count = received('adm-feature').length;
  expect((await t.admin('PATCH', path, { status: 'planned' })).json).toEqual({ changed: false });
  await t.drain();
  expect(received('adm-feature')).toHaveLength(count);

  const bad = await t.admin('PATCH', path, { status: 'shipped' });
  expect(bad.status).toBe(400);
  expect(bad.json.error).toMatch(/^status: /);
  expect((await t.admin('PATCH', '/api/v1/features/00000000-0000-4000-8000-000000000000', { status: 'planned' })).status).toBe(404);

  expect((await t.admin('PATCH', path, { status: 'in_progress' })).status).toBe(200);
  expect((await getCase(fr.caseNumber)).status).toBe('open');
  const done = await t.admin('PATCH', path, { status: 'done', note: 'Available under Reports → Export.' });
  expect(done.status).toBe(200);
  await t.drain();
  expect(received('adm-feature').slice(count).map((b) => b.text)).toEqual([
    `Your feature request (case #${fr.caseNumber}) is now: in progress.`,
    `Your feature request (case #${fr.caseNumber}) is now: done.\nAvailable under Reports → Export.`,
  ]);
  const kase = await getCase(fr.caseNumber);
  expect(kase).toMatchObject({ kind: 'feature', status: 'resolved' });
  expect(kase.timeline.filter((e: { type: string }) => e.type === 'feature_status').map((e: { to: string }) => e.to)).toEqual(['planned', 'in_progress', 'done']);
  expect((await t.admin('GET', '/api/v1/features')).json.features.some((f: { id: string }) => f.id === fr.id)).toBe(false);
});

test('metrics and health', async () => {
  moveTo(msk('2026-11-27', '16:20'));
  await newClient('adm-metrics');
  await open('adm-metrics', 'Just checking the metrics');

  const metrics = await t.app.inject({ method: 'GET', url: '/metrics' });
  expect(metrics.statusCode).toBe(200);
  expect(metrics.headers['content-type']).toMatch(/^text\/plain/);
  expect(metrics.body).toContain('# TYPE switchboard_inbound_total counter');
  const sample = /^switchboard_inbound_total\{([^}]*)\} (\d+)$/m.exec(metrics.body.split('\n').filter((l) => l.includes('channel="inapp"')).join('\n'));
  expect(sample).not.toBeNull();
  expect(Number(sample![2])).toBeGreaterThan(0);
  // What an operator alerts on (docs/operations.md): the backlog and its oldest row, pending SLA timers.
  expect(metrics.body).toMatch(/^switchboard_outbox_pending\{target="client"\} [1-9]\d*$/m);
  expect(metrics.body).toMatch(/^switchboard_outbox_oldest_pending_seconds\{target="client"\} \d/m);
  expect(metrics.body).toMatch(/^switchboard_sla_pending_timers\{kind="response"\} [1-9]\d*$/m);
  await t.drain();
  const after = (await t.app.inject({ method: 'GET', url: '/metrics' })).body;
  expect(after).toMatch(/^switchboard_outbox_pending\{target="client"\} 0$/m);

  const health = await t.app.inject({ method: 'GET', url: '/healthz' });
  expect(health.statusCode).toBe(200);
  const ready = await t.app.inject({ method: 'GET', url: '/readyz' });
  expect(ready.statusCode).toBe(200);
  expect(ready.json()).toEqual({ status: 'ready', database: usingPostgres ? 'postgres' : 'pglite' });
  // The admin API is not open without the token.
  expect((await t.app.inject({ method: 'GET', url: '/api/v1/cases' })).statusCode).toBe(401);
});
