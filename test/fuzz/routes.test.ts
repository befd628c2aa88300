// SPEC §8, as a property: bad input gets a 4xx that says what is wrong, never a 5xx, a crash or a hang. Every
// registered route, with every channel enabled, gets generated and mutated requests: the admin API with a valid token;
// every webhook with valid credentials over hostile bodies, so they reach the parsers — the in-app HMAC, Telegram's
// secret header, a Bot Framework channel token from the fake's signer (the activity's serviceUrl and channelId are kept
// as the token names them; everything else is mutated), Slack's v0 signature over events, slash commands and
// interactions (email has no webhook). Hostile means: characters PostgreSQL can't store, numbers and dates beyond its
// range, repeated query parameters, deep nesting, huge ids, wrong types, bodies that are not UTF-8 (invalid bytes,
// UTF-16 with a BOM), wrong content types, many headers and 16 KB ones. Then, per route, a body over
// BODY_LIMIT_BYTES (413), and over a real socket, headers past Node's limits (431) with the server still answering.
// Seeded: a failure prints the seed and path to reproduce it (FUZZ_SEED); FUZZ_RUNS sets the requests per route
// (npm test's default keeps the run near forty seconds; FUZZ_RUNS=1000 took nine minutes).
import { EMAIL_ENV_NOWHERE } from '../../adapters/email/test-support';
import fc from 'fast-check';
import { randomUUID } from 'node:crypto';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { signedHeaders } from '../../adapters/inapp';
import botframeworkHarness from '../../adapters/botframework/harness';
import type { FixtureName as BotFixture } from '../../adapters/botframework/fixtures';
import { blockActions, envelope, personMessage } from '../../adapters/slack/fixtures';
import slackHarness, { HARNESS_SIGNING_SECRET } from '../../adapters/slack/harness';
import { fixture as telegramFixture, messageUpdate, textMessage } from '../../adapters/telegram/fixtures';
import telegramHarness, { HARNESS_SECRET as TELEGRAM_SECRET } from '../../adapters/telegram/harness';
import { SECRET_HEADER } from '../../adapters/telegram/verify';
import { slackHeaders, slashCommand } from '../support/slack-signing';
import { ADMIN_TOKEN, INAPP_SECRET, inappMessage, startTestService, type TestService } from '../support/service';
import { hostileHeaders, hostileText, hostileTransport, hostileValue, mutateJson, pathSegment, type Mutation, type Transport } from './hostile';

const SEED = Number(process.env.FUZZ_SEED ?? 20261130);
const RUNS = Number(process.env.FUZZ_RUNS ?? 100);
const HANG_MS = 10_000;
/** The service's default BODY_LIMIT_BYTES (startTestService doesn't change it). */
const BODY_LIMIT = 1024 * 1024;
const SHARED_CHANNEL = 'C0FUZZSHARED';
const CLIENT_PERSON = { id: 'U0FUZZEXT', team: 'T0FUZZCLIENT', name: 'Fuzz Client' };

const tg = telegramHarness();
const bf = botframeworkHarness();
const sl = slackHarness();
let t: TestService;
let bfToken: string;
const ids: Record<string, string[]> = {};

