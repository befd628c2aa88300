// The in-app channel against a vendor's integrator and an attacker: message ids are the vendor's, unique per account
// only; our callbacks can't be replayed to us as client messages; what a client sends as a link must be a web link.
import { randomUUID } from 'node:crypto';
import { signedHeaders, signV1 } from '../../adapters/inapp';
import { INAPP_SECRET, inappMessage, startTestService, type TestService } from '../support/service';

let t: TestService;
let managerId: string;
beforeAll(async () => {
  t = await startTestService();
  managerId = (await t.admin('POST', '/api/v1/managers', { name: 'Maria Petrova', timeZone: 'Europe/Moscow', isDefault: true })).json.id;
});
afterAll(() => t.close());

test('the same message id from two accounts is two messages (ids are unique per account only)', async () => {
  await t.admin('POST', '/api/v1/clients', { name: 'Account A', tier: 'premium', managerId, inappAccountId: 'scope-a' });
  await t.admin('POST', '/api/v1/clients', { name: 'Account B', tier: 'premium', managerId, inappAccountId: 'scope-b' });
  // A command takes the locked path, which records the delivery on its own row.
  const a = await t.inapp(inappMessage({ id: '42', account: { id: 'scope-a' }, user: { id: 'ua', name: 'Ann' }, text: '/status' }));
  expect(a.json.status).toBe('command');
  const b = await t.inapp(inappMessage({ id: '42', account: { id: 'scope-b' }, user: { id: 'ub', name: 'Bob' }, text: 'Tracking is down!' }));
  expect(b.status).toBe(200);
  expect(b.json.status).toBe('stored');
  expect(b.json.case.opened).toBe(true);
  // A redelivery within one account is still recognised, on either path.
  expect((await t.inapp(inappMessage({ id: '42', account: { id: 'scope-b' }, user: { id: 'ub', name: 'Bob' }, text: 'Tracking is down!' }))).json.status).toBe('duplicate');
  expect((await t.inapp(inappMessage({ id: '42', account: { id: 'scope-a' }, user: { id: 'ua', name: 'Ann' }, text: '/status' }))).json.status).toBe('duplicate');
  const kase = (await t.admin('GET', `/api/v1/cases/${b.json.case.number}`)).json;
  expect(kase).toMatchObject({ urgency: 'critical', subject: 'Tracking is down!' });
});

test('a callback captured on its way to the vendor is refused when replayed to our webhook', async () => {
  await t.admin('POST', '/api/v1/clients', { name: 'Replay Co', tier: 'standard', managerId, inappAccountId: 'scope-replay' });
  const sent = await t.inapp(inappMessage({ account: { id: 'scope-replay' }, user: { id: 'ur', name: 'Rita' }, text: 'How do postbacks work?' }));
  await t.drain();
  const captured = t.callback.received.find((r) => r.body.account?.id === 'scope-replay')!;
  expect(captured.body.kind).toBe('ack');
  // The attacker replays the callback exactly as captured (same body, same headers) within the 5-minute window.
  const replay = await t.app.inject({
    method: 'POST', url: '/webhooks/inapp', payload: captured.raw,
    headers: { 'content-type': 'application/json', 'x-switchboard-timestamp': String(captured.headers['x-switchboard-timestamp']), 'x-switchboard-signature': String(captured.headers['x-switchboard-signature']) },
  });
  expect(replay.statusCode).toBe(401);
  const kase = (await t.admin('GET', `/api/v1/cases/${sent.json.case.number}`)).json;
  expect(kase.messages.filter((m: { direction: string }) => m.direction === 'inbound')).toHaveLength(1);
});

test('requests signed with the legacy v1 scheme are still accepted inbound', async () => {
  const body = JSON.stringify(inappMessage({ account: { id: 'scope-legacy' }, text: 'Signed the old way' }));
  const ts = Math.floor(t.clock.now().getTime() / 1000);
  const res = await t.app.inject({
    method: 'POST', url: '/webhooks/inapp', payload: body,
    headers: { 'content-type': 'application/json', 'x-switchboard-timestamp': String(ts), 'x-switchboard-signature': signV1(INAPP_SECRET, ts, body) },
  });
  expect(res.statusCode).toBe(200);
  expect(res.json().status).toBe('stored');
  // A v2 signature made for another path or method does not pass.
  const wrongPath = signedHeaders(INAPP_SECRET, { method: 'POST', path: '/webhooks/other', body }, t.clock.now());
  expect((await t.app.inject({ method: 'POST', url: '/webhooks/inapp', payload: body, headers: { 'content-type': 'application/json', ...wrongPath } })).statusCode).toBe(401);
});

test('a message that carries one of our own callback ids is our echo, not a client message', async () => {
  await t.admin('POST', '/api/v1/clients', { name: 'Echo Co', tier: 'standard', managerId, inappAccountId: 'scope-echo' });
  const sent = await t.inapp(inappMessage({ account: { id: 'scope-echo' }, user: { id: 'ue', name: 'Eve' }, text: 'Where is my invoice?' }));
  await t.drain();
  const ack = t.callback.received.find((r) => r.body.account?.id === 'scope-echo')!;
  // A vendor app that mirrors what it displays back to us, with our id, is not a new client message.
  const echo = await t.inapp({ id: ack.body.id, account: { id: 'scope-echo' }, user: { id: 'ue', name: 'Eve' }, text: ack.body.text });
  expect(echo.status).toBe(200);
  expect(echo.json.status).toBe('echo');
  const kase = (await t.admin('GET', `/api/v1/cases/${sent.json.case.number}`)).json;
  expect(kase.messages.filter((m: { direction: string }) => m.direction === 'inbound')).toHaveLength(1);
});

test('attachment links must be http(s): a javascript: URL is refused with the field named', async () => {
  const res = await t.inapp(inappMessage({ account: { id: 'scope-links' }, attachments: [{ name: 'x.pdf', url: 'javascript:alert(1)' }] }));
  expect(res.status).toBe(400);
  expect(res.json.error).toMatch(/attachments\.0\.url/);
  const ok = await t.inapp(inappMessage({ account: { id: 'scope-links' }, attachments: [{ name: 'x.pdf', url: `https://files.example.com/${randomUUID()}.pdf` }] }));
  expect(ok.status).toBe(200);
});

test('a callback that answers with a redirect is not followed: the delivery fails and the manager is told', async () => {
  await t.admin('POST', '/api/v1/clients', { name: 'Redirect Co', tier: 'standard', managerId, inappAccountId: 'scope-redirect' });
  await t.drain();
  t.callback.respondWith({ status: 302, headers: { location: `${t.callback.url}?followed=1` } });
  const sent = await t.inapp(inappMessage({ account: { id: 'scope-redirect' }, user: { id: 'ux', name: 'Xena' }, text: 'Question about exports' }));
  await t.drain();
  // Had the redirect been followed, the acknowledgement would have arrived at the callback server after all.
  expect(t.callback.received.filter((r) => r.body.account?.id === 'scope-redirect')).toEqual([]);
  const kase = (await t.admin('GET', `/api/v1/cases/${sent.json.case.number}`)).json;
  const failed = kase.timeline.find((e: { type: string }) => e.type === 'delivery_failed');
  expect(failed.reason).toMatch(/redirect/);
});
