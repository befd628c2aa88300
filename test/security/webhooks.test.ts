// Issue 12, security: every webhook rejects forged, stale, future-dated and replayed requests, and stores nothing for
// what it rejects (SPEC §8: "Forged or stale webhook: 401, nothing stored"). One service with the in-app, Telegram,
// Bot Framework and Slack channels (email has no webhook: it reads a mailbox), each driven by its parity harness.
//
// "Nothing stored" is checked on the database itself: the rows of every table a delivery could write (cases, messages,
// delivery records, outbox, timeline, clients, contacts) are counted before and after each refused request.
import { count } from 'drizzle-orm';
import { randomUUID } from 'node:crypto';
import { signedHeaders } from '../../adapters/inapp';
import botframeworkHarness from '../../adapters/botframework/harness';
import { blockActions, envelope, personMessage } from '../../adapters/slack/fixtures';
import slackHarness, { HARNESS_SIGNING_SECRET } from '../../adapters/slack/harness';
import { messageUpdate, textMessage } from '../../adapters/telegram/fixtures';
import telegramHarness, { HARNESS_SECRET } from '../../adapters/telegram/harness';
import { SECRET_HEADER } from '../../adapters/telegram/verify';
import * as s from '../../src/db/schema';
import { interactionBody, slackHeaders, slashCommand } from '../support/slack-signing';
import { INAPP_SECRET, inappMessage, startTestService, type TestService } from '../support/service';

const tg = telegramHarness();
const bf = botframeworkHarness();
const sl = slackHarness();
let t: TestService;
let managerId: string;
const MANAGER_SLACK = 'USECMANAGER';

const TABLES = { cases: s.cases, messages: s.messages, inboundDeliveries: s.inboundDeliveries, outbox: s.outbox, timeline: s.timeline, clients: s.clients, contacts: s.contacts };
async function footprint(): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const [name, table] of Object.entries(TABLES)) out[name] = (await t.db.db.select({ n: count() }).from(table))[0].n;
  return out;
}
/** Runs the refused requests and checks each got a 401 and that not a row was written meanwhile. */
async function refusedAndNothingStored(requests: Record<string, () => Promise<number>>): Promise<void> {
  const before = await footprint();
  const statuses: Record<string, number> = {};
  for (const [name, send] of Object.entries(requests)) statuses[name] = await send();
  await t.drain();
  expect(statuses).toEqual(Object.fromEntries(Object.keys(requests).map((k) => [k, 401])));
  expect(await footprint()).toEqual(before);
}
const inbound = async (caseNumber: number) =>
  (await t.admin('GET', `/api/v1/cases/${caseNumber}`)).json.messages.filter((m: { direction: string }) => m.direction === 'inbound').map((m: { text: string }) => m.text);
const minutes = (n: number) => new Date(t.clock.now().getTime() + n * 60_000);

beforeAll(async () => {
  const env = Object.assign({}, await tg.prepare(), await bf.prepare(), await sl.prepare());
  t = await startTestService({ env });
  for (const h of [tg, bf, sl]) await h.start(t);
  managerId = (await t.admin('POST', '/api/v1/managers', { name: 'Maria Petrova', timeZone: 'Europe/Moscow', isDefault: true, slackUserId: MANAGER_SLACK })).json.id;
});
afterAll(async () => {
  await t?.close();
  for (const h of [tg, bf, sl]) await h.stop();
});