beforeAll(async () => {
  // The email channel: its routes (signed file links) are fuzzed too; nothing here reads a mailbox.
  const env = Object.assign({}, await tg.prepare(), await bf.prepare(), await sl.prepare(), EMAIL_ENV_NOWHERE);
  t = await startTestService({ env });
  for (const h of [tg, bf, sl]) await h.start(t);
  bfToken = bf.fake.token();
  const manager = (await t.admin('POST', '/api/v1/managers', { name: 'Fuzz Manager', timeZone: 'Europe/Moscow', isDefault: true, slackUserId: 'UFUZZ' })).json;
  const client = (await t.admin('POST', '/api/v1/clients', { name: 'Fuzz Co', tier: 'premium', managerId: manager.id, inappAccountId: 'acct-fuzz', slackConnectChannelId: SHARED_CHANNEL })).json;
  const sent = (await t.inapp(inappMessage({ account: { id: 'acct-fuzz' }, text: 'Tracking is down' }))).json;
  await t.inapp(inappMessage({ account: { id: 'acct-fuzz' }, text: '/feature bulk export' }));
  await tg.link(t, client.id);
  await bf.link(t, client.id);
  const contact = (await t.admin('POST', '/api/v1/contacts', { clientId: client.id, name: 'Fuzz Contact' })).json;
  const calendar = (await t.admin('GET', '/api/v1/calendars/default')).json;
  const cal = (await t.admin('POST', '/api/v1/calendars', { name: 'fuzz', spec: calendar.spec })).json;
  const policy = (await t.admin('POST', '/api/v1/policies', { name: 'fuzz', spec: {} })).json;
  const feature = (await t.admin('GET', '/api/v1/features')).json.features[0];
  const funnel = (await t.admin('POST', `/api/v1/clients/${client.id}/funnel-activations`, {
    title: 'Funnel', milestones: [{ title: 'M1', dueAt: '2026-12-20T10:00:00Z' }],
  })).json;
  Object.assign(ids, {
    id: [manager.id, client.id, contact.id, cal.id, policy.id, feature?.id, funnel.milestones?.[0]?.id].filter(Boolean),
    ref: [String(sent.case.number), `%23${sent.case.number}`, sent.case.id],
    accountId: ['acct-fuzz'],
    fileId: ['AgADBAADfuzz'],
  });
});
afterAll(async () => {
  await t?.close();
  for (const h of [tg, bf, sl]) await h.stop();
});

// ---- valid bodies: mutations start from these, so they reach past the first check --------------------------------

const BOT_FIXTURES: BotFixture[] = ['teams-personal-message', 'teams-channel-mention', 'teams-card-submit', 'webchat-message', 'teams-bot-added', 'teams-message-edit', 'teams-message-delete', 'teams-file-message'];
/** What the Bot Framework token binds (the activity must carry the same to pass authentication): kept out of mutation. */
const BOT_BOUND = ['serviceUrl', 'channelId'] as const;
/** Each activity sample's bound values, put back after mutation. */
const boundOf = new WeakMap<object, Record<string, unknown>>();

