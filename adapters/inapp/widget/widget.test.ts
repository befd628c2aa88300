// The chat widget's API on the real service, listening on loopback (SSE needs a real connection): tokens, CORS,
// sending through the in-app intake, the stream (history, live, resume, buttons, isolation, limits, expiry), and the
// in-app parity scenarios driven through the widget.
import { execFileSync } from 'node:child_process';
import { createHmac, randomUUID } from 'node:crypto';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { enabledChannels } from '../../../src/channels/enable';
import { CRITICAL_CHOSEN, LIFECYCLE_RECEIVED } from '../../../test/parity/transcripts';
import { INAPP_SECRET, startTestService, type TestService } from '../../../test/support/service';
import inapp from '../index';
import { tokenFor, widgetHarness, WidgetUser } from './harness';
import { mintWidgetToken, verifyWidgetToken } from './token';

const HOST_ORIGIN = 'https://app.vendor.test';
let t: TestService;
let base: string;
let managerId: string;

beforeAll(async () => {
  t = await startTestService({ env: { WIDGET_ORIGINS: `${HOST_ORIGIN}, http://localhost:5173` } });
  base = (await t.app.listen({ port: 0, host: '127.0.0.1' })).replace('localhost', '127.0.0.1');
  managerId = (await t.admin('POST', '/api/v1/managers', { name: 'Maria Petrova', timeZone: 'Europe/Moscow', isDefault: true })).json.id;
});
afterAll(() => t.close());

const user = (accountId: string, o: { origin?: string; userId?: string; ttl?: number } = {}) =>
  new WidgetUser(base, tokenFor(t, { accountId, accountName: `${accountId} Ltd`, userId: o.userId ?? 'u-1' }, o.ttl), o.origin);
const casesOf = async (accountId: string) => {
  const c = (await t.admin('GET', '/api/v1/clients')).json.clients.find((x: { inappAccountId: string }) => x.inappAccountId === accountId);
  return c ? (await t.admin('GET', `/api/v1/cases?clientId=${c.id}`)).json.cases : [];
};

describe('tokens', () => {
  const now = new Date('2026-11-23T08:00:00Z');
  const exp = now.getTime() / 1000 + 3600;
  const good = mintWidgetToken(INAPP_SECRET, { accountId: 'a', userId: 'u', exp });

  test('a token the vendor minted is accepted; forged, expired, too long-lived or malformed ones are not', () => {
    expect(verifyWidgetToken(INAPP_SECRET, good, now)).toMatchObject({ accountId: 'a', userId: 'u' });
    const [, part, mac] = good.split('.');
    const other = Buffer.from(JSON.stringify({ accountId: 'b', userId: 'u', exp })).toString('base64url');
    const cases: [string, RegExp][] = [
      [mintWidgetToken('another-secret-0123456789', { accountId: 'a', userId: 'u', exp }), /signature does not match/],
      [`sbu1.${other}.${mac}`, /signature does not match/],
      [`sbu1.${part}.${mac.toUpperCase()}`, /not a widget token/],
      [`sbu2.${part}.${mac}`, /not a widget token/],
      [good + 'x', /not a widget token/],
      [mintWidgetToken(INAPP_SECRET, { accountId: 'a', userId: 'u', exp: now.getTime() / 1000 - 1 }), /expired/],
      [mintWidgetToken(INAPP_SECRET, { accountId: 'a', userId: 'u', exp: now.getTime() / 1000 + 8 * 24 * 3600 }), /more than 7 days/],
      [mintWidgetToken(INAPP_SECRET, { accountId: '', userId: 'u', exp }), /claims: accountId/],
      [mintWidgetToken(INAPP_SECRET, { accountId: 'a\u0000b', userId: 'u', exp }), /NUL/],
      [mintWidgetToken(INAPP_SECRET, { accountId: 'a', userId: 'u', exp, email: 'not-an-email' }), /claims: email/],
      ['sbu1.' + 'A'.repeat(5000) + '.' + mac, /too long/],
    ];
    for (const [token, why] of cases) expect(() => verifyWidgetToken(INAPP_SECRET, token, now)).toThrow(why);
    // A webhook signature over the same bytes is no token: the MAC is domain-separated ("widget:").
    const plain = createHmac('sha256', INAPP_SECRET).update(part).digest('hex');
    expect(() => verifyWidgetToken(INAPP_SECRET, `sbu1.${part}.${plain}`, now)).toThrow(/signature/);
  });

  test('WIDGET_ORIGINS takes exact origins only, and only with INAPP_SECRET', () => {
    const env = (v: string) => enabledChannels({ INAPP_SECRET, WIDGET_ORIGINS: v }, [inapp]).problems;
    expect(env('https://app.vendor.test, http://localhost:5173')).toEqual([]);
    expect(env('https://app.vendor.test/chat')).toEqual([expect.stringMatching(/WIDGET_ORIGINS: "https:\/\/app.vendor.test\/chat" is not an origin/)]);
    expect(env('*')).toHaveLength(1);
  });
});

