// What reaches the service from Slack and what goes back into Slack, under bad input and faults: a manager's reply is
// never lost (Slack is told to redeliver whatever did not commit, and a redelivery is handled once, also while the
// first attempt is still running), shapes nobody expected get 400, commands and interactions answer with their
// outcome or tell the manager, and nothing a client writes turns into Slack markup. Real HTTP app and database;
// the fake Slack Web API is the only stand-in, and faults are injected at the database boundary (core.store).
import { sql } from 'drizzle-orm';
import type { Store } from '../../src/core/ports';
import { FakeSlack, type SlackCall } from '../support/fake-slack';
import { inappMessage, SLACK_SIGNING_SECRET, startTestService, type TestService } from '../support/service';
import { formBody, interactionBody, slackHeaders, slashCommand } from '../support/slack-signing';
import { usingPostgres } from '../support/db';

let fake: FakeSlack;
let t: TestService;
let maria: string;
const MARIA = 'UMARIA';
const BORIS = 'UBORIS';

beforeAll(async () => {
  fake = await new FakeSlack().start();
  t = await startTestService({ slack: { apiUrl: fake.url, leadChannel: 'CLEAD' } });
  const mk = async (name: string, slackUserId: string) => {
    const r = await t.admin('POST', '/api/v1/managers', { name, email: `${slackUserId.toLowerCase()}@vendor.test`, slackUserId, timeZone: 'Europe/Moscow' });
    expect(r.status).toBe(201);
    return r.json.id as string;
  };
  maria = await mk('Maria Petrova', MARIA);
  await mk('Boris Ivanov', BORIS);
});
afterAll(async () => {
  await t?.close();
  await fake?.stop();
});
let restoreStore: (() => void) | null = null;
afterEach(() => {
  restoreStore?.();
  restoreStore = null;
});

// ---- helpers ----------------------------------------------------------------------------------------------------

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function newClient(account: string, name = `Client ${account}`) {
  const c = await t.admin('POST', '/api/v1/clients', { name, tier: 'premium', managerId: maria, inappAccountId: account });
  expect(c.status).toBe(201);
  return c.json.id as string;
}

async function send(account: string, text: string, over: Record<string, unknown> = {}) {
  const res = await t.inapp(inappMessage({ account: { id: account, name: `Client ${account}` }, user: { id: `${account}-user`, name: 'Ann Client' }, text, ...over }));
  expect(res.status).toBe(200);
  return res.json;
}

async function getCase(ref: number | string) {
  const res = await t.admin('GET', `/api/v1/cases/${ref}`);
  expect(res.status).toBe(200);
  return res.json;
}

const received = (account: string) => t.callback.received.filter((r) => r.body.account?.id === account).map((r) => r.body);

let seq = 0;
const personTs = () => `1796000000.${String(++seq).padStart(6, '0')}`;

type Inject = { status: number; json: any; body: string };
async function post(kind: 'events' | 'commands' | 'interactions', raw: string, headers: Record<string, string> = {}): Promise<Inject> {
  const res = await t.app.inject({
    method: 'POST', url: `/webhooks/slack/${kind}`, payload: raw,
    headers: {
      'content-type': kind === 'events' ? 'application/json' : 'application/x-www-form-urlencoded',
      ...slackHeaders(SLACK_SIGNING_SECRET, raw, t.clock.now()),
      ...headers,
    },
  });
  let json: any;
  try {
    json = JSON.parse(res.body);
  } catch {
    json = undefined;
  }
  return { status: res.statusCode, json, body: res.body };
}

const retry = (n: number) => ({ 'x-slack-retry-num': String(n), 'x-slack-retry-reason': 'http_error' });

function eventBody(event: Record<string, unknown>, eventId = `EvIn${++seq}`, over: Record<string, unknown> = {}) {
  return JSON.stringify({ token: 'x', team_id: 'T1', api_app_id: 'A1', type: 'event_callback', event_id: eventId, event_time: Math.floor(t.clock.now().getTime() / 1000), event, ...over });
}