function samples(method: string, url: string): unknown[] {
  const key = `${method} ${url}`;
  const user = { id: 511223344, is_bot: false, first_name: 'Ann', last_name: 'Client', username: 'ann_client' };
  switch (key) {
    case 'POST /webhooks/inapp':
      return [inappMessage({ account: { id: 'acct-fuzz' } }), inappMessage({ account: { id: 'acct-fuzz' }, urgency: 'high', attachments: [{ name: 'a.pdf', url: 'https://x.test/a.pdf', mimeType: 'application/pdf', size: 10 }] })];
    case 'POST /webhooks/telegram':
      return [messageUpdate(textMessage(user, 'hi there #high')), ...(['callback-query', 'edited-message', 'group-mention', 'forum-topic', 'document', 'migrate-to', 'start-code'] as const).map((f) => telegramFixture(f))];
    case 'POST /webhooks/botframework':
      return BOT_FIXTURES.map((f) => {
        const a: Record<string, unknown> = bf.activity(f, { id: `1${Date.now()}` });
        const bound = Object.fromEntries(BOT_BOUND.map((k) => [k, a[k]]));
        for (const k of BOT_BOUND) delete a[k];
        boundOf.set(a, bound);
        return a;
      });
    case 'POST /webhooks/slack/events':
      return [
        { type: 'event_callback', team_id: 'T1', event_id: `Ev${randomUUID()}`, event: { type: 'message', user: 'UFUZZ', text: 'hi', ts: '1790000000.000100', thread_ts: '1790000000.000001', channel: 'C1' } },
        envelope(personMessage(CLIENT_PERSON, { channel: SHARED_CHANNEL, text: 'Our dashboard is blank', external: true })),
        envelope({ type: 'member_joined_channel', user: 'UBOT', channel: 'C0FUZZNEW', channel_type: 'C', team: 'T1' }),
      ];
    case 'POST /webhooks/slack/interactions':
      return [
        blockActions(CLIENT_PERSON, { channel: SHARED_CHANNEL, message: { ts: '1797000000.000100', text: 'ack' }, value: '/urgency high', responseUrl: sl.fake.responseUrl() }),
        { type: 'block_actions', team: { id: 'T1' }, user: { id: 'UFUZZ', team_id: 'T1' }, trigger_id: '1.2.x', response_url: sl.fake.responseUrl(), actions: [{ type: 'button', action_id: 'resolve', value: ids.ref?.[2] ?? '', action_ts: '1.1' }] },
        { type: 'view_submission', team: { id: 'T1' }, user: { id: 'UFUZZ', team_id: 'T1' }, view: { id: 'V1', callback_id: 'modal_eta', private_metadata: ids.ref?.[2] ?? '', state: { values: { when: { value: { type: 'plain_text_input', value: '2h' } } } } } },
      ];
  }
  const body: Record<string, unknown> = {
    'POST /api/v1/managers': { name: 'M', email: 'm@x.test', timeZone: 'Europe/Moscow', slackUserId: 'U1' },
    'PATCH /api/v1/managers/:id': { name: 'M2', status: 'away', timeZone: 'Asia/Kolkata' },
    'POST /api/v1/clients': { name: 'C', tier: 'standard', inappAccountId: `a-${randomUUID()}`, calendar: { zone: 'Europe/Moscow', week: { mon: [['10:00', '19:00']] }, holidays: [] }, policy: { targets: { high: { minutes: 30, hours: 'business' } } } },
    'PATCH /api/v1/clients/:id': { name: 'C2', policy: { targets: { medium: { minutes: 60, hours: 'business' } }, warnAt: [0.5] } },
    'POST /api/v1/contacts': { clientId: ids.id?.[1], name: 'P', email: 'p@x.test', identities: [{ channel: 'inapp', externalId: 'u', account: 'acct-fuzz' }] },
    'PATCH /api/v1/contacts/:id': { name: 'P2', timeZone: 'Europe/Kyiv' },
    'POST /api/v1/contacts/:id/identities': { channel: 'telegram', externalId: '123', account: 'bot' },
    'DELETE /api/v1/contacts/:id/identities': { channel: 'telegram', externalId: '123', account: 'bot' },
    'POST /api/v1/calendars': { name: 'K', spec: { zone: 'Europe/Berlin', week: { mon: [['09:00', '17:00']], tue: [['22:00', '06:00']] }, holidays: ['2026-12-25'], exceptions: { '2026-12-26': [] } } },
    'PATCH /api/v1/calendars/:id': { spec: { zone: 'UTC', week: { fri: [['00:00', '24:00']] } } },
    'POST /api/v1/policies': { name: 'P', spec: { targets: { critical: { minutes: 15, hours: '24x7' } }, warnAt: [0.5, 0.8], reopenDays: 7, plainReplyCounts: false } },
    'PATCH /api/v1/policies/:id': { spec: { reopenDays: 3 } },
    'PUT /api/v1/settings/triage': { rules: { critical: ['down'], feature: ['please add'] } },
    'POST /api/v1/cases/:ref/reply': { text: 'hello', attachments: [{ name: 'a.pdf', url: 'https://x.test/a.pdf', size: 10 }] },
    'POST /api/v1/cases/:ref/note': { text: 'internal' },
    'POST /api/v1/cases/:ref/urgency': { urgency: 'high', reason: 'r' },
    'POST /api/v1/cases/:ref/eta': { when: '2h', note: 'n' },
    'POST /api/v1/cases/:ref/needinfo': { question: 'q?' },
    'POST /api/v1/cases/:ref/resolve': { summary: 's' },
    'POST /api/v1/cases/:ref/escalate': { reason: 'r' },
    'PATCH /api/v1/features/:id': { status: 'planned', note: 'n' },
    'POST /api/v1/clients/:id/funnel-activations': { title: 'F', milestones: [{ title: 'M', dueAt: '2026-12-24T10:00:00Z' }] },
    'POST /api/v1/clients/:id/links': { channel: 'telegram', key: '7000000001:42' },
  };
  return key in body ? [body[key]] : [{}];
}

