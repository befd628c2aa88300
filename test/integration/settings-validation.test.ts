// Business calendars and policies as an admin meets them: whatever the API accepts must keep working for every later
// message, command, recompute and tick of the clients using it; what could not work is a 400 naming the field.
// One service for the file; each test has its own clients and sets the (injected) clock itself.
import { Settings } from 'luxon';
import { ADMIN_TOKEN, inappMessage, startTestService, type TestService } from '../support/service';
import { iso, msk } from '../support/clock';

let t: TestService;
let maria: string;

beforeAll(async () => {
  t = await startTestService();
  const m = await t.admin('POST', '/api/v1/managers', { name: 'Maria Petrova', timeZone: 'Europe/Moscow' });
  expect(m.status).toBe(201);
  maria = m.json.id;
});
afterAll(() => t.close());

const days = (...names: string[]) => (iv: [string, string][]) => Object.fromEntries(names.map((d) => [d, iv]));
const weekdays = days('mon', 'tue', 'wed', 'thu', 'fri');
const moscow = (week: Record<string, [string, string][]>, extra: Record<string, unknown> = {}) => ({ zone: 'Europe/Moscow', week, holidays: [], ...extra });

async function client(account: string, fields: Record<string, unknown> = {}) {
  return t.admin('POST', '/api/v1/clients', { name: `Client ${account}`, tier: 'premium', managerId: maria, inappAccountId: account, ...fields });
}

async function newClient(account: string, fields: Record<string, unknown> = {}): Promise<string> {
  const res = await client(account, fields);
  expect(res.status).toBe(201);
  return res.json.id;
}

async function send(account: string, text: string) {
  const res = await t.inapp(inappMessage({ account: { id: account, name: `Client ${account}` }, user: { id: `${account}-user`, name: 'Cleo' }, text }));
  expect(res.status).toBe(200);
  return res.json;
}

async function getCase(n: number) {
  const res = await t.admin('GET', `/api/v1/cases/${n}`);
  expect(res.status).toBe(200);
  return res.json;
}

function refused(res: { status: number; json: any }, ...parts: (string | RegExp)[]) {
  expect(res.status).toBe(400);
  for (const p of parts) expect(res.json.error).toMatch(p);
}

const lastReply = (account: string) => t.callback.received.filter((r) => r.body.account?.id === account).map((r) => r.body).pop();

test('a calendar with no working time in its week is refused, naming `week`, wherever a calendar is given', async () => {
  const noTime: Record<string, [string, string][]>[] = [{}, { mon: [], tue: [], wed: [], thu: [], fri: [], sat: [], sun: [] }];
  for (const week of noTime) {
    refused(await client('sv-empty', { calendar: moscow(week) }), 'calendar: week: no working time');
    // Dated exceptions alone run out: after the last one every clock of the client would fail.
    refused(await client('sv-empty', { calendar: moscow(week, { exceptions: { '2026-12-05': [['10:00', '15:00']] } }) }), 'calendar: week: no working time');
    refused(await t.admin('POST', '/api/v1/calendars', { name: 'Nothing', spec: moscow(week) }), 'spec: week: no working time');
  }
  const good = moscow(weekdays([['10:00', '19:00']]));
  const cal = await t.admin('POST', '/api/v1/calendars', { name: 'Office', spec: good });
  expect(cal.status).toBe(201);
  refused(await t.admin('PATCH', `/api/v1/calendars/${cal.json.id}`, { spec: moscow({}) }), 'spec: week: no working time');
  expect((await t.admin('GET', `/api/v1/calendars/${cal.json.id}`)).json.spec).toEqual(good);
  const id = await newClient('sv-empty');
  refused(await t.admin('PATCH', `/api/v1/clients/${id}`, { calendar: moscow({}) }), 'calendar: week: no working time');
  expect((await t.admin('GET', `/api/v1/clients/${id}`)).json.calendar).toBeNull();
});