describe('in-app POST /webhooks/inapp (HMAC v2 over direction, method, path, timestamp and body; 5-minute window)', () => {
  const post = (raw: string, headers: Record<string, string>) =>
    t.app.inject({ method: 'POST', url: '/webhooks/inapp', payload: raw, headers: { 'content-type': 'application/json', ...headers } }).then((r) => r.statusCode);
  const signed = (raw: string, at = t.clock.now(), secret = INAPP_SECRET) => signedHeaders(secret, { method: 'POST', path: '/webhooks/inapp', body: raw }, at);

  test('forged, unsigned, tampered, stale and future-dated requests are 401 and store nothing', async () => {
    const raw = JSON.stringify(inappMessage({ account: { id: 'sec-inapp-refused' }, text: 'Refused, all of it' }));
    const other = JSON.stringify(inappMessage({ account: { id: 'sec-inapp-refused' }, text: 'Not what was signed' }));
    await refusedAndNothingStored({
      forged: () => post(raw, signed(raw, t.clock.now(), 'not-the-inapp-secret-0123456789')),
      unsigned: () => post(raw, {}),
      tampered: () => post(other, signed(raw)),
      'signed as our outbound callback': () => post(raw, signedHeaders(INAPP_SECRET, { method: 'POST', path: '/webhooks/inapp', body: raw }, t.clock.now(), 'outbound')),
      'stale (6 minutes old)': () => post(raw, signed(raw, minutes(-6))),
      'future-dated (6 minutes ahead)': () => post(raw, signed(raw, minutes(6))),
    });
  });

  test('inside the window both ways it is accepted (the window is where the tests say it is)', async () => {
    const early = JSON.stringify(inappMessage({ account: { id: 'sec-inapp-window' }, text: 'Signed 4 minutes ago' }));
    const late = JSON.stringify(inappMessage({ account: { id: 'sec-inapp-window' }, text: 'Signed 4 minutes ahead' }));
    expect([await post(early, signed(early, minutes(-4))), await post(late, signed(late, minutes(4)))]).toEqual([200, 200]);
  });

  test('a request replayed inside the window is deduped by its message id: stored once; replayed after it, 401', async () => {
    const raw = JSON.stringify(inappMessage({ account: { id: 'sec-inapp-replay' }, text: 'Captured on its way and sent again' }));
    const headers = signed(raw);
    const first = await t.app.inject({ method: 'POST', url: '/webhooks/inapp', payload: raw, headers: { 'content-type': 'application/json', ...headers } });
    expect(first.json().status).toBe('stored');
    const before = await footprint();
    // The very same bytes and headers, twice more inside the 5 minutes.
    const again = await t.app.inject({ method: 'POST', url: '/webhooks/inapp', payload: raw, headers: { 'content-type': 'application/json', ...headers } });
    expect([again.statusCode, again.json().status]).toEqual([200, 'duplicate']);
    expect(await post(raw, headers)).toBe(200);
    await t.drain();
    const after = await footprint();
    // The acknowledgement of the first went out; the replays added no message, no case, no delivery.
    expect({ cases: after.cases, messages: after.messages, inboundDeliveries: after.inboundDeliveries }).toEqual({ cases: before.cases, messages: before.messages, inboundDeliveries: before.inboundDeliveries });
    expect(await inbound(first.json().case.number)).toEqual(['Captured on its way and sent again']);
    expect(t.callback.received.filter((r) => r.body.account?.id === 'sec-inapp-replay').map((r) => r.body.kind)).toEqual(['ack']);
    // Six minutes later the captured request is stale.
    t.clock.advanceMinutes(6);
    await refusedAndNothingStored({ 'replayed after the window': () => post(raw, headers) });
  });
});