const SLASH_FIELDS = () => slashCommand({ command: '/eta', text: `2h #${ids.ref?.[0] ?? 1}`, user_id: 'UFUZZ', channel_id: 'C1', response_url: sl.fake.responseUrl() });
const FORM = 'application/x-www-form-urlencoded';

/** Fresh platform ids, so mutated copies of one sample are new deliveries that go all the way in, not duplicates. */
function freshIds(text: string): string {
  return text
    .replace(/"update_id":\d+/, () => `"update_id":${Math.floor(Math.random() * 1e9)}`)
    .replace(/"event_id":"[^"]*"/, () => `"event_id":"Ev${randomUUID()}"`)
    .replace(/^\{"type":"(message[^"]*)","id":"[^"]*"/, (_m, type: string) => `{"type":"${type}","id":"1${Math.floor(Math.random() * 1e12)}"`);
}

/** A mutated activity gets back the serviceUrl and channelId its token names (first, so a mutation's own copy of
 *  either key, later in the object, still wins and is refused — a little of that is wanted too). */
function rebind(text: string, bound: Record<string, unknown>): string {
  if (!text.startsWith('{')) return text;
  const fields = BOT_BOUND.map((k) => `${JSON.stringify(k)}:${JSON.stringify(bound[k])}`).join(',');
  return text === '{}' ? `{${fields}}` : `{${fields},${text.slice(1)}`;
}

interface FuzzRequest {
  url: string;
  payload?: string;
  contentType: string;
  transport: Transport;
  headers: Record<string, string>;
}

function bodyArb(method: string, url: string): fc.Arbitrary<{ text?: string; type: string }> {
  const list = samples(method, url);
  const mutated = fc.constantFrom(...list).chain((sample) => mutateJson(sample).map((m: Mutation) => ({ text: m.text, sample })));
  if (url === '/webhooks/slack/commands') {
    const fields = [...new URLSearchParams(SLASH_FIELDS()).keys()];
    return fc.oneof(
      { weight: 6, arbitrary: fc.tuple(fc.constantFrom(...fields), hostileText, fc.boolean()).map(([k, v, drop]) => {
        const form = new URLSearchParams(SLASH_FIELDS());
        if (drop) form.delete(k);
        else form.set(k, v);
        return { text: form.toString(), type: FORM };
      }) },
      { weight: 1, arbitrary: hostileText.map((text) => ({ text, type: FORM })) },
    );
  }
  if (url === '/webhooks/slack/interactions')
    return fc.oneof(
      { weight: 6, arbitrary: mutated.map(({ text }) => ({ text: `payload=${encodeURIComponent(text)}`, type: FORM })) },
      { weight: 2, arbitrary: fc.tuple(fc.constantFrom('payload', 'command', 'text'), hostileText, hostileText).map(([k, v, w]) => ({ text: `${k}=${pathSegment(v)}&payload=${pathSegment(w)}`, type: FORM })) },
      { weight: 1, arbitrary: hostileValue.map((v) => ({ text: `payload=${encodeURIComponent(JSON.stringify(v) ?? 'null')}`, type: FORM })) },
    );
  // An activity that is not an object can't carry what its token binds: it is refused before parsing, as it should be.
  const json = (text: string, sample: object = list[0] as object) => ({ text: boundOf.has(sample) ? rebind(freshIds(text), boundOf.get(sample)!) : freshIds(text), type: 'application/json' });
  return fc.oneof(
    { weight: 6, arbitrary: mutated.map(({ text, sample }) => json(text, sample as object)) },
    { weight: 2, arbitrary: hostileValue.map((v) => json(JSON.stringify(v) ?? 'null')) },
    { weight: 1, arbitrary: fc.constantFrom('{', 'null', '[]', '"x"', '{"a":1e309}', '\u0000', '').map((text) => json(text)) },
    { weight: 1, arbitrary: fc.tuple(fc.constantFrom('payload', 'command', 'text', 'user_id', 'channel_id'), hostileText, hostileText).map(([k, v, w]) => ({ text: `${k}=${pathSegment(v)}&payload=${pathSegment(w)}`, type: FORM })) },
    { weight: 1, arbitrary: hostileText.map((text) => ({ text, type: 'text/plain' })) },
  );
}