type Case = { number: number; id: string; channel: string; threadTs: string; account: string };
const replyEvent = (c: Case, text: string, eventId?: string) =>
  eventBody({ type: 'message', channel: c.channel, channel_type: 'group', user: MARIA, text, ts: personTs(), thread_ts: c.threadTs }, eventId);

async function waitFor<T>(what: string, fn: () => T | undefined | null | false | Promise<T | undefined | null | false>, ms = 8000): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

const posts = (filter: (c: SlackCall) => boolean) => fake.callsOf('chat.postMessage').filter(filter);

async function openCase(account: string, text: string, name?: string): Promise<Case> {
  await newClient(account, name);
  const opened = await send(account, text);
  await t.drain();
  const kase = await getCase(opened.case.number);
  const client = await t.admin('GET', `/api/v1/clients/${kase.clientId}`);
  const channel = client.json.slackChannelId as string;
  // The client's message is posted in the case thread; its thread_ts is the card's ts.
  const inThread = posts((c) => c.args.channel === channel && typeof c.args.thread_ts === 'string');
  expect(inThread).toHaveLength(1);
  return { number: kase.number, id: kase.id, channel, threadTs: inThread[0].args.thread_ts as string, account };
}

/** What the manager's reply became: stored messages with that text, deliveries to the client, ✅ reactions. */
async function outcomeOf(c: Case, text: string, replyTs?: string) {
  await t.drain();
  return {
    stored: (await getCase(c.number)).messages.filter((m: { text: string }) => m.text === text).length,
    delivered: received(c.account).filter((r) => r.text === text).length,
    confirmed: replyTs ? fake.callsOf('reactions.add').filter((r) => r.args.timestamp === replyTs).length : undefined,
  };
}

/** A failure at the database boundary, shaped like the driver's. */
const dbDown = () => Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' });

/** Replaces core.store.tx for the rest of the test (restored after it). */
function wrapTx(wrap: (real: Store['tx']) => Store['tx']) {
  const store = t.core.store as Store & { tx: Store['tx'] };
  const real = store.tx.bind(store);
  store.tx = wrap(real);
  restoreStore = () => {
    delete (store as Partial<Store>).tx;
  };
  return restoreStore;
}
/** Every transaction fails after `ms` (0: at once), before touching the database. */
const failingStore = (ms = 0) => wrapTx(() => async () => {
  await sleep(ms);
  throw dbDown();
});
/** The next transaction commits `ms` late: its work is done, its locks and rows held uncommitted meanwhile. */
const slowCommitOnce = (ms: number) => {
  let first = true;
  return wrapTx((real) => (fn) => real(async (tx) => {
    const out = await fn(tx);
    if (first) {
      first = false;
      await sleep(ms);
    }
    return out;
  }));
};

const errorsLogged = (from: number) => t.log.entries.slice(from).filter((e) => e.level === 'error');

// ---- 1. a manager's reply is never lost ---------------------------------------------------------------------------

test('a reply still committing when Slack stops waiting gets 503; the retry arriving meanwhile finds it and gets 200; delivered once', async () => {
  const c = await openCase('in-slow', 'Our postbacks arrive twice');
  const text = 'We are deduplicating them now.';
  const ts = personTs();
  const raw = eventBody({ type: 'message', channel: c.channel, channel_type: 'group', user: MARIA, text, ts, thread_ts: c.threadTs }, 'EvSlowCommit');
  slowCommitOnce(3000);
  const first = await post('events', raw);
  // Slack's 3 s are nearly up and nothing is committed: a 200 here would make Slack forget the event.
  expect(first.status).toBe(503);
  // Slack retries at once; the first attempt still holds its transaction open (on PostgreSQL the retry waits on
  // its uncommitted delivery row, on PGlite on the one connection) and then sees it committed.
  const second = await post('events', raw, retry(1));
  expect(second.status).toBe(200);
  expect(await outcomeOf(c, text, ts)).toEqual({ stored: 1, delivered: 1, confirmed: 1 });
});

