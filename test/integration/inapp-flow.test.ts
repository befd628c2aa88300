// The whole in-app flow through the real HTTP app and database: message → case with urgency, manager and due
// time → acknowledgement on the vendor's callback → ETA through the admin API → clock met → client gets the ETA
// → resolve.
import { createHmac } from 'node:crypto';
import { signedHeaders } from '../../adapters/inapp';
import { inappMessage, INAPP_SECRET, startTestService, type TestService } from '../support/service';

let t: TestService;
let managerId: string;

beforeAll(async () => {
  t = await startTestService();
  const m = await t.admin('POST', '/api/v1/managers', { name: 'Maria Petrova', email: 'maria@vendor.test', timeZone: 'Europe/Moscow' });
  expect(m.status).toBe(201);
  managerId = m.json.id;
  const c = await t.admin('POST', '/api/v1/clients', { name: 'Acme Ltd', tier: 'premium', managerId, inappAccountId: 'acct-1' });
  expect(c.status).toBe(201);
});
afterAll(() => t.close());

test('a critical in-app message runs the whole case lifecycle', async () => {
  const sent = await t.inapp(inappMessage({ text: 'Our tracking is down, all conversions lost since 9am!' }));
  expect(sent.status).toBe(200);
  expect(sent.json.status).toBe('stored');
  const number = sent.json.case.number;

  const opened = await t.admin('GET', `/api/v1/cases/${number}`);
  expect(opened.json).toMatchObject({ urgency: 'critical', status: 'open', managerId, channel: 'inapp' });
  // Critical is 15 minutes around the clock.
  expect(opened.json.sla).toMatchObject({ state: 'running', startedAt: '2026-11-23T08:00:00.000Z', dueAt: '2026-11-23T08:15:00.000Z' });

  await t.drain();
  expect(t.callback.received).toHaveLength(1);
  const ack = t.callback.received[0];
  expect(ack.body.text).toContain(`case #${number}`);
  expect(ack.body.text).toContain('Urgency: critical');
  expect(ack.body.text).toContain('Maria Petrova');
  expect(ack.body.text).toContain('Mon 23 Nov 2026, 11:15 (Europe/Moscow)');
  expect(ack.body.account).toEqual({ id: 'acct-1' });
  // The urgency came from the classifier, so the client is offered to choose (the app renders these as buttons and
  // sends the value back as a message).
  expect(ack.body.choices).toHaveLength(5);
  expect(ack.body.choices).toContainEqual({ label: 'Set urgency: high', value: '/urgency high' });
  expect(ack.body.choices.map((c: { value: string }) => c.value)).not.toContain('/urgency critical');
  // The delivery is signed with the shared secret, like inbound.
  // v2 and marked outbound, so it can't be replayed to us as a client message.
  const ts = ack.headers['x-switchboard-timestamp'];
  const signed = `v2\noutbound\nPOST\n/callback\n${ts}\n${ack.raw}`;
  expect(ack.headers['x-switchboard-signature']).toBe(`v2=${createHmac('sha256', INAPP_SECRET).update(signed).digest('hex')}`);

  t.clock.advanceMinutes(5);
  const eta = await t.admin('POST', `/api/v1/cases/${number}/eta`, { when: '2h', managerId, note: 'Engineers are on it.' });
  expect(eta.status).toBe(200);
  expect(eta.json.result.sla).toBe('met');

  const afterEta = await t.admin('GET', `/api/v1/cases/${number}`);
  expect(afterEta.json.sla.state).toBe('met');
  expect(afterEta.json.eta).toBe('2026-11-23T10:05:00.000Z');
  expect(afterEta.json.etas).toEqual([expect.objectContaining({ revision: 1, state: 'standing', managerId })]);

  await t.drain();
  expect(t.callback.received).toHaveLength(2);
  expect(t.callback.received[1].body).toMatchObject({ kind: 'eta', caseNumber: number, author: { name: 'Maria Petrova' } });
  expect(t.callback.received[1].body.text).toContain('Mon 23 Nov 2026, 13:05 (Europe/Moscow)');

  t.clock.advanceMinutes(60);
  const resolved = await t.admin('POST', `/api/v1/cases/${number}/resolve`, { managerId, summary: 'A tracking domain certificate expired; renewed.' });
  expect(resolved.status).toBe(200);
  await t.drain();
  expect(t.callback.received).toHaveLength(3);
  expect(t.callback.received[2].body.kind).toBe('resolution');

  const final = await t.admin('GET', `/api/v1/cases/${number}`);
  expect(final.json.status).toBe('resolved');
  expect(final.json.etas[0].state).toBe('met');
  const types = final.json.timeline.map((e: { type: string }) => e.type);
  expect(types).toEqual(expect.arrayContaining(['opened', 'urgency_set', 'assigned', 'clock_started', 'clock_met', 'eta_posted', 'resolved']));
  const urgencySet = final.json.timeline.find((e: { type: string }) => e.type === 'urgency_set');
  expect(urgencySet).toMatchObject({ urgency: 'critical', source: 'classifier' });
  expect(urgencySet.reason).toMatch(/keyword/);
  const met = final.json.timeline.find((e: { type: string }) => e.type === 'clock_met');
  expect(met.reason).toBe('ETA posted');
});

