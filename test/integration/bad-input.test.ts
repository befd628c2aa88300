// SPEC §8 through the real HTTP app and database: forged or stale webhooks get 401 and store nothing, malformed
// bodies 400 naming what is wrong, oversized bodies 413, redeliveries are stored once, unknown accounts become
// standard-tier clients, the admin API checks its token and bodies, and a database outage answers 503.
import { signedHeaders } from '../../adapters/inapp';
import { openTestDatabase } from '../support/db';
import { inappMessage, INAPP_SECRET, startTestService, type TestService } from '../support/service';

let t: TestService;
let defaultManagerId: string;

beforeAll(async () => {
  t = await startTestService();
  const m = await t.admin('POST', '/api/v1/managers', { name: 'Dmitri Default', email: 'dmitri@vendor.test', timeZone: 'Europe/Moscow', isDefault: true });
  expect(m.status).toBe(201);
  defaultManagerId = m.json.id;
});
afterAll(() => t.close());

/** Everything that tells whether a webhook stored anything: cases, clients, and the client's read-back. */
async function snapshot() {
  const cases = await t.admin('GET', '/api/v1/cases?limit=1000');
  const clients = await t.admin('GET', '/api/v1/clients');
  expect(cases.status).toBe(200);
  expect(clients.status).toBe(200);
  return { cases: cases.json.cases.length as number, clients: clients.json.clients as { inappAccountId: string | null; tier: string; managerId: string | null; name: string }[] };
}

async function readBack(accountId: string) {
  const url = `/api/v1/inapp/accounts/${accountId}/messages?after=0`;
  const res = await t.app.inject({ method: 'GET', url, headers: signedHeaders(INAPP_SECRET, { method: 'GET', path: url }, t.clock.now()) });
  expect(res.statusCode).toBe(200);
  return res.json().messages as { direction: string; kind: string }[];
}

async function expectNothingStored(before: Awaited<ReturnType<typeof snapshot>>, accountId: string) {
  const after = await snapshot();
  expect(after.cases).toBe(before.cases);
  expect(after.clients).toHaveLength(before.clients.length);
  expect(after.clients.map((c) => c.inappAccountId)).not.toContain(accountId);
  expect(await readBack(accountId)).toEqual([]);
  await t.drain();
  expect(t.callback.received.filter((r) => r.body.account?.id === accountId)).toEqual([]);
}