test('a reply whose transaction fails after Slack stopped waiting is redelivered by Slack and then delivered once', async () => {
  const c = await openCase('in-fail', 'Is the export API paginated?');
  const text = 'Yes, 500 rows a page.';
  const ts = personTs();
  const raw = eventBody({ type: 'message', channel: c.channel, channel_type: 'group', user: MARIA, text, ts, thread_ts: c.threadTs }, 'EvFailLate');
  const logged = t.log.entries.length;
  failingStore(3000);
  const first = await post('events', raw);
  expect(first.status).toBe(503);
  await waitFor('the late failure to be logged', () => errorsLogged(logged).length > 0);
  restoreStore!();
  expect(await outcomeOf(c, text, ts)).toEqual({ stored: 0, delivered: 0, confirmed: 0 });
  // Slack will redeliver it, so the manager is not asked to send it again.
  expect(fake.callsOf('chat.postEphemeral').filter((e) => e.args.user === MARIA && e.args.channel === c.channel)).toEqual([]);
  expect((await post('events', raw, retry(1))).status).toBe(200);
  expect(await outcomeOf(c, text, ts)).toEqual({ stored: 1, delivered: 1, confirmed: 1 });
  // One line per failure, no message body in it.
  expect(errorsLogged(logged)).toHaveLength(1);
  expect(t.log.text()).not.toContain(text);
});

test("when Slack's last retry cannot be recorded either, the manager is told in the thread to send it again", async () => {
  const c = await openCase('in-last', 'Can we get a staging key?');
  const text = 'Sure, sending it by email.';
  const raw = replyEvent(c, text, 'EvLastRetry');
  failingStore(3000);
  const res = await post('events', raw, retry(3));
  expect(res.status).toBe(503);
  const told = await waitFor('the ephemeral explanation', () => {
    const e = fake.callsOf('chat.postEphemeral').filter((x) => x.args.user === MARIA && x.args.channel === c.channel);
    return e.length ? e : null;
  });
  expect(told).toHaveLength(1);
  expect(told[0].args.thread_ts).toBe(c.threadTs);
  expect(told[0].args.text).toMatch(/could not be recorded/i);
  expect(told[0].args.text).toMatch(/send it again/i);
  expect(told[0].args.text).not.toContain(text);
  restoreStore!();
  expect(await outcomeOf(c, text)).toMatchObject({ stored: 0, delivered: 0 });
});

// A row lock held by another connection blocks only on PostgreSQL: PGlite has one session, so a lock there excludes
// nothing (the slow-commit test above covers PGlite).
(usingPostgres ? test : test.skip)('PostgreSQL: with the case row locked elsewhere, the first attempt and a concurrent retry get 503; once it commits, the reply is delivered once', async () => {
  const c = await openCase('in-lock', 'Why is the dashboard empty?');
  const text = 'A reindex is running; back in ten minutes.';
  const ts = personTs();
  const raw = eventBody({ type: 'message', channel: c.channel, channel_type: 'group', user: MARIA, text, ts, thread_ts: c.threadTs }, 'EvLocked');
  const other = await t.db.second();
  let release!: () => void;
  let locked!: () => void;
  const isLocked = new Promise<void>((r) => (locked = r));
  const holder = other.db.transaction(async (tx) => {
    await tx.execute(sql`SELECT id FROM cases WHERE id = ${c.id} FOR UPDATE`);
    locked();
    await new Promise<void>((r) => (release = r));
  });
  await isLocked;
  try {
    expect((await post('events', raw)).status).toBe(503);
    // The retry's delivery row waits on the first attempt's, which waits on the lock.
    expect((await post('events', raw, retry(1))).status).toBe(503);
  } finally {
    release();
    await holder;
  }
  await waitFor('the first attempt to commit', async () => (await getCase(c.number)).messages.some((m: { text: string }) => m.text === text));
  expect((await post('events', raw, retry(2))).status).toBe(200);
  expect(await outcomeOf(c, text, ts)).toEqual({ stored: 1, delivered: 1, confirmed: 1 });
});

// ---- 2. shapes nobody expected ------------------------------------------------------------------------------------