const QUERY_KEYS = ['status', 'clientId', 'managerId', 'urgency', 'kind', 'sla', 'limit', 'after', 'from', 'to', 'format', 'ref', 'sig', 'name', 'type'];

function requestArb(method: string, url: string): fc.Arbitrary<FuzzRequest> {
  const params = [...url.matchAll(/:(\w+)/g)].map((m) => m[1]);
  const pathArb = fc
    .tuple(...params.map((p) => fc.oneof({ weight: 2, arbitrary: fc.constantFrom(...(ids[p] ?? ids.id)) }, { weight: 3, arbitrary: hostileText })))
    .map((vals) => params.reduce((u, p, i) => u.replace(`:${p}`, pathSegment(String(vals[i]))), url));
  const queryArb = fc
    .array(fc.tuple(fc.constantFrom(...QUERY_KEYS), hostileText), { maxLength: 4 })
    .map((pairs) => (pairs.length ? `?${pairs.map(([k, v]) => `${k}=${pathSegment(v)}`).join('&')}` : ''));
  const hasBody = method !== 'GET';
  const body = hasBody ? bodyArb(method, url) : fc.constant({ type: 'application/json' } as { text?: string; type: string });
  return fc.tuple(pathArb, queryArb, body, hasBody ? hostileTransport : fc.constant<Transport>({ kind: 'plain' }), hostileHeaders).map(([path, query, b, transport, headers]) => ({
    url: path + query, payload: b.text, contentType: b.type, transport, headers,
  }));
}

/** The bytes that go on the wire, and the content type, after the transport's hostile twist. */
function encode(req: FuzzRequest): { payload?: string | Buffer; contentType?: string } {
  const tr = req.transport;
  if (req.payload === undefined) return { contentType: req.contentType };
  switch (tr.kind) {
    case 'plain':
      return { payload: req.payload, contentType: req.contentType };
    case 'invalid-utf8': {
      // Bytes no UTF-8 decoder accepts — a lone continuation byte, an overlong form, a surrogate, 0xFF — put inside
      // the first string value (or wherever the position falls).
      const at = req.payload.indexOf('":"') >= 0 ? req.payload.indexOf('":"') + 3 : Math.floor(req.payload.length * tr.at);
      return { payload: Buffer.concat([Buffer.from(req.payload.slice(0, at)), Buffer.from(tr.bytes), Buffer.from(req.payload.slice(at))]), contentType: req.contentType };
    }
    case 'utf16':
      return { payload: Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(req.payload, 'utf16le')]), contentType: `${req.contentType.split(';')[0]}; charset=utf-16` };
    case 'content-type':
      return { payload: req.payload, contentType: tr.contentType };
  }
}

/** Credentials for the route, over the exact bytes sent (a webhook's signature always matches what it receives). */
function credentials(route: string, method: string, url: string, payload: string | Buffer | undefined): Record<string, string> {
  const now = t.clock.now();
  if (route.startsWith('/api/v1/inapp/') || route === '/webhooks/inapp')
    return signedHeaders(INAPP_SECRET, { method, path: url, body: method === 'GET' ? undefined : (payload ?? '') }, now);
  // Slack's routes read the body as a UTF-8 string and sign that: so does Slack, which only ever sends UTF-8.
  if (route.startsWith('/webhooks/slack/')) return slackHeaders(HARNESS_SIGNING_SECRET, Buffer.isBuffer(payload) ? payload.toString('utf8') : (payload ?? ''), now);
  if (route === '/webhooks/telegram') return { [SECRET_HEADER]: TELEGRAM_SECRET };
  if (route === '/webhooks/botframework') return { authorization: `Bearer ${bfToken}` };
  return { authorization: `Bearer ${ADMIN_TOKEN}` };
}