describe('POST /webhooks/inapp verifies before it stores', () => {
  test('a forged signature gets 401 and nothing is stored', async () => {
    const before = await snapshot();
    const res = await t.inapp(inappMessage({ account: { id: 'acct-forged', name: 'Forger' } }), { secret: 'not-the-secret-0123456789' });
    expect(res.status).toBe(401);
    expect(res.json.error).toMatch(/signature/);
    await expectNothingStored(before, 'acct-forged');
  });

  test('a signature over a different body gets 401 (the body was tampered with)', async () => {
    const before = await snapshot();
    const signedFor = JSON.stringify(inappMessage({ account: { id: 'acct-tamper' }, text: 'harmless' }));
    const sent = JSON.stringify(inappMessage({ account: { id: 'acct-tamper' }, text: 'tampered' }));
    const res = await t.app.inject({
      method: 'POST', url: '/webhooks/inapp', payload: sent,
      headers: { 'content-type': 'application/json', ...signedHeaders(INAPP_SECRET, { method: 'POST', path: '/webhooks/inapp', body: signedFor }, t.clock.now()) },
    });
    expect(res.statusCode).toBe(401);
    await expectNothingStored(before, 'acct-tamper');
  });

  test('a stale timestamp (6 minutes old) gets 401 and nothing is stored', async () => {
    const before = await snapshot();
    const res = await t.inapp(inappMessage({ account: { id: 'acct-stale' } }), { at: new Date(t.clock.now().getTime() - 6 * 60_000) });
    expect(res.status).toBe(401);
    expect(res.json.error).toMatch(/window/);
    await expectNothingStored(before, 'acct-stale');
  });

  test('a timestamp more than 5 minutes in the future gets 401', async () => {
    const before = await snapshot();
    const res = await t.inapp(inappMessage({ account: { id: 'acct-future' } }), { at: new Date(t.clock.now().getTime() + 5 * 60_000 + 10_000) });
    expect(res.status).toBe(401);
    await expectNothingStored(before, 'acct-future');
  });

  test('a timestamp inside the window (4 minutes old) is accepted', async () => {
    const res = await t.inapp(inappMessage({ account: { id: 'acct-window' } }), { at: new Date(t.clock.now().getTime() - 4 * 60_000) });
    expect(res.status).toBe(200);
    expect(res.json.status).toBe('stored');
  });

  test('missing signature headers get 401', async () => {
    const before = await snapshot();
    const body = JSON.stringify(inappMessage({ account: { id: 'acct-unsigned' } }));
    const none = await t.app.inject({ method: 'POST', url: '/webhooks/inapp', payload: body, headers: { 'content-type': 'application/json' } });
    expect(none.statusCode).toBe(401);
    expect(none.json().error).toMatch(/missing/);
    const { 'x-switchboard-signature': sig, 'x-switchboard-timestamp': ts } = signedHeaders(INAPP_SECRET, { method: 'POST', path: '/webhooks/inapp', body }, t.clock.now());
    const noTimestamp = await t.app.inject({ method: 'POST', url: '/webhooks/inapp', payload: body, headers: { 'content-type': 'application/json', 'x-switchboard-signature': sig } });
    expect(noTimestamp.statusCode).toBe(401);
    const noSignature = await t.app.inject({ method: 'POST', url: '/webhooks/inapp', payload: body, headers: { 'content-type': 'application/json', 'x-switchboard-timestamp': ts } });
    expect(noSignature.statusCode).toBe(401);
    await expectNothingStored(before, 'acct-unsigned');
  });
});

describe('POST /webhooks/inapp rejects malformed bodies with 400 saying what is wrong', () => {
  test('malformed JSON (correctly signed)', async () => {
    const before = await snapshot();
    const res = await t.inapp(undefined, { raw: '{"id": "m-1", "account": {"id": "acct-badjson"' });
    expect(res.status).toBe(400);
    expect(res.json.error).toMatch(/JSON/);
    await expectNothingStored(before, 'acct-badjson');
  });

  test('missing user', async () => {
    const before = await snapshot();
    const { user: _u, ...noUser } = inappMessage({ account: { id: 'acct-nouser' } });
    const res = await t.inapp(noUser);
    expect(res.status).toBe(400);
    expect(res.json.error).toMatch(/\buser\b/);
    await expectNothingStored(before, 'acct-nouser');
  });

  test('empty text (and no attachments)', async () => {
    const before = await snapshot();
    const res = await t.inapp(inappMessage({ account: { id: 'acct-notext' }, text: '   ' }));
    expect(res.status).toBe(400);
    expect(res.json.error).toMatch(/\btext\b/);
    await expectNothingStored(before, 'acct-notext');
  });

  test('an urgency that is not a level', async () => {
    const before = await snapshot();
    const res = await t.inapp(inappMessage({ account: { id: 'acct-badurgency' }, urgency: 'asap' }));
    expect(res.status).toBe(400);
    expect(res.json.error).toMatch(/\burgency\b/);
    await expectNothingStored(before, 'acct-badurgency');
  });

  test('a body over the 1 MiB limit gets 413, even correctly signed', async () => {
    const before = await snapshot();
    const raw = JSON.stringify(inappMessage({ account: { id: 'acct-huge' }, text: 'x'.repeat(Math.round(1.1 * 1024 * 1024)) }));
    expect(Buffer.byteLength(raw)).toBeGreaterThan(1024 * 1024);
    const res = await t.inapp(undefined, { raw });
    expect(res.status).toBe(413);
    await expectNothingStored(before, 'acct-huge');
  });
});