test('holidays may be left out: stored as none, and the client’s clocks use the calendar', async () => {
  t.clock.set(msk('2026-11-23', '08:30')); // Monday, before the Moscow default's 10:00 opening
  const id = await newClient('sv-noholidays', { calendar: { zone: 'Europe/Moscow', week: weekdays([['08:00', '17:00']]) } });
  expect((await t.admin('GET', `/api/v1/clients/${id}`)).json.calendar).toEqual({ zone: 'Europe/Moscow', week: weekdays([['08:00', '17:00']]), holidays: [] });
  const sent = await send('sv-noholidays', 'How do I rotate the API key?');
  expect((await getCase(sent.case.number)).sla).toMatchObject({ state: 'running', dueAt: iso('2026-11-23', '09:30') });

  const stored = await t.admin('POST', '/api/v1/calendars', { name: 'No holidays', spec: { zone: 'Europe/Moscow', week: weekdays([['08:00', '17:00']]) } });
  expect(stored.status).toBe(201);
  expect(stored.json.spec.holidays).toEqual([]);
  expect((await t.admin('PATCH', `/api/v1/calendars/${stored.json.id}`, { spec: { zone: 'UTC', week: weekdays([['08:00', '17:00']]) } })).json.spec.holidays).toEqual([]);
});

test('policy numbers outside the documented bounds are refused (they used to be stored, then every message got a 500)', async () => {
  const policy = (minutes: unknown) => ({ targets: { medium: { minutes, hours: 'business' } } });
  for (const minutes of [1.5, 2_147_483_648, 1e10, 0, 43_201]) {
    refused(await client('sv-minutes', { policy: policy(minutes) }), /^policy: targets\.medium\.minutes must be a positive number of whole minutes, at most 43200/);
    refused(await t.admin('POST', '/api/v1/policies', { name: 'Odd', spec: policy(minutes) }), 'spec: targets.medium.minutes');
  }
  // A body saying 1e309 parses to Infinity; JSON.stringify can't write it, so send the text itself.
  const raw = await t.app.inject({
    method: 'POST', url: '/api/v1/clients', headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
    payload: `{"name":"Client sv-minutes","inappAccountId":"sv-minutes","policy":{"targets":{"medium":{"minutes":1e309,"hours":"business"}}}}`,
  });
  refused({ status: raw.statusCode, json: JSON.parse(raw.body) }, 'policy: targets.medium.minutes');
  refused(await client('sv-minutes', { policy: { reopenDays: 1.5 } }), 'policy: reopenDays must be a whole number of days from 0 to 365');
  refused(await client('sv-minutes', { policy: { reopenDays: 366 } }), 'reopenDays');
  refused(await client('sv-minutes', { policy: { warnAt: [0.5, 1.5] } }), 'policy: warnAt');
  refused(await client('sv-minutes', { policy: { plainReplyCounts: 'yes' } }), 'policy: plainReplyCounts must be a boolean');
  const gold = await t.admin('POST', '/api/v1/policies', { name: 'Gold', spec: policy(60) });
  refused(await t.admin('PATCH', `/api/v1/policies/${gold.json.id}`, { spec: policy(1.5) }), 'spec: targets.medium.minutes');

  // The bounds themselves work: a month of business minutes, ten warnings, a year to reopen.
  t.clock.set(msk('2026-11-24', '11:00'));
  await newClient('sv-minutes', { policy: { targets: { medium: { minutes: 43_200, hours: 'business' } }, warnAt: [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95], reopenDays: 365 } });
  const sent = await send('sv-minutes', 'How do I export invoices?');
  expect(sent.case.opened).toBe(true);
  // 43,200 minutes = 80 Moscow working days of 9 h from Tue 24 Nov 11:00 (no holidays in the default calendar).
  expect((await getCase(sent.case.number)).sla).toMatchObject({ state: 'running', dueAt: iso('2027-03-16', '11:00') });
  t.clock.set(msk('2026-11-26', '11:00'));
  await expect(t.tick()).resolves.toEqual(expect.anything());
});