test('the client can read its conversation back, and only its own', async () => {
  await t.inapp(inappMessage({ account: { id: 'acct-2', name: 'Other Co' }, user: { id: 'u9', name: 'Olga' }, text: 'Unrelated question' }));
  const url = '/api/v1/inapp/accounts/acct-1/messages?after=0';
  // A message is readable once every transaction older than its writer has finished — on a shared PostgreSQL, other
  // databases' too — so a client polls; here, until the four messages are there (bounded).
  let res = await t.app.inject({ method: 'GET', url, headers: signedHeaders(INAPP_SECRET, { method: 'GET', path: url }, t.clock.now()) });
  for (let i = 0; i < 100 && res.json().messages.length < 4; i++) {
    await new Promise((r) => setTimeout(r, 20));
    res = await t.app.inject({ method: 'GET', url, headers: signedHeaders(INAPP_SECRET, { method: 'GET', path: url }, t.clock.now()) });
  }
  expect(res.statusCode).toBe(200);
  const { messages, next } = res.json();
  expect(messages.map((m: { kind: string; direction: string }) => `${m.direction}:${m.kind}`)).toEqual([
    'inbound:text', 'outbound:ack', 'outbound:eta', 'outbound:resolution',
  ]);
  expect(messages.every((m: { text: string }) => !m.text.includes('Unrelated'))).toBe(true);
  expect(messages[2].author).toEqual({ name: 'Maria Petrova' });

  const later = `/api/v1/inapp/accounts/acct-1/messages?after=${next}`;
  const empty = await t.app.inject({ method: 'GET', url: later, headers: signedHeaders(INAPP_SECRET, { method: 'GET', path: later }, t.clock.now()) });
  expect(empty.json().messages).toEqual([]);

  // A signature made for another account's URL does not open this one.
  const other = '/api/v1/inapp/accounts/acct-2/messages?after=0';
  const forged = await t.app.inject({ method: 'GET', url, headers: signedHeaders(INAPP_SECRET, { method: 'GET', path: other }, t.clock.now()) });
  expect(forged.statusCode).toBe(401);
});

test('message bodies stay out of info-level logs', () => {
  const info = t.log.entries.filter((e) => e.level === 'info').map((e) => `${e.msg} ${JSON.stringify(e.obj)}`).join('\n');
  expect(info).toContain('"notice":"case_opened"'); // notices are logged...
  expect(info).not.toContain('all conversions lost'); // ...without what the client wrote
  expect(info).not.toContain('Unrelated question');
});