describe('sending', () => {
  test('a widget message goes through the in-app intake: a case, the acknowledgement, dedupe by the widget id', async () => {
    const u = user('acct-send');
    const id = randomUUID();
    const first = await u.send('Tracking is down, all conversions lost!', { id });
    expect(first).toMatchObject({ status: 200, json: { status: 'stored', case: { opened: true } } });
    expect(await u.send('Tracking is down, all conversions lost!', { id })).toMatchObject({ status: 200, json: { status: 'duplicate' } });
    const [kase] = await casesOf('acct-send');
    expect(kase).toMatchObject({ number: first.json.case.number, channel: 'inapp', urgency: 'critical', managerId });
    const view = (await t.admin('GET', `/api/v1/cases/${kase.number}`)).json;
    expect(view.messages.filter((m: { direction: string }) => m.direction === 'inbound')).toHaveLength(1);
    // The contact is the token's user, on the token's account.
    const contacts = (await t.admin('GET', `/api/v1/contacts?clientId=${kase.clientId}`)).json.contacts;
    expect(contacts[0]).toMatchObject({ name: 'Ann Client', identities: [expect.objectContaining({ channel: 'inapp', externalId: 'u-1' })] });
    // Commands work as typed.
    expect((await u.send('/status')).json).toEqual({ status: 'command' });
  });

  test('no token, a forged or an expired token: 401 and nothing stored', async () => {
    const forged = new WidgetUser(base, mintWidgetToken('not-the-secret-0123456789', { accountId: 'acct-401', userId: 'u', exp: t.clock.now().getTime() / 1000 + 60 }));
    const expired = user('acct-401', { ttl: -1 });
    for (const u of [forged, expired, new WidgetUser(base, '')]) {
      const res = await u.send('hello');
      expect(res.status).toBe(401);
      expect(res.json.error).toMatch(/^invalid widget token: /);
      expect(res.headers['www-authenticate']).toMatch(/^Bearer/);
    }
    expect(await casesOf('acct-401')).toEqual([]);
  });

  test('bad input is a 400 naming the field; a non-JSON body a 415', async () => {
    const u = user('acct-bad');
    expect((await u.send('a\u0000b')).json.error).toMatch(/body.text: contains a NUL/);
    expect((await u.send('   ')).json.error).toMatch(/^text: /);
    expect((await u.send('x'.repeat(100_001))).json.error).toMatch(/^text: /);
    expect(await u.send('hi', { id: 'short' })).toMatchObject({ status: 400, json: { error: expect.stringMatching(/^id: must be 8 to 100/) } });
    const res = await fetch(`${base}/widget/v1/messages`, { method: 'POST', headers: { authorization: `Bearer ${u.token}`, 'content-type': 'text/plain' }, body: 'hi' });
    expect(res.status).toBe(415);
    expect(await casesOf('acct-bad')).toEqual([]);
  });
});