test('signed bodies of unexpected shapes get 400 naming what is wrong; nothing is stored, sent or logged with bodies', async () => {
  const c = await openCase('in-shape', 'Where are the API docs?');
  const before = { messages: (await getCase(c.number)).messages.length, calls: fake.calls.length, log: t.log.entries.length };
  const reply = (over: Record<string, unknown>, event?: unknown) =>
    JSON.stringify({ ...JSON.parse(replyEvent(c, 'FUZZ-MARKER reply')), ...(event === undefined ? {} : { event }), ...over });
  const form = (over: Record<string, string | undefined>) => {
    const f = Object.fromEntries(new URLSearchParams(slashCommand({ command: '/urgency', text: 'high FUZZ-MARKER', user_id: MARIA, channel_id: c.channel, response_url: fake.responseUrl() })));
    for (const [k, v] of Object.entries(over)) if (v === undefined) delete f[k]; else f[k] = v;
    return formBody(f);
  };
  const action = { type: 'block_actions', team: { id: 'T1', domain: 'vendor' }, user: { id: MARIA, team_id: 'T1' }, api_app_id: 'A1', token: 'x', trigger_id: '1.2.FUZZ-MARKER', response_url: fake.responseUrl(), actions: [{ type: 'button', action_id: 'resolve', block_id: `case:${c.id}`, value: c.id, action_ts: '1.1' }] };
  const cases: [string, 'events' | 'commands' | 'interactions', string, RegExp][] = [
    ['event body null', 'events', 'null', /object/],
    ['event body an array', 'events', '[]', /object/],
    ['event body a string', 'events', '"FUZZ-MARKER"', /object/],
    ['event that is a string', 'events', reply({}, 'message FUZZ-MARKER'), /event/],
    ['event without a type', 'events', reply({}, { channel: c.channel, text: 'FUZZ-MARKER' }), /event\.type/],
    ['message event with a numeric channel', 'events', reply({}, { type: 'message', channel: 42, user: MARIA, text: 'FUZZ-MARKER', ts: personTs(), thread_ts: c.threadTs }), /event\.channel/],
    ['team_id "constructor"', 'events', reply({ team_id: 'constructor' }), /team_id/],
    ['team_id "__proto__"', 'events', reply({ team_id: '__proto__' }), /team_id/],
    ['authorizations naming team "constructor"', 'events', reply({ authorizations: [{ team_id: 'constructor', user_id: 'UBOT', is_bot: true }] }), /authorizations/],
    ['event_callback without event_id', 'events', reply({ event_id: undefined }), /event_id/],
    ['unknown envelope type', 'events', reply({ type: 'FUZZ-MARKER' }), /type/],
    ['command without command', 'commands', form({ command: undefined }), /command/],
    ['command not starting with a slash', 'commands', form({ command: 'urgency' }), /command/],
    ['command without user_id', 'commands', form({ user_id: undefined }), /user_id/],
    ['command from team "constructor"', 'commands', form({ team_id: 'constructor' }), /team_id/],
    ['interaction payload null', 'interactions', 'payload=null', /payload/],
    ['interaction payload a number', 'interactions', 'payload=42', /payload/],
    ['interaction payload an array', 'interactions', interactionBody([action]), /payload/],
    ['interaction payload a string', 'interactions', 'payload=' + encodeURIComponent('"FUZZ-MARKER"'), /payload/],
    ['interaction of an unknown type', 'interactions', interactionBody({ ...action, type: 'FUZZ-MARKER' }), /type/],
    ['block_actions whose actions are a string', 'interactions', interactionBody({ ...action, actions: 'resolve FUZZ-MARKER' }), /actions/],
    ['block_actions from team "constructor"', 'interactions', interactionBody({ ...action, team: { id: 'constructor' } }), /team/],
    ['view_submission without a view', 'interactions', interactionBody({ ...action, type: 'view_submission', actions: undefined, view: null }), /view/],
    ['view_submission with values that are not objects', 'interactions', interactionBody({ ...action, type: 'view_submission', actions: undefined, view: { id: 'V1', callback_id: 'modal_eta', private_metadata: c.id, state: { values: 'FUZZ-MARKER' } } }), /view\.state/],
  ];
  const got: Record<string, [number, string]> = {};
  for (const [name, kind, raw] of cases) {
    const res = await post(kind, raw);
    got[name] = [res.status, String(res.json?.error ?? res.body)];
  }
  for (const [name, , , why] of cases) {
    expect([name, got[name][0]]).toEqual([name, 400]);
    expect([name, got[name][1]]).toEqual([name, expect.stringMatching(why)]);
    expect(got[name][1]).not.toContain('FUZZ-MARKER');
  }
  await t.drain();
  expect(fake.calls.slice(before.calls)).toEqual([]);
  expect(fake.responses.filter((r) => JSON.stringify(r.body).includes('FUZZ'))).toEqual([]);
  const k = await getCase(c.number);
  expect(k.messages).toHaveLength(before.messages);
  expect(k.urgency).not.toBe('high');
  expect(k.status).toBe('open');
  expect(t.log.entries.slice(before.log).filter((e) => e.level === 'error' || e.level === 'warn')).toEqual([]);
  expect(t.log.text()).not.toContain('FUZZ-MARKER');
});