describe('in-app read-back GET /api/v1/inapp/accounts/:id/messages (signed like a POST, over an empty body)', () => {
  const url = (account: string, after = 0) => `/api/v1/inapp/accounts/${account}/messages?after=${after}`;
  const get = (path: string, headers: Record<string, string>) => t.app.inject({ method: 'GET', url: path, headers });
  const signed = (path: string, at = t.clock.now(), secret = INAPP_SECRET) => signedHeaders(secret, { method: 'GET', path }, at);

  beforeAll(async () => {
    const sent = await t.inapp(inappMessage({ account: { id: 'sec-read' }, text: 'Private conversation of sec-read' }));
    expect(sent.json.status).toBe('stored');
  });

  test('forged, unsigned, stale and future-dated read-backs are 401 and show no message', async () => {
    const path = url('sec-read');
    const answers = [
      await get(path, signed(path, t.clock.now(), 'not-the-inapp-secret-0123456789')),
      await get(path, {}),
      await get(path, signed(path, minutes(-6))),
      await get(path, signed(path, minutes(6))),
      // A POST's signature (direction inbound, method POST) does not open a GET of the same path.
      await get(path, signedHeaders(INAPP_SECRET, { method: 'POST', path, body: '' }, t.clock.now())),
    ];
    expect(answers.map((a) => a.statusCode)).toEqual([401, 401, 401, 401, 401]);
    for (const a of answers) expect(a.body).not.toContain('Private conversation');
  });

  test("a captured read-back signature opens nothing else: not another account, another cursor, nor the same URL after the window", async () => {
    const path = url('sec-read');
    const headers = signed(path);
    // Replayed as captured inside the window it reads the same page again: read-only, nothing is written.
    const before = await footprint();
    let ok = await get(path, headers);
    for (let i = 0; i < 100 && !ok.json().messages?.length; i++) {
      await new Promise((r) => setTimeout(r, 20));
      ok = await get(path, headers);
    }
    expect(ok.statusCode).toBe(200);
    expect(ok.json().messages.map((m: { text: string }) => m.text)).toContain('Private conversation of sec-read');
    expect(await footprint()).toEqual(before);
    const replays = [
      await get(url('sec-other'), headers),
      await get(url('sec-read', 1), headers),
      await get(`${path}&limit=500`, headers),
    ];
    expect(replays.map((r) => r.statusCode)).toEqual([401, 401, 401]);
    t.clock.advanceMinutes(6);
    const stale = await get(path, headers);
    expect(stale.statusCode).toBe(401);
    expect(stale.body).not.toContain('Private conversation');
  });
});

describe('Telegram POST /webhooks/telegram (the secret token header; Telegram signs nothing and sends no timestamp)', () => {
  const raw = (update: unknown, headers: Record<string, string>) =>
    t.app.inject({ method: 'POST', url: '/webhooks/telegram', payload: JSON.stringify(update), headers: { 'content-type': 'application/json', ...headers } }).then((r) => r.statusCode);

  test('a missing, wrong, truncated or extended secret is 401 and stores nothing', async () => {
    const update = messageUpdate(textMessage(tg.user, 'Forged update'));
    const secret = HARNESS_SECRET;
    await refusedAndNothingStored({
      missing: () => raw(update, {}),
      wrong: () => raw(update, { [SECRET_HEADER]: 'not-the-webhook-secret-0123456789' }),
      truncated: () => raw(update, { [SECRET_HEADER]: secret.slice(0, -1) }),
      extended: () => raw(update, { [SECRET_HEADER]: `${secret}x` }),
      'in another header': () => raw(update, { authorization: `Bearer ${secret}` }),
    });
  });

  // Stale and future-dated requests can't be told apart here: the only credential is a static secret and an update
  // carries no signed time. What stops a replay is the update_id, recorded in the database with the message (a unique
  // key, not a cache): the same update delivered again — seconds or a day later — is a duplicate, stored once.
  test('a replayed update (same update_id) is stored once, even a day later', async () => {
    const update = messageUpdate(textMessage(tg.user, 'Replayed Telegram update'));
    const first = await tg.deliver(update);
    expect([first.status, first.outcome]).toEqual([200, 'stored']);
    const n = first.json.case.number as number;
    const before = await footprint();
    const again = await tg.deliver(update);
    t.clock.advanceMinutes(24 * 60);
    const dayLater = await tg.deliver(update);
    expect([again.status, again.outcome, dayLater.status, dayLater.outcome]).toEqual([200, 'duplicate', 200, 'duplicate']);
    const after = await footprint();
    expect({ messages: after.messages, cases: after.cases }).toEqual({ messages: before.messages, cases: before.cases });
    expect(await inbound(n)).toEqual(['Replayed Telegram update']);
  });
});

const afterCleanup: (() => void)[] = [];
afterEach(() => {
  for (const f of afterCleanup.splice(0)) f();
});