/** Routes this file makes valid credentials for: the admin API, the read-back and every channel's webhook. */
const signedFor = (route: string) => route.startsWith('/api/v1/') || route.startsWith('/webhooks/');

const WEBHOOKS = ['/webhooks/inapp', '/webhooks/telegram', '/webhooks/botframework', '/webhooks/slack/events', '/webhooks/slack/commands', '/webhooks/slack/interactions'];

async function inject(method: string, url: string, payload: string | Buffer | undefined, headers: Record<string, string>) {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    t.app.inject({ method: method as 'GET', url, payload, headers }),
    new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`no answer within ${HANG_MS} ms`)), HANG_MS))),
  ]).finally(() => clearTimeout(timer));
}

function check(res: { statusCode: number; body: string }): void {
  if (res.statusCode >= 500) throw new Error(`${res.statusCode} ${res.body.slice(0, 200)}`);
  // A 4xx says what is wrong.
  if (res.statusCode >= 400 && res.statusCode !== 404 && !/"error":"[^"]+/.test(res.body)) throw new Error(`${res.statusCode} without a reason: ${res.body.slice(0, 200)}`);
}

const routes = () => t.app.routeList.filter((r) => !['/healthz', '/readyz', '/metrics'].includes(r.url));

test('no route answers generated and mutated bad input with a 5xx, a crash or a hang', async () => {
  expect(t.channelInstances.map((c) => c.name).sort()).toEqual(['botframework', 'email', 'inapp', 'slack', 'telegram']);
  const all = routes();
  expect(all.length).toBeGreaterThan(45);
  expect(WEBHOOKS.filter((w) => !all.some((r) => r.url === w))).toEqual([]);
  const started = Date.now();
  const failures: string[] = [];
  let requests = 0;
  const counts: Record<number, number> = {};
  const perWebhook: Record<string, Record<number, number>> = {};
  const transports: Record<string, number> = {};
  for (const { method, url } of all) {
    const result = await fc.check(
      fc.asyncProperty(requestArb(method, url), async (req) => {
        requests++;
        transports[req.transport.kind] = (transports[req.transport.kind] ?? 0) + 1;
        const { payload, contentType } = encode(req);
        const headers: Record<string, string> = { ...(contentType ? { 'content-type': contentType } : {}), ...credentials(url, method, req.url, payload), ...req.headers };
        const res = await inject(method, req.url, payload, headers);
        counts[res.statusCode] = (counts[res.statusCode] ?? 0) + 1;
        if (WEBHOOKS.includes(url)) (perWebhook[url] ??= {})[res.statusCode] = (perWebhook[url][res.statusCode] ?? 0) + 1;
        check(res);
      }),
      { seed: SEED, numRuns: RUNS, endOnFailure: true },
    );
    if (result.failed) failures.push(`${method} ${url}: ${String(result.errorInstance).slice(0, 300)}\n  counterexample: ${JSON.stringify(result.counterexample).slice(0, 400)}\n  reproduce: FUZZ_SEED=${SEED} (path ${result.counterexamplePath})`);
  }
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  process.stdout.write(
    `\nfuzz: ${requests} requests over ${all.length} routes in ${seconds} s (seed ${SEED}, ${RUNS} per route); statuses ${JSON.stringify(counts)}\n` +
      `  transports ${JSON.stringify(transports)}\n` +
      Object.entries(perWebhook).map(([w, c]) => `  ${w}: ${JSON.stringify(c)}`).join('\n') + '\n',
  );
  expect(failures).toEqual([]);
  // The credentials were right: most hostile bodies got past each webhook's verification into its parser. (A body
  // that is not UTF-8 changes what Slack's string-reading routes verify, and a mutation may move the activity's
  // serviceUrl: those, and the header twists that replace a credential, are the 401s.)
  for (const w of WEBHOOKS) {
    const c = perWebhook[w] ?? {};
    const total = Object.values(c).reduce((a, b) => a + b, 0);
    expect({ webhook: w, mostlyVerified: (c[401] ?? 0) < total / 2 }).toEqual({ webhook: w, mostlyVerified: true });
  }
}, Math.max(240_000, RUNS * 3000));