// ---- 3. commands and interactions answer with their outcome --------------------------------------------------------

const slashRaw = (command: string, text: string, channel: string, responseUrl = fake.responseUrl()) =>
  slashCommand({ command, text, user_id: MARIA, channel_id: channel, response_url: responseUrl });

test('a slash command runs before Slack is answered: the acknowledgement carries its result, or "Not done … try again"', async () => {
  const c = await openCase('in-cmd', 'Please raise our rate limit');
  const id = `R-in-cmd-${++seq}`;
  const ok = await post('commands', slashRaw('/urgency', 'high', c.channel, fake.responseUrl(id)));
  expect(ok.status).toBe(200);
  expect(ok.json).toMatchObject({ response_type: 'ephemeral', text: expect.stringContaining('Urgency is now *high*') });
  expect((await getCase(c.number)).urgency).toBe('high');

  const logged = t.log.entries.length;
  failingStore();
  const failed = await post('commands', slashRaw('/urgency', 'critical', c.channel, fake.responseUrl(id)));
  expect(failed.status).toBe(200);
  expect(failed.json).toMatchObject({ response_type: 'ephemeral', text: expect.stringMatching(/^Not done: .*try again/i) });
  restoreStore!();
  expect((await getCase(c.number)).urgency).toBe('high');
  // Answered in the acknowledgement: nothing follows on the response_url.
  await sleep(100);
  expect(fake.responses.filter((r) => r.id === id)).toEqual([]);
  const errors = errorsLogged(logged);
  expect(errors).toHaveLength(1);
  expect(JSON.stringify(errors[0])).not.toContain('critical');
});

test('a slow command is acknowledged as under way and answered later; when its response_url fails, by DM', async () => {
  const c = await openCase('in-cmd-slow', 'Our invoices show the wrong VAT');
  const dms = () => posts((p) => p.args.channel === MARIA && String(p.args.text).includes('Urgency is now'));
  const before = dms().length;
  const logged = t.log.entries.length;
  slowCommitOnce(2600);
  // A response_url nobody answers: the later answer has to find another way.
  const res = await post('commands', slashRaw('/urgency', 'high', c.channel, 'http://127.0.0.1:9/response/gone'));
  expect(res.status).toBe(200);
  expect(res.json).toMatchObject({ response_type: 'ephemeral', text: expect.stringMatching(/working on it/i) });
  const dm = await waitFor('the DM with the result', () => dms().length > before && dms().at(-1));
  expect(dm.args.text).toContain('Urgency is now *high*');
  expect((await getCase(c.number)).urgency).toBe('high');
  const lines = t.log.entries.slice(logged).filter((e) => e.level !== 'debug');
  expect(lines).toHaveLength(1);
  expect(t.log.text()).not.toContain('Urgency is now');
});