test('a calendar too sparse for its policy is refused; the sparsest accepted keeps /feature, /call and the ticker working', async () => {
  const oneMinute = moscow({ mon: [['10:00', '10:01']] });
  refused(await client('sv-sparse', { calendar: oneMinute }), /^calendar: too little working time: a year \(366 days\) of this week holds 52 working minutes, and targets\.\w+\.minutes \(300 business minutes\) needs at least 900 in any 366 days/);
  refused(await t.admin('POST', '/api/v1/calendars', { name: 'A minute', spec: oneMinute }), /^spec: too little working time: .* \(with the default policy\)$/);
  // Holidays can empty a year just as well.
  const mondays = Array.from({ length: 53 }, (_, i) => new Date(Date.UTC(2027, 0, 4 + 7 * i)).toISOString().slice(0, 10));
  refused(await client('sv-sparse', { calendar: moscow({ mon: [['10:00', '19:00']] }, { holidays: mondays }) }), 'calendar: too little working time: the 366 days from 2026-12-29 hold 0 working minutes');

  // Half an hour on Mondays: 26 h a year, enough for the default 5-hour feature target and its margin.
  t.clock.set(msk('2026-11-30', '11:00')); // Monday, after that half hour
  await newClient('sv-sparse', { calendar: moscow({ mon: [['10:00', '10:30']] }) });
  expect((await send('sv-sparse', '/feature Export to Parquet')).status).toBe('command');
  await t.drain();
  const filed = /case #(\d+)/.exec(lastReply('sv-sparse').text);
  expect(filed).not.toBeNull();
  // 300 business minutes = ten Monday half-hours: Dec 7 … Feb 8.
  expect((await getCase(Number(filed![1]))).sla).toMatchObject({ state: 'running', dueAt: iso('2027-02-08', '10:30') });
  expect((await send('sv-sparse', '/call tomorrow 15:00')).status).toBe('command');
  await t.drain();
  expect(lastReply('sv-sparse')).toMatchObject({ kind: 'call', text: expect.stringContaining('earliest possible slot is Mon 14 Dec 2026, 10:00') });
  // The warnings at 50 % and 80 % and the breach all fire.
  for (const at of ['2027-01-04T10:30:00+03:00', '2027-01-25T10:30:00+03:00', '2027-02-08T10:30:00+03:00']) {
    t.clock.set(at);
    await t.tick();
  }
  const clockEvents = (await getCase(Number(filed![1]))).timeline.filter((e: { type: string }) => e.type.startsWith('clock_'));
  expect(clockEvents.map((e: { type: string; at: string }) => [e.type, e.at])).toEqual([
    ['clock_started', iso('2026-11-30', '11:00')],
    ['clock_warned', iso('2027-01-04', '10:30')],
    ['clock_warned', iso('2027-01-25', '10:30')],
    ['clock_breached', iso('2027-02-08', '10:30')],
  ]);
});

test('stored calendars and policies: a pair that cannot work is refused wherever it comes together', async () => {
  const twoHours = moscow({ mon: [['10:00', '12:00']] }); // 104 h a year
  const cal = await t.admin('POST', '/api/v1/calendars', { name: 'Mondays', spec: twoHours });
  expect(cal.status).toBe(201);
  const long = { targets: { feature: { minutes: 6000, hours: 'business' } } }; // 100 h: fits, but not with the 10 h margin
  const pol = await t.admin('POST', '/api/v1/policies', { name: 'Patient', spec: long });
  expect(pol.status).toBe(201);
  const needs = /too little working time: a year \(366 days\) of this week holds 6240 working minutes, and targets\.feature\.minutes \(6000 business minutes\) needs at least 6600/;

  const calendarsBefore = (await t.admin('GET', '/api/v1/calendars')).json.calendars.length;
  refused(await client('sv-pair-a', { calendarId: cal.json.id, policyId: pol.json.id }), /^calendarId: /, needs);
  refused(await client('sv-pair-a', { calendarId: cal.json.id, policy: long }), /^calendarId: /, needs);
  refused(await client('sv-pair-a', { calendar: twoHours, policyId: pol.json.id }), /^calendar: /, needs);
  expect((await t.admin('GET', '/api/v1/calendars')).json.calendars).toHaveLength(calendarsBefore); // nothing left behind

  const a = await newClient('sv-pair-a', { calendarId: cal.json.id });
  refused(await t.admin('PATCH', `/api/v1/clients/${a}`, { policyId: pol.json.id }), /^policyId: /, needs);
  refused(await t.admin('PATCH', `/api/v1/clients/${a}`, { policy: long }), /^policy: /, needs);
  const b = await newClient('sv-pair-b', { policyId: pol.json.id });
  refused(await t.admin('PATCH', `/api/v1/clients/${b}`, { calendarId: cal.json.id }), /^calendarId: /, needs);
  refused(await t.admin('PATCH', `/api/v1/clients/${b}`, { calendarId: '00000000-0000-4000-8000-000000000000' }), 'calendarId: calendar 00000000-0000-4000-8000-000000000000 does not exist');
  expect((await t.admin('GET', `/api/v1/clients/${b}`)).json).toMatchObject({ calendar: null, policy: long });

  // Changing a stored calendar or policy is checked against every client using it...
  refused(await t.admin('PATCH', `/api/v1/calendars/${cal.json.id}`, { spec: moscow({ mon: [['10:00', '10:05']] }) }), /^spec: too little working time: .* \(client "Client sv-pair-a" uses it\)$/);
  const c = await newClient('sv-pair-c', { calendarId: cal.json.id, policy: { targets: { feature: { minutes: 3000, hours: 'business' } } } });
  const cPolicy = (await t.admin('GET', '/api/v1/clients')).json.clients.find((x: { id: string }) => x.id === c).policyId;
  refused(await t.admin('PATCH', `/api/v1/policies/${cPolicy}`, { spec: long }), /^spec: too little working time: .* \(client "Client sv-pair-c" uses it\)$/);
  // (client B is on the default calendar, which serves even the longest target allowed)
  expect((await t.admin('PATCH', `/api/v1/policies/${pol.json.id}`, { spec: { targets: { feature: { minutes: 43_200, hours: 'business' } } } })).status).toBe(200);
  // ...and one that no client uses, against the defaults.
  const spare = await t.admin('POST', '/api/v1/calendars', { name: 'Spare', spec: twoHours });
  expect((await t.admin('PATCH', `/api/v1/calendars/${spare.json.id}`, { spec: moscow({ mon: [['10:00', '10:30']] }) })).status).toBe(200);
  refused(await t.admin('PATCH', `/api/v1/calendars/${spare.json.id}`, { spec: moscow({ mon: [['10:00', '10:05']] }) }), /\(with the default policy\)$/);
  // A null id means the defaults, also in the check: Mondays with the default policy fit.
  const moved = await t.admin('PATCH', `/api/v1/clients/${b}`, { calendarId: cal.json.id, policyId: null });
  expect(moved.status).toBe(200);
  expect(moved.json).toMatchObject({ calendar: twoHours, policy: null });
});