test(`every route that takes a body refuses one over BODY_LIMIT_BYTES with 413, credentials and all`, async () => {
  const pad = 'x'.repeat(BODY_LIMIT);
  const wrong: string[] = [];
  let n = 0;
  const got: Record<number, number> = {};
  for (const { method, url } of routes().filter((r) => r.method !== 'GET')) {
    const path = url.replace(/:(\w+)/g, (_m, p: string) => (ids[p] ?? ids.id)[0]);
    // In the content type the route takes (the admin API refuses any other with 415 before reading a byte).
    const form = url === '/webhooks/slack/commands' || url === '/webhooks/slack/interactions';
    for (const [type, body] of form ? [[FORM, `payload=${pad}`] as const, [FORM, `text=${pad}`] as const] : [['application/json', `{"text":"${pad}"}`] as const]) {
      n++;
      const res = await inject(method, path, body, { 'content-type': type, ...credentials(url, method, path, body) });
      // A route with credentials of its own that this file doesn't make (a board session, a widget token) may refuse
      // the caller before reading the body: a 401 is as good as a 413 there. With valid credentials, 413.
      const expected = signedFor(url) ? [413] : [413, 401, 403];
      got[res.statusCode] = (got[res.statusCode] ?? 0) + 1;
      if (!expected.includes(res.statusCode) || !/"error":"[^"]+/.test(res.body)) wrong.push(`${method} ${url} (${type}): ${res.statusCode} ${res.body.slice(0, 100)}`);
    }
  }
  process.stdout.write(`\nfuzz: ${n} bodies of ${BODY_LIMIT + 10} bytes or more: ${JSON.stringify(got)}\n`);
  expect(wrong).toEqual([]);
});

test("over a real socket: a 16 KB header, thousands of headers and a chunked body past the limit are refused, and the server keeps answering", async () => {
  const address = await t.app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = t.app.server.address() as AddressInfo;
  expect(address).toContain('127.0.0.1');
  const raw = (text: string | Buffer) =>
    new Promise<string>((resolve, reject) => {
      const sock = net.connect(port, '127.0.0.1');
      let got = '';
      sock.setTimeout(HANG_MS, () => reject(new Error('no answer')));
      sock.on('data', (d) => (got += d.toString('latin1')));
      sock.on('error', () => resolve(got));
      sock.on('close', () => resolve(got));
      sock.end(text);
    });
  const status = (answer: string) => Number(/^HTTP\/1\.1 (\d{3})/.exec(answer)?.[1] ?? 0);
  const big = 'a'.repeat(16 * 1024);
  const many = Array.from({ length: 3000 }, (_, i) => `x-fuzz-${i}: ${i}`).join('\r\n');
  const chunk = Buffer.alloc(256 * 1024, 'x');
  const chunked = [`POST /webhooks/inapp HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n`,
    ...Array.from({ length: 5 }, () => `${chunk.length.toString(16)}\r\n${chunk.toString()}\r\n`), '0\r\n\r\n'].join('');
  const answers = {
    'a 16 KB header': status(await raw(`GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${big}\r\nConnection: close\r\n\r\n`)),
    'a 16 KB admin token': status(await raw(`GET /api/v1/cases HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${big}\r\nConnection: close\r\n\r\n`)),
    '3,000 headers': status(await raw(`GET /healthz HTTP/1.1\r\nHost: x\r\n${many}\r\nConnection: close\r\n\r\n`)),
    'a chunked body of 1.25 MB': status(await raw(chunked)),
    'then a plain request': status(await raw('GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')),
  };
  expect(answers).toEqual({ 'a 16 KB header': 431, 'a 16 KB admin token': 431, '3,000 headers': 431, 'a chunked body of 1.25 MB': 413, 'then a plain request': 200 });
});