describe('redelivery and unknown accounts', () => {
  test('a redelivered id is answered 200 twice and stored once, with one acknowledgement', async () => {
    const msg = inappMessage({ account: { id: 'acct-redeliver', name: 'Redeliver Co' }, user: { id: 'u-red', name: 'Rita' }, text: 'How do I export reports?' });
    const first = await t.inapp(msg);
    expect(first.status).toBe(200);
    expect(first.json.status).toBe('stored');
    const second = await t.inapp(msg);
    expect(second.status).toBe(200);
    expect(second.json.status).toBe('duplicate');
    // Redelivered later (a platform retry minutes after), still the same message.
    t.clock.advanceMinutes(2);
    const third = await t.inapp(msg);
    expect(third.json.status).toBe('duplicate');

    const kase = await t.admin('GET', `/api/v1/cases/${first.json.case.number}`);
    expect(kase.json.messages.filter((m: { direction: string }) => m.direction === 'inbound')).toHaveLength(1);
    // Read-back hands a message out once every older transaction on the server has finished: poll as a client does.
    let inbound = (await readBack('acct-redeliver')).filter((m) => m.direction === 'inbound');
    for (let i = 0; i < 100 && !inbound.length; i++) {
      await new Promise((r) => setTimeout(r, 20));
      inbound = (await readBack('acct-redeliver')).filter((m) => m.direction === 'inbound');
    }
    expect(inbound).toHaveLength(1);

    await t.drain();
    const acks = t.callback.received.filter((r) => r.body.account?.id === 'acct-redeliver');
    expect(acks).toHaveLength(1);
    expect(acks[0].body.kind).toBe('ack');
    expect(acks[0].body.text).toContain(`case #${first.json.case.number}`);
  });

  test('an unknown account is accepted and becomes a standard-tier client of the default manager; the console is told', async () => {
    const before = await snapshot();
    expect(before.clients.map((c) => c.inappAccountId)).not.toContain('acct-newcomer');
    const res = await t.inapp(inappMessage({ account: { id: 'acct-newcomer', name: 'Newcomer GmbH' }, user: { id: 'u-new', name: 'Nora' }, text: 'Where are the API docs?' }));
    expect(res.status).toBe(200);
    expect(res.json.status).toBe('stored');

    const after = await snapshot();
    const client = after.clients.find((c) => c.inappAccountId === 'acct-newcomer');
    expect(client).toMatchObject({ name: 'Newcomer GmbH', tier: 'standard', managerId: defaultManagerId });
    const kase = await t.admin('GET', `/api/v1/cases/${res.json.case.number}`);
    expect(kase.json).toMatchObject({ status: 'open', managerId: defaultManagerId, urgency: 'medium' });

    await t.drain();
    const notices = t.notices.filter((n) => n.type === 'new_client' && n.text.includes('Newcomer GmbH'));
    expect(notices).toHaveLength(1);
    expect(notices[0].managerIds).toEqual([defaultManagerId]);
    expect(t.callback.received.filter((r) => r.body.account?.id === 'acct-newcomer').map((r) => r.body.kind)).toEqual(['ack']);

    // The second message from the same account is the same client, not another new one.
    await t.inapp(inappMessage({ account: { id: 'acct-newcomer', name: 'Newcomer GmbH' }, user: { id: 'u-new2', name: 'Nils' }, text: 'And the SDK?' }));
    await t.drain();
    expect((await snapshot()).clients.filter((c) => c.inappAccountId === 'acct-newcomer')).toHaveLength(1);
    expect(t.notices.filter((n) => n.type === 'new_client' && n.text.includes('Newcomer GmbH'))).toHaveLength(1);
  });
});