const interaction = (over: Record<string, unknown>) => ({
  team: { id: 'T1', domain: 'vendor' }, user: { id: MARIA, username: 'maria', team_id: 'T1' }, api_app_id: 'A1', token: 'x', ...over,
});
const button = (c: Case, actionId: string, responseUrl: string, trigger = `3000000000.${++seq}.button`) => interaction({
  type: 'block_actions', trigger_id: trigger, response_url: responseUrl,
  container: { type: 'message', message_ts: c.threadTs, channel_id: c.channel, is_ephemeral: false },
  channel: { id: c.channel, name: 'privategroup' }, message: { type: 'message', ts: c.threadTs, text: 'card' },
  actions: [{ type: 'button', action_id: actionId, block_id: `case:${c.id}`, value: c.id, action_ts: '3000000000.000001', text: { type: 'plain_text', text: actionId } }],
});

test('card buttons that fail tell the manager on the response_url: a form Slack will not open, a resolve that is not recorded', async () => {
  const c = await openCase('in-button', 'Can you reset our 2FA?');
  const logged = t.log.entries.length;
  fake.script('views.open', { body: { ok: false, error: 'expired_trigger_id' } });
  const openId = `R-open-${++seq}`;
  const click = await post('interactions', interactionBody(button(c, 'open_eta', fake.responseUrl(openId))));
  expect(click.status).toBe(200);
  const told = await waitFor('the ephemeral answer', () => fake.responses.find((r) => r.id === openId));
  expect(told.body).toMatchObject({ response_type: 'ephemeral', replace_original: false, text: expect.stringMatching(/^Not done: .*try again/i) });

  failingStore();
  const resolveId = `R-resolve-${++seq}`;
  expect((await post('interactions', interactionBody(button(c, 'resolve', fake.responseUrl(resolveId))))).status).toBe(200);
  const refused = await waitFor('the resolve answer', () => fake.responses.find((r) => r.id === resolveId));
  expect(refused.body.text).toMatch(/^Not done: .*try again/i);
  restoreStore!();
  expect((await getCase(c.number)).status).toBe('open');
  // One line each, none saying "listener failed" after the fact.
  expect(errorsLogged(logged)).toHaveLength(2);
  expect(t.log.entries.slice(logged).filter((e) => /listener failed/.test(e.msg ?? ''))).toEqual([]);
});

test('a modal submission that cannot be recorded keeps the modal open with "Not done … try again"', async () => {
  const c = await openCase('in-modal', 'Please call us about the renewal');
  const submit = (when: string) => post('interactions', interactionBody(interaction({
    type: 'view_submission', trigger_id: '3000000000.1.submit', view: {
      id: 'V-in-modal', team_id: 'T1', type: 'modal', callback_id: 'modal_eta', private_metadata: c.id, hash: 'h', blocks: [],
      state: { values: { when: { value: { type: 'plain_text_input', value: when } }, note: { value: { type: 'plain_text_input', value: null } } } },
    },
  })));
  failingStore();
  const res = await submit('2h');
  expect(res.status).toBe(200);
  expect(res.json).toEqual({ response_action: 'errors', errors: { when: expect.stringMatching(/^Not done: .*try again/i) } });
  restoreStore!();
  expect((await getCase(c.number)).eta).toBeNull();
  const ok = await submit('2h');
  expect(ok.status).toBe(200);
  expect(ok.json?.response_action).toBeUndefined();
  expect((await getCase(c.number)).eta).toEqual(expect.any(String));
});

// ---- 4. nothing a client writes becomes Slack markup --------------------------------------------------------------

/** Every string Slack renders as mrkdwn in a call: the top-level text and mrkdwn text objects, in blocks and views. */
function mrkdwnOf(args: Record<string, any>): string[] {
  const out: string[] = typeof args.text === 'string' ? [args.text] : [];
  const walk = (v: any) => {
    if (Array.isArray(v)) return v.forEach(walk);
    if (!v || typeof v !== 'object') return;
    if (v.type === 'mrkdwn' && typeof v.text === 'string') out.push(v.text);
    Object.values(v).forEach(walk);
  };
  walk(args.blocks);
  walk(args.view);
  return out;
}
function plainTextOf(args: Record<string, any>): string[] {
  const out: string[] = [];
  const walk = (v: any) => {
    if (Array.isArray(v)) return v.forEach(walk);
    if (!v || typeof v !== 'object') return;
    if (v.type === 'plain_text' && typeof v.text === 'string') out.push(v.text);
    Object.values(v).forEach(walk);
  };
  walk(args.blocks);
  walk(args.view);
  return out;
}