test('a calendar change may not strand a clock still counting a longer target', async () => {
  t.clock.set(msk('2026-12-01', '11:00'));
  const id = await newClient('sv-running', { calendar: moscow(weekdays([['10:00', '19:00']])), policy: { targets: { medium: { minutes: 20_000, hours: 'business' } } } });
  const n = (await send('sv-running', 'Where is the audit log?')).case.number;
  expect((await getCase(n)).sla.state).toBe('running');
  const c = (await t.admin('GET', `/api/v1/clients/${id}`)).json;
  expect((await t.admin('PATCH', `/api/v1/policies/${c.policyId}`, { spec: { targets: { medium: { minutes: 60, hours: 'business' } } } })).status).toBe(200);
  // An hour on Mondays serves the new policy, not the 20,000 minutes the open case still counts (its 80 % warning alone would be five years away).
  const hourOnMondays = moscow({ mon: [['10:00', '11:00']] });
  refused(await t.admin('PATCH', `/api/v1/calendars/${c.calendarId}`, { spec: hourOnMondays }), "a running clock's business-hours target of 20000 minutes", 'client "Client sv-running" uses it');
  refused(await t.admin('PATCH', `/api/v1/clients/${id}`, { calendar: hourOnMondays }), "calendar: too little working time", '20000');
  const resolved = await t.admin('POST', `/api/v1/cases/${n}/resolve`, { managerId: maria, summary: 'Settings → Audit.' });
  expect(resolved.status).toBe(200);
  expect((await t.admin('PATCH', `/api/v1/calendars/${c.calendarId}`, { spec: hourOnMondays })).status).toBe(200);
});

describe('a desk closing at a repeated local time (clocks going back)', () => {
  const realNow = Settings.now;
  afterEach(() => {
    Settings.now = realNow;
  });

  // Berlin, 25 Oct 2026: 03:00 CEST becomes 02:00 CET, so the Saturday night desk's 02:30 end happens twice.
  // Each season gets its own holiday so that neither is served from the other's cached calendar (as after a restart).
  it.each([
    ['summer', '2026-07-01T12:00:00Z', '2030-01-01'],
    ['winter', '2027-01-15T12:00:00Z', '2030-01-02'],
  ])('gives the same due time when the server runs in %s', async (season, today, holiday) => {
    Settings.now = () => Date.parse(today);
    const account = `sv-dst-${season}`;
    await newClient(account, {
      calendar: { zone: 'Europe/Berlin', week: { ...weekdays([['09:00', '17:00']]), sat: [['22:00', '02:30']] }, holidays: [holiday] },
    });
    t.clock.set('2026-10-25T00:40:00Z'); // 02:40 CEST: the desk closed ten minutes ago (at the first 02:30)
    const n = (await send(account, 'Can you check the export job?')).case.number;
    // A medium hour from Monday 09:00 CET, not 50 minutes now (until the second 02:30) and 10 on Monday.
    expect((await getCase(n)).sla).toMatchObject({ state: 'running', dueAt: '2026-10-26T09:00:00.000Z' });
  });
});
