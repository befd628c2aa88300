// Classes of bad input a fuzz run turned into 5xx answers, each now a 400 that says what is wrong (SPEC §8):
// characters PostgreSQL can't store, numbers and dates beyond its range, shapes nobody expected. Plus the time zones
// people actually use, which used to be refused.
import { signedHeaders } from '../../adapters/inapp';
import { INAPP_SECRET, inappMessage, startTestService, type TestService } from '../support/service';

let t: TestService;
let managerId: string;
let caseNumber: number;
beforeAll(async () => {
  t = await startTestService();
  managerId = (await t.admin('POST', '/api/v1/managers', { name: 'Maria Petrova', timeZone: 'Europe/Moscow', isDefault: true })).json.id;
  await t.admin('POST', '/api/v1/clients', { name: 'Edge Co', tier: 'premium', managerId, inappAccountId: 'acct-edges' });
  caseNumber = (await t.inapp(inappMessage({ account: { id: 'acct-edges' }, text: 'A question about exports' }))).json.case.number;
});
afterAll(() => t.close());

const expect400 = (res: { status: number; json: any }, reason: RegExp) => {
  expect(res.status).toBe(400);
  expect(res.json.error).toMatch(reason);
};

describe('characters PostgreSQL cannot store are refused, not stored', () => {
  test('a NUL in a client message: 400 naming the field, and the vendor can fix it and resend', async () => {
    expect400(await t.inapp(inappMessage({ account: { id: 'acct-edges' }, text: 'a\u0000b' })), /body\.text: contains a NUL character/);
    expect400(await t.inapp(inappMessage({ account: { id: 'acct-edges' }, user: { id: 'u\ud800', name: 'x' } })), /body\.user\.id: contains an unpaired UTF-16 surrogate/);
  });

  test('in admin names, notes, triage keywords and path parameters', async () => {
    expect400(await t.admin('POST', '/api/v1/managers', { name: 'Bad\u0000Name' }), /body\.name: contains a NUL/);
    expect400(await t.admin('POST', `/api/v1/cases/${caseNumber}/note`, { text: 'x\udc00' }), /body\.text: contains an unpaired/);
    expect400(await t.admin('PUT', '/api/v1/settings/triage', { rules: { critical: ['do\u0000wn'] } }), /body\.rules\.critical\.0/);
    expect400(await t.admin('GET', '/api/v1/cases/12%00'), /path parameter "ref"/);
    expect400(await t.admin('GET', '/api/v1/cases?urgency=hi%00gh'), /query parameter "urgency"/);
    const url = '/api/v1/inapp/accounts/a%00b/messages?after=0';
    const res = await t.app.inject({ method: 'GET', url, headers: signedHeaders(INAPP_SECRET, { method: 'GET', path: url }, t.clock.now()) });
    expect(res.statusCode).toBe(400);
  });
});

describe('numbers and dates beyond the database range are bounded, with the bound in the error', () => {
  test('ETAs far away or malformed', async () => {
    expect400(await t.admin('POST', `/api/v1/cases/${caseNumber}/eta`, { dueAt: '9999-12-31T23:59:59Z', managerId }), /within 366 days/);
    expect400(await t.admin('POST', `/api/v1/cases/${caseNumber}/eta`, { dueAt: '9999-12-31T23:59:59-14:00', managerId }), /within 366 days/);
    expect400(await t.admin('POST', `/api/v1/cases/${caseNumber}/eta`, { when: '3000000d', managerId }), /can't read "3000000d"/);
  });

  test('report ranges from year 0', async () => {
    expect400(await t.admin('GET', '/api/v1/reports/sla?from=0000-01-01T00:00:00Z'), /from must be between 1970-01-01 and 2999-12-31/);
  });

  test('a funnel milestone years ahead', async () => {
    const clientId = (await t.admin('GET', '/api/v1/clients')).json.clients.find((c: { inappAccountId: string }) => c.inappAccountId === 'acct-edges').id;
    expect400(await t.admin('POST', `/api/v1/clients/${clientId}/funnel-activations`, { title: 'F', milestones: [{ title: 'M', dueAt: '2999-01-01T10:00:00Z' }] }), /within 732 days/);
  });

  test('a client asking for a call in 99999999999 days is told the earliest slot', async () => {
    const res = await t.inapp(inappMessage({ account: { id: 'acct-edges' }, text: '/call 99999999999d' }));
    expect(res.status).toBe(200);
    await t.drain();
    const told = t.callback.received.filter((r) => r.body.account?.id === 'acct-edges').pop()!;
    expect(told.body.kind).toBe('call');
    expect(told.body.text).toMatch(/^Usage: \/call <when>.*The earliest possible slot is/);
  });
});

describe('shapes nobody expected', () => {
  test('a repeated query parameter', async () => {
    expect400(await t.admin('GET', '/api/v1/cases?status=open&status=resolved'), /query parameter "status" given more than once/);
  });

  test('an array nested 10,000 deep in a calendar', async () => {
    const deep = '['.repeat(10_000) + ']'.repeat(10_000);
    const res = await t.app.inject({
      method: 'POST', url: '/api/v1/calendars', headers: { authorization: 'Bearer test-admin-token-0123456789', 'content-type': 'application/json' },
      payload: `{"name":"deep","spec":{"zone":"UTC","week":{"mon":[["10:00","19:00"]]},"holidays":${deep}}}`,
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toMatch(/nested deeper than 32 levels/);
  });

  test('a 10 KB id', async () => {
    expect400(await t.admin('POST', '/api/v1/clients', { name: 'Long id', inappAccountId: 'x'.repeat(10_000) }), /inappAccountId: .*200/);
    expect400(await t.admin('POST', '/api/v1/managers', { name: 'M', slackUserId: 'U'.repeat(10_000) }), /slackUserId: .*200/);
  });
});

test('common time zones are accepted for managers and contacts, one check everywhere', async () => {
  for (const timeZone of ['Asia/Kolkata', 'Europe/Kyiv', 'Asia/Ho_Chi_Minh', 'Etc/UTC']) {
    const m = await t.admin('POST', '/api/v1/managers', { name: `In ${timeZone}`, timeZone });
    expect({ timeZone, status: m.status }).toEqual({ timeZone, status: 201 });
  }
  const clientId = (await t.admin('GET', '/api/v1/clients')).json.clients[0].id;
  expect((await t.admin('POST', '/api/v1/contacts', { clientId, name: 'Kyiv contact', timeZone: 'Europe/Kyiv' })).status).toBe(201);
  expect400(await t.admin('POST', '/api/v1/managers', { name: 'Nowhere', timeZone: 'Mars/Olympus_Mons' }), /timeZone: unknown IANA time zone/);
  expect400(await t.inapp(inappMessage({ account: { id: 'acct-edges' }, user: { id: 'tz', name: 'Tz', timeZone: 'Mars/Base' } })), /user\.timeZone/);
});