test('client-controlled names and texts reach Slack escaped wherever they are mrkdwn, and literally in plain_text', async () => {
  const CLIENT = '<!channel> Acme';
  const TEXT = '<https://evil.test|click> & more';
  const from = fake.calls.length;
  const clientId = await newClient('in-evil', CLIENT);
  const opened = await send('in-evil', TEXT, {
    user: { id: 'in-evil-user', name: 'Ann <!here>' },
    attachments: [{ name: 'report<!everyone>.pdf', url: 'https://files.test/r.pdf?a=1&b=<@U1>' }],
  });
  await t.drain();
  const channel = (await t.admin('GET', `/api/v1/clients/${clientId}`)).json.slackChannelId as string;
  // The client asks for a feature; the manager lists her queue, the features and escalates; an SLA warning fires.
  await send('in-evil', '/feature export to <https://evil.test|CSV> & XLSX');
  await t.drain();
  const cases = await post('commands', slashRaw('/cases', '', channel));
  const features = await post('commands', slashRaw('/features', '', channel));
  const esc = await post('commands', slashRaw('/escalate', `#${opened.case.number} they need it today`, channel));
  expect([cases.status, features.status, esc.status]).toEqual([200, 200, 200]);
  await waitFor('the escalation', async () => (await getCase(opened.case.number)).timeline.some((e: { type: string }) => e.type === 'escalated'));
  expect((await post('events', eventBody({ type: 'app_home_opened', user: MARIA, channel: 'DMARIA', tab: 'home', event_ts: personTs() }))).status).toBe(200);
  t.clock.advanceMinutes(40);
  await t.tick();
  await t.drain();
  // A new account whose name is markup: onboarded, and the lead channel told.
  await t.inapp(inappMessage({ account: { id: 'in-evil-new', name: '<!channel> Newco' }, user: { id: 'in-evil-new-user', name: 'Nina' }, text: 'hello' }));
  await t.drain();

  const calls = fake.calls.slice(from);
  const answers = [cases, features, esc].map((r) => r.json?.text ?? '').concat(fake.responses.map((r) => JSON.stringify(r.body)));
  const rendered = calls.flatMap((x) => mrkdwnOf(x.args)).concat(answers);
  const all = rendered.join('\n');
  // What had to show up, each escaped.
  expect(all).toContain('&lt;!channel&gt; Acme'); // card text, alerts, App Home, /cases
  expect(all).toContain('Ann &lt;!here&gt;'); // the client message's author
  expect(all).toContain('&lt;https://evil.test|click&gt; &amp; more'); // the client's text
  expect(all).toContain('report&lt;!everyone&gt;.pdf'); // the attachment's link label
  expect(all).toContain('&lt;https://evil.test|CSV&gt; &amp; XLSX'); // /features
  expect(all).toContain('&lt;!channel&gt; Newco'); // the lead channel's new-client notice
  // ...and never as markup.
  for (const s of ['<!channel>', '<!here>', '<!everyone>', '<https://evil.test', '<@U1>', 'b=<'])
    expect(rendered.filter((r) => r.includes(s))).toEqual([]);
  const where = (needle: string) => calls.filter((x) => mrkdwnOf(x.args).some((r) => r.includes(needle))).map((x) => `${x.method}:${x.args.channel ?? x.args.user_id}`);
  expect(where('&lt;!channel&gt; Acme')).toEqual(expect.arrayContaining([`chat.postMessage:${channel}`, `chat.postMessage:${MARIA}`, 'chat.postMessage:CLEAD', `views.publish:${MARIA}`]));
  // plain_text is shown literally by Slack: the card's header keeps the real name.
  expect(calls.flatMap((x) => plainTextOf(x.args))).toContain(`Case #${opened.case.number} — ${CLIENT}`);
});