describe('CORS', () => {
  test('exact origins from WIDGET_ORIGINS get CORS headers; any other origin is refused before the token is read', async () => {
    const allowed = await user('acct-cors', { origin: HOST_ORIGIN }).send('Hello from the app');
    expect(allowed.status).toBe(200);
    expect(allowed.headers['access-control-allow-origin']).toBe(HOST_ORIGIN);
    expect(allowed.headers.vary).toMatch(/Origin/);
    for (const origin of ['https://evil.test', 'https://app.vendor.test.evil.test', 'http://app.vendor.test', 'null']) {
      const res = await user('acct-cors', { origin }).send('Hello');
      expect({ origin, status: res.status, acao: res.headers['access-control-allow-origin'] }).toEqual({ origin, status: 403, acao: undefined });
    }
    const pre = await fetch(`${base}/widget/v1/stream`, { method: 'OPTIONS', headers: { origin: 'http://localhost:5173', 'access-control-request-method': 'GET', 'access-control-request-headers': 'authorization,last-event-id' } });
    expect(pre.status).toBe(204);
    expect(Object.fromEntries(['access-control-allow-origin', 'access-control-allow-headers', 'access-control-allow-methods'].map((h) => [h, pre.headers.get(h)]))).toEqual({
      'access-control-allow-origin': 'http://localhost:5173', 'access-control-allow-headers': 'authorization, content-type, last-event-id', 'access-control-allow-methods': 'GET, POST',
    });
    expect((await fetch(`${base}/widget/v1/messages`, { method: 'OPTIONS', headers: { origin: 'https://evil.test' } })).status).toBe(403);
    // The service's own pages are same-origin.
    expect((await user('acct-cors', { origin: base }).send('Hello again')).status).toBe(200);
  });
});