describe('Bot Framework POST /webhooks/botframework (a channel JWT: signature, issuer, audience, exp/nbf, bound to serviceUrl)', () => {
  const now = () => Math.floor(Date.now() / 1000);
  const activity = (text: string) => bf.activity('teams-personal-message', { id: `1${Date.now()}${Math.floor(Math.random() * 1e6)}`, text, attachments: [] });
  const send = (body: unknown, authorization: string | null) => bf.deliver(body, { authorization }).then((r) => r.status);

  test('forged, expired, not-yet-valid, foreign and misbound tokens are 401 and store nothing', async () => {
    // botbuilder prints the published keys to the console when a token names none of them: only that, nothing else.
    const printed = jest.spyOn(console, 'error').mockImplementation(() => undefined);
    afterCleanup.push(() => {
      expect(printed.mock.calls.map((c) => String(c[0]).split(':')[0])).toEqual(printed.mock.calls.map(() => 'Error finding key for token. Available keys'));
      printed.mockRestore();
    });
    const a = activity('Refused Teams message');
    await refusedAndNothingStored({
      'no token': () => send(a, null),
      'forged (signed with a key the channel does not publish)': () => send(a, `Bearer ${bf.fake.token({ signWith: 'unpublished' })}`),
      'stale (expired beyond the 5 minutes of skew)': () => send(a, `Bearer ${bf.fake.token({ exp: now() - 6 * 60, nbf: now() - 3600 })}`),
      'future-dated (nbf beyond the skew)': () => send(a, `Bearer ${bf.fake.token({ nbf: now() + 6 * 60, exp: now() + 3600 })}`),
      'for another bot (audience)': () => send(a, `Bearer ${bf.fake.token({ aud: randomUUID() })}`),
      'from another issuer': () => send(a, `Bearer ${bf.fake.token({ iss: 'https://api.botframework.com.evil.test' })}`),
      // A valid token names the connector it was issued for; an activity pointing elsewhere (where our replies, and
      // the bot's own token, would go) is refused.
      'bound to another serviceUrl': () => send({ ...a, serviceUrl: 'https://evil.test/' }, `Bearer ${bf.fake.token()}`),
      'a token captured from one activity, used with another serviceUrl': () => send({ ...a, serviceUrl: 'http://127.0.0.1:1/' }, `Bearer ${bf.fake.token()}`),
    });
  });

  test('a replayed activity (same id) is deduped, with a fresh token or the captured one', async () => {
    const a = activity('Replayed Teams message');
    const token = `Bearer ${bf.fake.token()}`;
    const first = await bf.deliver(a, { authorization: token });
    expect([first.status, first.outcome]).toEqual([200, 'stored']);
    const before = await footprint();
    const captured = await bf.deliver(a, { authorization: token });
    const fresh = await bf.deliver(a);
    expect([captured.status, captured.outcome, fresh.status, fresh.outcome]).toEqual([200, 'duplicate', 200, 'duplicate']);
    const after = await footprint();
    expect({ messages: after.messages, cases: after.cases }).toEqual({ messages: before.messages, cases: before.cases });
    expect(await inbound(first.json.case.number)).toEqual(['Replayed Teams message']);
  });
});

