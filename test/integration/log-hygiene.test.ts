// SPEC / README: message bodies and secrets stay out of logs at info level. A full flow — new case, follow-ups, client
// commands (a feature request quoted in a console notice), manager reply, note, request for details, ETA,
// resolution, a failing and a refused callback, bad requests — and then every captured log line at info or above is
// searched for what clients and managers wrote and for the secrets.
import { ADMIN_TOKEN, INAPP_SECRET, inappMessage, startTestService, type TestService } from '../support/service';

let t: TestService;
beforeAll(async () => {
  t = await startTestService();
});
afterAll(() => t.close());

test('no message body, feature text, name typed by a client or secret reaches an info-level log line', async () => {
  const manager = (await t.admin('POST', '/api/v1/managers', { name: 'Maria Petrova', timeZone: 'Europe/Moscow', isDefault: true })).json.id;
  const said = {
    first: 'Secret-sauce launch: our checkout tracking is down since 9am',
    follow: 'Follow-up with the staging password hunter2',
    feature: 'please add export of invoices to the moon-base ledger',
    reply: 'Looking into the moon-base ledger right now',
    note: 'internal: client is on the legacy cluster zeta-9',
    question: 'Which browser shows the wrong totals?',
    answer: 'Firefox on the kiosk-42 terminal',
    summary: 'Certificate on the tracking domain renewed',
  };
  const account = { id: 'acct-logs', name: 'Quiet Corp Ltd' };
  const user = { id: 'u-logs', name: 'Zebulon Quietman', email: 'zeb@quiet.test' };
  const open = await t.inapp(inappMessage({ account, user, text: said.first }));
  const n = open.json.case.number;
  await t.inapp(inappMessage({ account, user, text: said.follow }));
  await t.inapp(inappMessage({ account, user, text: `/feature ${said.feature}` }));
  await t.inapp(inappMessage({ account, user, text: '/call tomorrow 03:00' }));
  // The vendor's app is down for a moment, then refuses one delivery outright.
  t.callback.respondWith({ status: 500 }, { status: 400 });
  await t.drain();
  await t.admin('POST', `/api/v1/cases/${n}/reply`, { text: said.reply, managerId: manager });
  await t.admin('POST', `/api/v1/cases/${n}/note`, { text: said.note, managerId: manager });
  await t.admin('POST', `/api/v1/cases/${n}/needinfo`, { question: said.question, managerId: manager });
  await t.inapp(inappMessage({ account, user, text: said.answer }));
  await t.admin('POST', `/api/v1/cases/${n}/eta`, { when: '2h', managerId: manager });
  await t.admin('POST', `/api/v1/cases/${n}/resolve`, { summary: said.summary, managerId: manager });
  // Bad input: a forged signature and a malformed body that quotes client text.
  await t.inapp(inappMessage({ account, user, text: 'forged hunter3' }), { secret: 'wrong-secret-0123456789' });
  await t.inapp(undefined, { raw: `{"text":"broken json hunter4` });
  t.clock.advanceMinutes(20);
  await t.tick();
  await t.drain();
  t.clock.advanceMinutes(60 * 24 * 2);
  await t.drain();

  const lines = t.log.entries.filter((e) => e.level !== 'debug').map((e) => `${e.level} ${e.msg ?? ''} ${JSON.stringify(e.obj)}`);
  expect(lines.length).toBeGreaterThan(5); // the flow did log (notices, the failed delivery)
  const text = lines.join('\n');
  for (const secret of [...Object.values(said), 'hunter3', 'hunter4', account.name, user.name, user.email, INAPP_SECRET, ADMIN_TOKEN])
    expect({ secret, found: text.includes(secret) }).toEqual({ secret, found: false });
});

test('every answer carries a request id, a well-formed one the caller sent is kept, and log lines written during the request carry it', async () => {
  const mine = await t.app.inject({ method: 'GET', url: '/healthz', headers: { 'x-request-id': 'vendor-trace-42' } });
  expect(mine.headers['x-request-id']).toBe('vendor-trace-42');
  const odd = await t.app.inject({ method: 'GET', url: '/healthz', headers: { 'x-request-id': 'x'.repeat(500) } });
  expect(odd.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  // A webhook whose body can't be stored is refused and logged as a warning inside the request.
  t.log.entries.length = 0;
  await t.db.close().catch(() => undefined);
  const down = await t.inapp(inappMessage({ account: { id: 'acct-reqid' } }), { headers: { 'x-request-id': 'trace-db-down' } });
  expect(down.status).toBe(503);
  const line = t.log.entries.find((e) => e.msg === 'database unavailable');
  expect(line?.obj).toMatchObject({ reqId: 'trace-db-down' });
});