describe('the stream', () => {
  test('history first, then live: the acknowledgement with its urgency buttons, a press, and the manager\'s reply', async () => {
    const u = user('acct-live');
    await u.send('How do I export the monthly report?');
    const s = await u.stream();
    expect(s.status).toBe(200);
    expect(s.headers['content-type']).toBe('text/event-stream; charset=utf-8');
    await s.waitFor((r) => r.events.some((e) => e.type === 'synced'), 5000, 'synced');
    // Usually part of the history; on a shared PostgreSQL server another database's open transaction can hold the
    // rows back from the read-back for a poll or two.
    await s.waitFor((r) => r.messages().length >= 2, 10_000, 'the message and its acknowledgement');
    expect(s.events[0]).toMatchObject({ type: 'session', data: { account: { id: 'acct-live' }, user: { id: 'u-1', name: 'Ann Client' } } });
    const [mine, ack] = s.messages();
    expect(mine).toMatchObject({ direction: 'inbound', text: 'How do I export the monthly report?', author: { userId: 'u-1' } });
    expect(ack).toMatchObject({ direction: 'outbound', kind: 'ack', text: expect.stringMatching(/^We received your request: case #\d+/) });
    // Ids are read-back positions.
    expect(s.events.filter((e) => e.type === 'message').map((e) => Number(e.id))).toEqual([mine.seq, ack.seq]);

    // The acknowledgement's delivery notes its buttons; the open stream gets them.
    await t.drain();
    const offered = await s.waitFor((r) => r.events.find((e) => e.type === 'choices'), 5000, 'choices');
    expect(offered.data).toEqual({ seq: ack.seq, choices: expect.arrayContaining([{ label: 'Set urgency: critical', value: '/urgency critical' }]) });

    expect((await u.send('/urgency critical')).json).toEqual({ status: 'command' });
    await t.drain();
    await s.waitFor((r) => r.messages().find((m) => /is now critical/.test(m.text)), 5000, 'the urgency confirmation');

    const number = ack.caseNumber;
    expect((await t.admin('POST', `/api/v1/cases/${number}/reply`, { text: 'Reports → Export → CSV.', managerId })).status).toBe(200);
    await t.drain();
    const reply = await s.waitFor((r) => r.messages().find((m) => m.text === 'Reports → Export → CSV.'), 5000, 'the reply');
    expect(reply).toMatchObject({ direction: 'outbound', author: { name: 'Maria Petrova' }, caseNumber: number });

    // A new stream (a reload) shows the history, buttons included on the latest acknowledgement; one resumed with
    // Last-Event-ID starts after that message.
    s.close();
    const again = await u.stream();
    await again.waitFor((r) => r.events.some((e) => e.type === 'synced'), 5000, 'synced');
    expect(again.messages().map((m) => m.seq)).toEqual(s.messages().map((m) => m.seq));
    expect(again.messages()[1].choices).toHaveLength(5);
    again.close();
    const resumed = await u.stream(ack.seq);
    await resumed.waitFor((r) => r.events.some((e) => e.type === 'synced'), 5000, 'synced');
    expect(resumed.messages()[0].seq).toBeGreaterThan(ack.seq);
    expect(resumed.messages().at(-1)!.seq).toBe(reply.seq);
    resumed.close();
  });

  test('a stream never shows another account\'s messages, whatever the client asks for', async () => {
    const a = user('acct-iso-a');
    const b = user('acct-iso-b');
    await a.send('Secret of A');
    const sb = await b.stream();
    await b.send('Question of B');
    await sb.waitFor((r) => r.messages().find((m) => m.text === 'Question of B'), 5000, 'B\'s message');
    await a.send('Another secret of A');
    await t.admin('POST', `/api/v1/cases/${(await casesOf('acct-iso-a'))[0].number}/reply`, { text: 'Answer for A', managerId });
    await t.drain();
    const sb2 = await b.stream(0);
    await sb2.waitFor((r) => r.events.some((e) => e.type === 'synced'), 5000, 'synced');
    for (const s of [sb, sb2]) expect(s.messages().map((m) => m.text).join('\n')).not.toMatch(/A\b/);
    expect(sb2.messages().every((m) => m.direction === 'outbound' || m.author.userId === 'u-1')).toBe(true);
    sb.close();
    sb2.close();
  });

  test('at most 10 open streams per account; a bad Last-Event-ID is a 400; the stream ends when the token expires', async () => {
    const u = user('acct-many');
    const open = await Promise.all(Array.from({ length: 10 }, () => u.stream()));
    expect(open.map((s) => s.status)).toEqual(Array(10).fill(200));
    const eleventh = await u.stream();
    expect(eleventh.status).toBe(429);
    expect(eleventh.events[0].data.error).toMatch(/too many open streams for this account/);
    expect((await user('acct-other').stream()).status).toBe(200);
    open[0].close();
    await new Promise((r) => setTimeout(r, 100));
    const replaced = await u.stream();
    expect(replaced.status).toBe(200);
    for (const s of [...open, replaced]) s.close();

    const bad = await fetch(`${base}/widget/v1/stream`, { headers: { authorization: `Bearer ${u.token}`, 'last-event-id': '1e3' } });
    expect(bad.status).toBe(400);

    const shortLived = user('acct-expiring', { ttl: 1 });
    const s = await shortLived.stream();
    const expired = await s.waitFor((r) => r.events.find((e) => e.type === 'expired'), 5000, 'expired');
    expect(expired.data).toEqual({ reason: 'token expired' });
    await s.waitFor((r) => r.ended, 2000, 'the end of the stream');
    expect((await user('acct-expiring', { ttl: -1 }).stream()).status).toBe(401);
  });
});

describe('the script', () => {
  test('GET /widget.js: compressed, cacheable, small; the served bundle is current with its source', async () => {
    const res = await fetch(`${base}/widget.js`, { headers: { 'accept-encoding': 'gzip' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    const raw = await t.app.inject({ method: 'GET', url: '/widget.js', headers: { 'accept-encoding': 'gzip' } });
    expect(raw.headers['content-encoding']).toBe('gzip');
    expect(raw.rawPayload.length).toBeLessThan(30 * 1024);
    expect(gunzipSync(raw.rawPayload).toString()).toContain("customElements.define('switchboard-chat'");
    const etag = res.headers.get('etag')!;
    expect((await fetch(`${base}/widget.js`, { headers: { 'if-none-match': etag } })).status).toBe(304);
    execFileSync(path.resolve(__dirname, '../../../node_modules/.bin/tsx'), [path.join(__dirname, 'client/build.ts'), '--check']);
  });
});

describe('parity: the in-app scenarios through the widget', () => {
  const h = widgetHarness(() => base);
  let clientId: string;
  beforeAll(async () => {
    await h.start(t);
    clientId = (await t.admin('POST', '/api/v1/clients', { name: 'Parity widget', tier: 'premium', managerId })).json.id;
    await h.link(t, clientId);
  });
  afterAll(() => h.stop());
  const neutral = (number: number) => h.received().map((m) => ({ ...m, text: m.text.replaceAll(`#${number}`, '#N') }));

  test('a case from first message to resolution, with a redelivery on the way (as test/parity/scenarios)', async () => {
    t.clock.set('2026-11-23T08:00:00Z');
    expect((await h.clientSays('Hi, the dashboard shows wrong numbers for yesterday')).outcome).toBe('stored');
    expect((await h.redeliverLast()).outcome).toBe('duplicate');
    const kase = (await t.admin('GET', `/api/v1/cases?clientId=${clientId}&status=open`)).json.cases[0];
    expect(kase).toMatchObject({ urgency: 'high', managerId, sla: { state: 'running', dueAt: '2026-11-23T08:30:00.000Z' } });
    await t.drain();
    t.clock.set('2026-11-23T08:10:00Z');
    await t.admin('POST', `/api/v1/cases/${kase.number}/eta`, { dueAt: '2026-11-23T12:00:00Z', managerId });
    t.clock.set('2026-11-23T09:00:00Z');
    await h.clientSays('Thanks, waiting');
    t.clock.set('2026-11-23T11:00:00Z');
    await t.admin('POST', `/api/v1/cases/${kase.number}/resolve`, { managerId, summary: 'Timezone setting fixed.' });
    await t.drain();
    await h.settle(3);
    expect(neutral(kase.number)).toEqual(LIFECYCLE_RECEIVED);
  });

  test('the urgency chosen up front: no buttons; picking one from the buttons sets it', async () => {
    t.clock.set('2026-11-24T08:00:00Z');
    let before = h.received().length;
    await h.clientSays('Something small to check when you can', { urgency: 'low' });
    await t.drain();
    await h.settle(before + 1);
    expect(h.received()[before]).toMatchObject({ choices: [], text: expect.stringMatching(/^We reopened case #\d+\. Urgency: low\./) });

    const open = async () => (await t.admin('GET', `/api/v1/cases?clientId=${clientId}&status=open`)).json.cases[0].number as number;
    t.clock.set('2026-11-25T08:00:00Z');
    await t.admin('POST', `/api/v1/cases/${await open()}/resolve`, { managerId });
    await t.drain();
    await h.settle(before + 2); // the reopened acknowledgement, the resolution
    t.clock.set('2026-12-07T08:00:00Z');
    before = h.received().length;
    await h.clientSays('How do I export the monthly report?');
    await t.drain();
    await h.settle(before + 1);
    expect(h.received()[before].choices).toContain('/urgency critical');
    expect((await h.choose('/urgency critical')).status).toBe(200);
    await t.drain();
    await h.settle(before + 2);
    expect(h.received()[before + 1].text.replaceAll(/#\d+/g, '#N')).toBe(CRITICAL_CHOSEN);
    expect((await t.admin('GET', `/api/v1/cases/${await open()}`)).json).toMatchObject({ urgency: 'critical', urgencySource: 'client' });
  });
});