describe('admin API', () => {
  test('no bearer token or a wrong one gets 401', async () => {
    const none = await t.app.inject({ method: 'GET', url: '/api/v1/cases' });
    expect(none.statusCode).toBe(401);
    const wrong = await t.app.inject({ method: 'GET', url: '/api/v1/cases', headers: { authorization: 'Bearer not-the-admin-token-00000' } });
    expect(wrong.statusCode).toBe(401);
    const scheme = await t.app.inject({ method: 'GET', url: '/api/v1/clients', headers: { authorization: 'Basic dGVzdDp0ZXN0' } });
    expect(scheme.statusCode).toBe(401);
    const before = await snapshot();
    const write = await t.app.inject({
      method: 'POST', url: '/api/v1/clients', payload: JSON.stringify({ name: 'Sneaky Ltd' }),
      headers: { 'content-type': 'application/json', authorization: 'Bearer wrong' },
    });
    expect(write.statusCode).toBe(401);
    expect((await snapshot()).clients).toHaveLength(before.clients.length);
  });

  test('a POST with an invalid body gets 400 naming the field', async () => {
    const manager = await t.admin('POST', '/api/v1/managers', { email: 'nobody@vendor.test' });
    expect(manager.status).toBe(400);
    expect(manager.json.error).toMatch(/\bname\b/);

    const client = await t.admin('POST', '/api/v1/clients', { name: 'Tiered', tier: 'gold' });
    expect(client.status).toBe(400);
    expect(client.json.error).toMatch(/\btier\b/);

    const opened = await t.inapp(inappMessage({ account: { id: 'acct-admin-body' }, text: 'Question about invoices' }));
    const n = opened.json.case.number;
    const urgency = await t.admin('POST', `/api/v1/cases/${n}/urgency`, { urgency: 'asap' });
    expect(urgency.status).toBe(400);
    expect(urgency.json.error).toMatch(/\burgency\b/);
    const reply = await t.admin('POST', `/api/v1/cases/${n}/reply`, {});
    expect(reply.status).toBe(400);
    expect(reply.json.error).toMatch(/\btext\b/);
    const eta = await t.admin('POST', `/api/v1/cases/${n}/eta`, { when: 'someday soon' });
    expect(eta.status).toBe(400);
    expect(eta.json.error).toMatch(/\bwhen\b/);
    // Nothing of that changed the case.
    const kase = await t.admin('GET', `/api/v1/cases/${n}`);
    expect(kase.json).toMatchObject({ urgency: 'medium', eta: null });
    expect(kase.json.messages.filter((m: { direction: string }) => m.direction === 'outbound').map((m: { kind: string }) => m.kind)).toEqual(['ack']);
  });

  test('an unknown case gets 404', async () => {
    expect((await t.admin('GET', '/api/v1/cases/999999')).status).toBe(404);
    expect((await t.admin('GET', '/api/v1/cases/%23999999')).status).toBe(404);
    expect((await t.admin('GET', '/api/v1/cases/00000000-0000-4000-8000-000000000000')).status).toBe(404);
    expect((await t.admin('GET', '/api/v1/cases/not-a-case')).status).toBe(404);
    const reply = await t.admin('POST', '/api/v1/cases/999999/reply', { text: 'hello?' });
    expect(reply.status).toBe(404);
    expect(reply.json.error).toMatch(/999999/);
    expect((await t.admin('POST', '/api/v1/cases/999999/resolve', {})).status).toBe(404);
  });
});

test('with the database down, a valid message gets 503 and /readyz 503 while /healthz stays 200', async () => {
  const db = await openTestDatabase();
  const down = await startTestService({ db, callback: t.callback });
  try {
    expect((await down.app.inject({ method: 'GET', url: '/readyz' })).statusCode).toBe(200);
    await db.close();

    const res = await down.inapp(inappMessage({ account: { id: 'acct-db-down' }, text: 'Is anyone there?' }));
    expect(res.status).toBe(503);
    expect(res.json.error).toMatch(/database/);

    const ready = await down.app.inject({ method: 'GET', url: '/readyz' });
    expect(ready.statusCode).toBe(503);
    const health = await down.app.inject({ method: 'GET', url: '/healthz' });
    expect(health.statusCode).toBe(200);

    // The admin API says the same instead of a bare 500.
    expect((await down.admin('GET', '/api/v1/cases')).status).toBe(503);
    // Verification still comes first: a forged message is 401, not 503.
    expect((await down.inapp(inappMessage({ account: { id: 'acct-db-down' } }), { secret: 'forged-secret-0123456789' })).status).toBe(401);
  } finally {
    await down.close();
  }
});