describe('Slack POST /webhooks/slack/{events,commands,interactions} (v0 HMAC over timestamp and body; 5 minutes old, 1 minute ahead)', () => {
  const CHANNEL = `C0SECSHARED${Math.floor(Math.random() * 1e5)}`;
  const person = { id: 'U0SECEXT', team: 'T0SECCLIENT', name: 'Sam Client' };
  let clientId: string;
  const send = (kind: 'events' | 'commands' | 'interactions', raw: string, headers: Record<string, string>) =>
    t.app.inject({
      method: 'POST', url: `/webhooks/slack/${kind}`, payload: raw,
      headers: { 'content-type': kind === 'events' ? 'application/json' : 'application/x-www-form-urlencoded', ...headers },
    });
  const status = (kind: 'events' | 'commands' | 'interactions', raw: string, headers: Record<string, string>) => send(kind, raw, headers).then((r) => r.statusCode);
  const signed = (raw: string, at = t.clock.now(), secret = HARNESS_SIGNING_SECRET) => slackHeaders(secret, raw, at);
  const post = (text: string, threadTs?: string) => personMessage(person, { channel: CHANNEL, text, external: true, ...(threadTs ? { threadTs } : {}) });

  beforeAll(async () => {
    clientId = (await t.admin('POST', '/api/v1/clients', { name: 'Slack Security Co', tier: 'premium', managerId, slackConnectChannelId: CHANNEL })).json.id;
  });

  const refusals = (kind: 'events' | 'commands' | 'interactions', raw: string, tampered: string) => ({
    [`${kind}: forged`]: () => status(kind, raw, signed(raw, t.clock.now(), 'not-the-signing-secret-0123456789')),
    [`${kind}: unsigned`]: () => status(kind, raw, {}),
    [`${kind}: tampered`]: () => status(kind, tampered, signed(raw)),
    [`${kind}: stale (6 minutes old)`]: () => status(kind, raw, signed(raw, minutes(-6))),
    [`${kind}: future-dated (2 minutes ahead)`]: () => status(kind, raw, signed(raw, minutes(2))),
  });

  test('events, commands and interactions: forged, unsigned, tampered, stale and future-dated are 401 and change nothing', async () => {
    // A case to aim the commands and presses at, opened by a properly signed post.
    const opened = post('Slack security: our widget is blank');
    expect((await sl.deliver('events', JSON.stringify(envelope(opened, { at: t.clock.now() })))).status).toBe(200);
    await t.drain();
    const [kase] = (await t.admin('GET', `/api/v1/cases?clientId=${clientId}`)).json.cases;
    const consoleChannel = (await t.admin('GET', `/api/v1/clients/${clientId}`)).json.slackChannelId as string;
    const ack = sl.fake.callsOf('chat.postMessage').find((c) => c.args.channel === CHANNEL && c.result)!;
    const postsBefore = sl.fake.callsOf('chat.postMessage').length;

    const event = JSON.stringify(envelope(post('Forged Slack post', opened.ts), { at: t.clock.now() }));
    const command = slashCommand({ command: '/resolve', text: `#${kase.number} forged`, user_id: MANAGER_SLACK, channel_id: consoleChannel, response_url: sl.fake.responseUrl() });
    const press = interactionBody(blockActions(person, { channel: CHANNEL, message: { ts: ack.result!.ts, text: ack.args.text, blocks: ack.args.blocks }, threadTs: opened.ts, value: '/urgency critical', responseUrl: sl.fake.responseUrl() }));
    await refusedAndNothingStored({
      ...refusals('events', event, event.replace('Forged Slack post', 'Tampered Slack post')),
      ...refusals('commands', command, command.replace('forged', 'tampered')),
      ...refusals('interactions', press, press.replace('critical', 'low')),
    });
    const after = (await t.admin('GET', `/api/v1/cases/${kase.number}`)).json;
    expect({ status: after.status, urgency: after.urgency }).toEqual({ status: 'open', urgency: kase.urgency });
    // Nothing was said to anyone on Slack either.
    expect(sl.fake.callsOf('chat.postMessage').length).toBe(postsBefore);
    expect(sl.fake.responses).toEqual([]);
  });

  test('an event replayed inside the window is deduped by its event_id: stored once, with or without the retry headers', async () => {
    const e = post('Slack replay: the report is late again');
    const raw = JSON.stringify(envelope(e, { at: t.clock.now() }));
    const headers = signed(raw);
    expect((await send('events', raw, headers)).statusCode).toBe(200);
    await t.drain();
    const kase = (await t.admin('GET', `/api/v1/cases?clientId=${clientId}`)).json.cases.find((c: { subject: string }) => /report is late/.test(c.subject));
    expect(kase).toBeDefined();
    const before = await footprint();
    const replays = [
      await send('events', raw, headers),
      await send('events', raw, { ...headers, 'x-slack-retry-num': '1', 'x-slack-retry-reason': 'http_timeout' }),
      await send('events', raw, signed(raw)),
    ];
    expect(replays.map((r) => r.statusCode)).toEqual([200, 200, 200]);
    await t.drain();
    const after = await footprint();
    expect({ messages: after.messages, cases: after.cases, outbox: after.outbox }).toEqual({ messages: before.messages, cases: before.cases, outbox: before.outbox });
    expect(await inbound(kase.number)).toEqual(['Slack replay: the report is late again']);
    // And the captured request is refused once it is older than 5 minutes.
    t.clock.advanceMinutes(6);
    await refusedAndNothingStored({ 'event replayed after the window': () => status('events', raw, headers) });
  });

  // Slack puts no id on a button press or a slash command and never retries them (a failed one is shown to the person
  // as an error), so there is nothing to dedupe on: a replay needs the signed request itself, inside its 5 minutes.
  // What such a replay can do is what the action does a second time — shown here to be nothing more.
  test('a button press or a slash command replayed inside the window changes nothing more and tells nobody twice', async () => {
    const e = post('Slack replay: how do I add a teammate?');
    expect((await sl.deliver('events', JSON.stringify(envelope(e, { at: t.clock.now() })))).status).toBe(200);
    await t.drain();
    const kase = (await t.admin('GET', `/api/v1/cases?clientId=${clientId}&status=open`)).json.cases.find((c: { subject: string }) => /add a teammate/.test(c.subject));
    const ack = sl.fake.callsOf('chat.postMessage').find((c) => c.args.channel === CHANNEL && c.args.thread_ts === e.ts && c.result)!;
    const press = interactionBody(blockActions(person, { channel: CHANNEL, message: { ts: ack.result!.ts, text: ack.args.text, blocks: ack.args.blocks }, threadTs: e.ts, value: '/urgency critical', responseUrl: sl.fake.responseUrl() }));
    const pressHeaders = signed(press);
    expect((await send('interactions', press, pressHeaders)).statusCode).toBe(200);
    await t.drain();
    const told = () => sl.fake.callsOf('chat.postMessage').filter((c) => c.args.channel === CHANNEL && c.args.thread_ts === e.ts && /is now critical/.test(String(c.args.text)));
    expect(told()).toHaveLength(1);
    const timeline = (await t.admin('GET', `/api/v1/cases/${kase.number}`)).json.timeline.length;
    expect((await send('interactions', press, pressHeaders)).statusCode).toBe(200);
    await t.drain();
    const after = (await t.admin('GET', `/api/v1/cases/${kase.number}`)).json;
    expect({ urgency: after.urgency, timeline: after.timeline.length, told: told().length }).toEqual({ urgency: 'critical', timeline, told: 1 });

    // A manager's /resolve, replayed: the case is resolved once and the client told once.
    const consoleChannel = (await t.admin('GET', `/api/v1/clients/${clientId}`)).json.slackChannelId as string;
    const command = slashCommand({ command: '/resolve', text: `#${kase.number} Invite sent from the admin page`, user_id: MANAGER_SLACK, channel_id: consoleChannel, response_url: sl.fake.responseUrl() });
    const commandHeaders = signed(command);
    const first = await send('commands', command, commandHeaders);
    expect([first.statusCode, first.json().text]).toEqual([200, 'Resolved; the client was told.']);
    await t.drain();
    const resolutions = () => sl.fake.callsOf('chat.postMessage').filter((c) => c.args.channel === CHANNEL && /is resolved/.test(String(c.args.text)));
    expect(resolutions()).toHaveLength(1);
    const replay = await send('commands', command, commandHeaders);
    expect(replay.statusCode).toBe(200);
    expect(replay.json().text).toMatch(/^Not done/);
    await t.drain();
    expect(resolutions()).toHaveLength(1);
    expect((await t.admin('GET', `/api/v1/cases/${kase.number}`)).json.status).toBe('resolved');
  });
});
