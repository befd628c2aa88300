// The Slack manager console (SPEC §5) through the real HTTP app, database, outbox drainer and SLA ticker, with a
// fake Slack Web API as the only stand-in: client channel and case thread, thread replies relayed (notes kept
// internal), slash commands, the ETA modal, signed webhooks, rate limits and outages, App Home, SLA alerts.
// One service for the file; each test has its own in-app account (= its own client, its own Slack channel) and the
// shared clock only moves forward, so assertions filter Slack calls by channel, thread or case number.
import { FakeSlack, type SlackCall } from '../support/fake-slack';
import { inappMessage, SLACK_SIGNING_SECRET, startTestService, type TestService } from '../support/service';
import { interactionBody, slackHeaders, slashCommand } from '../support/slack-signing';
import { msk } from '../support/clock';

let fake: FakeSlack;
let t: TestService;
let maria: string; // dedicated manager of every client below except App Home's
let boris: string; // backup manager
let dora: string; // the App Home test's manager

const MARIA = 'UMARIA';
const BORIS = 'UBORIS';
const VERA = 'UVERA';
const DORA = 'UDORA';
const STRANGER = 'UNOBODY';

beforeAll(async () => {
  fake = await new FakeSlack().start();
  t = await startTestService({ slack: { apiUrl: fake.url, leadChannel: 'CLEAD' } });
  const mk = async (name: string, slackUserId: string) => {
    const r = await t.admin('POST', '/api/v1/managers', { name, email: `${slackUserId.toLowerCase()}@vendor.test`, slackUserId, timeZone: 'Europe/Moscow' });
    expect(r.status).toBe(201);
    return r.json.id as string;
  };
  maria = await mk('Maria Petrova', MARIA);
  boris = await mk('Boris Ivanov', BORIS);
  await mk('Vera Sokolova', VERA); // a registered manager who is not assigned to these clients
  dora = await mk('Dora Kuznetsova', DORA);
});
afterAll(async () => {
  await t?.close();
  await fake?.stop();
});

// ---- helpers ----------------------------------------------------------------------------------------------------


const moveTo = (at: Date) => t.clock.moveTo(at);

async function newClient(account: string, managerId = maria, backupManagerId: string | null = boris) {
  const c = await t.admin('POST', '/api/v1/clients', { name: `Client ${account}`, tier: 'premium', managerId, backupManagerId, inappAccountId: account });
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

async function clientChannel(clientId: string): Promise<string> {
  const res = await t.admin('GET', `/api/v1/clients/${clientId}`);
  expect(res.status).toBe(200);
  expect(res.json.slackChannelId).toEqual(expect.any(String));
  return res.json.slackChannelId;
}

/** What the vendor's callback received for one account, in order. */
const received = (account: string) => t.callback.received.filter((r) => r.body.account?.id === account).map((r) => r.body);

let tsSeq = 0;
/** A Slack message ts for a message a person writes in Slack. */
const personTs = () => `1795000000.${String(++tsSeq).padStart(6, '0')}`;
let eventSeq = 0;

type Inject = { status: number; json: any; body: string };

async function post(kind: 'events' | 'commands' | 'interactions', raw: string, headers: Record<string, string> = {}, at = t.clock.now()): Promise<Inject> {
  const res = await t.app.inject({
    method: 'POST', url: `/webhooks/slack/${kind}`, payload: raw,
    headers: {
      'content-type': kind === 'events' ? 'application/json' : 'application/x-www-form-urlencoded',
      ...slackHeaders(SLACK_SIGNING_SECRET, raw, at),
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

function eventBody(event: Record<string, unknown>, eventId = `Ev${++eventSeq}`) {
  return JSON.stringify({ token: 'x', team_id: 'T1', api_app_id: 'A1', type: 'event_callback', event_id: eventId, event_time: Math.floor(t.clock.now().getTime() / 1000), event });
}

/** A person's message in a case thread, as Slack delivers it. */
async function threadReply(channel: string, threadTs: string, user: string, text: string) {
  const ts = personTs();
  const res = await post('events', eventBody({ type: 'message', channel, channel_type: 'group', user, text, ts, thread_ts: threadTs }));
  expect(res.status).toBe(200);
  return ts;
}

async function waitFor<T>(what: string, fn: () => T | undefined | null | false | Promise<T | undefined | null | false>, ms = 5000): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/**
 * A slash command's answer: the acknowledgement carries it, unless the command outlasts Slack's 3 seconds (then the
 * ack says it is under way and the answer follows on the response_url).
 */
async function slash(command: string, text: string, user: string, channel: string) {
  const id = `R-${command.slice(1)}-${++eventSeq}`;
  const res = await post('commands', slashCommand({ command, text, user_id: user, channel_id: channel, response_url: fake.responseUrl(id) }));
  expect(res.status).toBe(200);
  expect(res.json?.text).toEqual(expect.any(String));
  const later = /^Working on it/.test(res.json.text);
  const answer = later ? (await waitFor(`the ${command} response`, () => fake.responses.find((r) => r.id === id))).body : res.json;
  return { answer: answer as { text: string; response_type?: string } };
}

const posts = (filter: (c: SlackCall) => boolean) => fake.callsOf('chat.postMessage').filter(filter);
const inThread = (channel: string, ts: string) => (c: SlackCall) => c.args.channel === channel && c.args.thread_ts === ts;

/** Opens a case from the in-app chat and drains, returning the case and its Slack channel and thread. */
async function openCase(account: string, text: string, over: Record<string, unknown> = {}) {
  const opened = await send(account, text, over);
  expect(opened.status).toBe('stored');
  await t.drain();
  const kase = await getCase(opened.case.number);
  const channel = await clientChannel(kase.clientId);
  // The client's message is posted in the case thread; its thread_ts is the card's ts.
  const first = posts((c) => c.args.channel === channel && typeof c.args.thread_ts === 'string' && String(c.args.text).includes(text));
  expect(first).toHaveLength(1);
  return { number: kase.number as number, id: kase.id as string, channel, threadTs: first[0].args.thread_ts as string, kase };
}

// ---- 1. the thread: card, client message, relayed reply, confirmation, notes -----------------------------------

test('a client message opens a private channel and a case thread; a manager reply reaches the client; notes stay internal', async () => {
  const clientId = await newClient('acct-flow');
  const before = fake.calls.length;
  const CARD_TS = '1700000001.000100';
  // The card is the first message this drain posts; its ts is pinned so the thread can be checked against it.
  fake.script('chat.postMessage', { body: { ok: true, ts: CARD_TS, message: { ts: CARD_TS } } });
  const opened = await send('acct-flow', 'How do I set up postbacks?');
  const n = opened.case.number as number;
  await t.drain();
  const calls = fake.calls.slice(before);
  const kase = await getCase(n);
  expect(kase).toMatchObject({ urgency: 'medium', status: 'open', managerId: maria, channel: 'inapp' });
  expect(kase.sla).toMatchObject({ state: 'running', dueAt: msk('2026-11-23', '12:00').toISOString() });

  // One private channel for the client, holding the dedicated and backup managers.
  const creates = calls.filter((c) => c.method === 'conversations.create');
  expect(creates).toHaveLength(1);
  expect(creates[0].args.is_private).toBe('true');
  expect(creates[0].args.name).toMatch(/^sb-client-acct-flow/);
  const channel = await clientChannel(clientId);
  const invites = calls.filter((c) => c.method === 'conversations.invite');
  expect(invites.map((c) => c.args.channel)).toEqual(invites.map(() => channel));
  expect(invites.flatMap((c) => String(c.args.users).split(',')).sort()).toEqual([BORIS, MARIA].sort());
  expect(calls.findIndex((c) => c.method === 'conversations.invite')).toBeLessThan(calls.findIndex((c) => c.method === 'chat.postMessage'));

  // The case card is the thread root.
  const rootPosts = calls.filter((c) => c.method === 'chat.postMessage' && c.args.channel === channel && !c.args.thread_ts);
  expect(rootPosts).toHaveLength(1);
  const card = rootPosts[0].args;
  const cardJson = JSON.stringify(card.blocks);
  expect(cardJson).toContain(`Case #${n}`);
  expect(cardJson).toContain('medium');
  expect(cardJson).toContain('Mon 23 Nov, 12:00 (Europe/Moscow)'); // SLA due, in the vendor's zone
  const actions = (card.blocks as { type: string; elements?: { action_id: string; value?: string }[] }[]).find((b) => b.type === 'actions');
  expect(actions?.elements?.map((e) => e.action_id)).toEqual(['set_urgency', 'open_eta', 'open_needinfo', 'resolve', 'open_escalate']);
  expect(actions?.elements?.find((e) => e.action_id === 'open_eta')?.value).toBe(kase.id);

  // The client's message in that thread, with the contact's name and channel.
  const clientPosts = calls.filter((c) => c.method === 'chat.postMessage' && c.args.thread_ts === CARD_TS);
  expect(clientPosts).toHaveLength(1);
  expect(clientPosts[0].args.channel).toBe(channel);
  expect(clientPosts[0].args.text).toContain('Ann Client');
  expect(clientPosts[0].args.text).toContain('inapp');
  expect(clientPosts[0].args.text).toContain('How do I set up postbacks?');
  // Slack history is never read back.
  expect(calls.filter((c) => c.method.startsWith('conversations.history') || c.method.startsWith('conversations.replies'))).toEqual([]);
  // The bot token is what the console uses.
  expect(calls.every((c) => c.token === 'xoxb-test-token')).toBe(true);
  expect(received('acct-flow').map((r) => r.kind)).toEqual(['ack']);

  // The dedicated manager answers in the thread: the client gets it with her name, and Slack shows it was delivered.
  const replyTs = await threadReply(channel, CARD_TS, MARIA, 'Open Settings → Postbacks and paste your URL.');
  await t.drain();
  const got = received('acct-flow');
  expect(got).toHaveLength(2);
  expect(got[1]).toMatchObject({ kind: 'reply', caseNumber: n, author: { name: 'Maria Petrova' }, text: 'Open Settings → Postbacks and paste your URL.' });
  const reactions = fake.callsOf('reactions.add').filter((c) => c.args.timestamp === replyTs);
  expect(reactions).toHaveLength(1);
  expect(reactions[0].args).toMatchObject({ channel, timestamp: replyTs, name: 'white_check_mark' });

  // Notes stay internal: stored as notes, never sent to the client, never "confirmed".
  const noteTs = await threadReply(channel, CARD_TS, MARIA, 'note: they are on the legacy tracker');
  const slashNoteTs = await threadReply(channel, CARD_TS, BORIS, '// check the postback logs first');
  await t.drain();
  expect(received('acct-flow')).toHaveLength(2);
  const after = await getCase(n);
  const notes = after.messages.filter((m: { direction: string }) => m.direction === 'note');
  expect(notes.map((m: { text: string }) => m.text)).toEqual(['they are on the legacy tracker', 'check the postback logs first']);
  expect(notes.map((m: { managerId: string }) => m.managerId)).toEqual([maria, boris]);
  expect(after.messages.filter((m: { direction: string }) => m.direction === 'outbound').map((m: { kind: string }) => m.kind)).toEqual(['ack', 'reply']);
  expect(fake.callsOf('reactions.add').filter((c) => c.args.timestamp === noteTs || c.args.timestamp === slashNoteTs)).toEqual([]);
  // A plain reply is delivered but is not a response in the SLA sense.
  expect(after.sla.state).toBe('running');
});

// ---- 2. slash commands ------------------------------------------------------------------------------------------

test('slash commands act on the channel\'s case: /urgency, a bad /eta, /eta, /needinfo, /resolve; strangers are refused', async () => {
  await newClient('acct-cmd');
  moveTo(msk('2026-11-23', '11:30'));
  const c = await openCase('acct-cmd', 'Where can I find the invoice for October?');
  expect(c.kase.urgency).toBe('medium');
  expect(c.kase.sla.dueAt).toBe(msk('2026-11-23', '12:30').toISOString());

  // /urgency critical #N: the open clock's due time is recomputed from its start with the new target.
  t.clock.advanceMinutes(2);
  const urg = await slash('/urgency', `critical #${c.number}`, MARIA, c.channel);
  expect(urg.answer.text).toContain('critical');
  expect(urg.answer.response_type).toBe('ephemeral');
  let k = await getCase(c.number);
  expect(k.urgency).toBe('critical');
  expect(k.sla).toMatchObject({ state: 'running', startedAt: msk('2026-11-23', '11:30').toISOString(), dueAt: msk('2026-11-23', '11:45').toISOString() });
  expect(k.timeline.some((e: { type: string }) => e.type === 'clock_recomputed')).toBe(true);
  const updatesBefore = fake.callsOf('chat.update').filter((u) => u.args.ts === c.threadTs).length;
  await t.drain();
  const cardUpdates = fake.callsOf('chat.update').filter((u) => u.args.ts === c.threadTs);
  expect(cardUpdates.length).toBeGreaterThan(updatesBefore);
  expect(JSON.stringify(cardUpdates.at(-1)!.args.blocks)).toContain('critical');

  // A bad /eta answers the ack with its usage and changes nothing.
  const bad = await slash('/eta', 'soonish', MARIA, c.channel);
  expect(bad.answer.text).toContain('Usage');
  expect(bad.answer.response_type).toBe('ephemeral');
  k = await getCase(c.number);
  expect(k.eta).toBeNull();
  expect(k.etas).toEqual([]);
  expect(k.sla.state).toBe('running');

  // /eta 2h: a response (the clock is met) and a commitment, echoed in the vendor's zone; the card follows.
  t.clock.advanceMinutes(3); // 11:35 Moscow
  const eta = await slash('/eta', '2h', MARIA, c.channel);
  expect(eta.answer.response_type).toBe('ephemeral');
  expect(eta.answer.text).toContain(`#${c.number}`);
  expect(eta.answer.text).toContain('Mon 23 Nov 2026, 13:35 (Europe/Moscow)');
  k = await getCase(c.number);
  expect(k.sla.state).toBe('met');
  expect(k.eta).toBe(msk('2026-11-23', '13:35').toISOString());
  expect(k.etas).toEqual([expect.objectContaining({ revision: 1, state: 'standing', managerId: maria })]);
  const before = fake.callsOf('chat.update').filter((u) => u.args.ts === c.threadTs).length;
  await t.drain();
  const updates = fake.callsOf('chat.update').filter((u) => u.args.ts === c.threadTs);
  expect(updates.length).toBeGreaterThan(before);
  expect(updates.at(-1)!.args.channel).toBe(c.channel);
  expect(JSON.stringify(updates.at(-1)!.args.blocks)).toContain('Mon 23 Nov, 13:35 (Europe/Moscow)');
  expect(received('acct-cmd').at(-1)).toMatchObject({ kind: 'eta', author: { name: 'Maria Petrova' } });

  // /needinfo: the case waits on the client, no clock runs.
  const ask = await slash('/needinfo', 'what browser?', MARIA, c.channel);
  expect(ask.answer.text).toMatch(/details/i);
  k = await getCase(c.number);
  expect(k.status).toBe('waiting_on_client');
  expect(k.sla.state).toBe('paused');
  await t.drain();
  expect(received('acct-cmd').at(-1)).toMatchObject({ kind: 'needinfo', text: 'what browser?' });

  // Someone who is not a manager gets told so and nothing changes.
  const stranger = await slash('/urgency', 'low', STRANGER, c.channel);
  expect(stranger.answer.text).toContain('not set up as a Switchboard manager');
  expect((await getCase(c.number)).urgency).toBe('critical');

  // /resolve
  const res = await slash('/resolve', 'Invoice re-sent to billing@', MARIA, c.channel);
  expect(res.answer.text).toMatch(/resolved/i);
  k = await getCase(c.number);
  expect(k.status).toBe('resolved');
  await t.drain();
  expect(received('acct-cmd').at(-1)).toMatchObject({ kind: 'resolution' });
  // A resolved case's card has no buttons left.
  const last = fake.callsOf('chat.update').filter((u) => u.args.ts === c.threadTs).at(-1)!;
  expect((last.args.blocks as { type: string }[]).some((b) => b.type === 'actions')).toBe(false);
});

// ---- 3. the ETA modal -------------------------------------------------------------------------------------------

test('the card\'s Post ETA button opens a modal; a valid submission posts the ETA, an invalid one is refused in the modal', async () => {
  await newClient('acct-modal');
  const c = await openCase('acct-modal', 'Can you check our postback delays?');
  const trigger = '2000000000.2000000000.modal0123456789abcdef0123456789';
  const click = await post('interactions', interactionBody({
    type: 'block_actions', team: { id: 'T1', domain: 'vendor' }, user: { id: MARIA, username: 'maria', team_id: 'T1' }, api_app_id: 'A1', token: 'x',
    container: { type: 'message', message_ts: c.threadTs, channel_id: c.channel, is_ephemeral: false }, trigger_id: trigger,
    channel: { id: c.channel, name: 'privategroup' }, message: { type: 'message', ts: c.threadTs, text: 'card' }, response_url: fake.responseUrl(),
    actions: [{ type: 'button', action_id: 'open_eta', block_id: `case:${c.id}`, value: c.id, action_ts: '2000000000.000001', text: { type: 'plain_text', text: 'Post ETA' } }],
  }));
  expect(click.status).toBe(200);
  const opened = await waitFor('views.open', () => fake.callsOf('views.open').find((v) => v.args.trigger_id === trigger));
  const view = opened.args.view as { type: string; callback_id: string; private_metadata: string; blocks: { block_id?: string }[] };
  expect(view).toMatchObject({ type: 'modal', callback_id: 'modal_eta', private_metadata: c.id });
  expect(view.blocks.map((b) => b.block_id)).toContain('when');

  const submit = (when: string) =>
    post('interactions', interactionBody({
      type: 'view_submission', team: { id: 'T1', domain: 'vendor' }, user: { id: MARIA, username: 'maria', team_id: 'T1' }, api_app_id: 'A1', token: 'x',
      trigger_id: '2000000000.2000000001.submit', view: {
        id: 'V-modal', team_id: 'T1', type: 'modal', callback_id: 'modal_eta', private_metadata: c.id, hash: 'h', blocks: view.blocks,
        state: { values: { when: { value: { type: 'plain_text_input', value: when } }, note: { value: { type: 'plain_text_input', value: null } } } },
      },
    }));

  const invalid = await submit('whenever you like');
  expect(invalid.status).toBe(200);
  expect(invalid.json).toMatchObject({ response_action: 'errors', errors: { when: expect.any(String) } });
  let k = await getCase(c.number);
  expect(k.eta).toBeNull();
  expect(k.etas).toEqual([]);
  expect(k.sla.state).toBe('running');

  const valid = await submit('3h');
  expect(valid.status).toBe(200);
  expect(valid.json?.response_action).toBeUndefined();
  const due = new Date(t.clock.now().getTime() + 3 * 3600_000).toISOString();
  k = await waitFor('the ETA from the modal', async () => {
    const x = await getCase(c.number);
    return x.eta ? x : null;
  });
  expect(k.eta).toBe(due);
  expect(k.sla.state).toBe('met');
  expect(k.etas).toEqual([expect.objectContaining({ revision: 1, managerId: maria, dueAt: due })]);
});

// ---- 4. signed webhooks -----------------------------------------------------------------------------------------

test('forged, stale and future-dated requests get 401 and change nothing; a redelivered event is handled once; url_verification is answered', async () => {
  await newClient('acct-sig');
  const c = await openCase('acct-sig', 'Is the API rate limit per key or per account?');
  const baseline = (await getCase(c.number)).messages.length;
  const reply = (id: string, text: string) =>
    eventBody({ type: 'message', channel: c.channel, channel_type: 'group', user: MARIA, text, ts: personTs(), thread_ts: c.threadTs }, id);

  const forgedRaw = reply('EvForged', 'forged reply');
  const forged = await post('events', forgedRaw, slackHeaders('not-the-signing-secret', forgedRaw, t.clock.now()));
  expect(forged.status).toBe(401);
  const unsigned = await t.app.inject({ method: 'POST', url: '/webhooks/slack/events', payload: forgedRaw, headers: { 'content-type': 'application/json' } });
  expect(unsigned.statusCode).toBe(401);
  const stale = await post('events', reply('EvStale', 'stale reply'), {}, new Date(t.clock.now().getTime() - 6 * 60_000));
  expect(stale.status).toBe(401);
  const future = await post('events', reply('EvFuture', 'future reply'), {}, new Date(t.clock.now().getTime() + 2 * 60_000));
  expect(future.status).toBe(401);
  // A command with a bad signature is refused as well.
  const cmdRaw = slashCommand({ command: '/resolve', text: '', user_id: MARIA, channel_id: c.channel, response_url: fake.responseUrl() });
  const forgedCmd = await post('commands', cmdRaw, slackHeaders('not-the-signing-secret', cmdRaw, t.clock.now()));
  expect(forgedCmd.status).toBe(401);
  await t.drain();
  const k = await getCase(c.number);
  expect(k.messages).toHaveLength(baseline);
  expect(k.status).toBe('open');
  expect(received('acct-sig').map((r) => r.kind)).toEqual(['ack']);

  // Slack retries an event it thinks we missed: same event_id, X-Slack-Retry-Num. Handled once.
  const once = reply('EvReplayed', 'The limit is per key: 100 requests a second.');
  const logged = t.log.entries.length;
  expect((await post('events', once)).status).toBe(200);
  expect((await post('events', once, { 'x-slack-retry-num': '1', 'x-slack-retry-reason': 'http_timeout' })).status).toBe(200);
  // Recognised as a redelivery, not stumbled over (no listener failure on the way).
  expect(t.log.entries.slice(logged).filter((e) => e.level === 'error')).toEqual([]);
  await t.drain();
  expect(received('acct-sig').filter((r) => r.text === 'The limit is per key: 100 requests a second.')).toHaveLength(1);
  const stored = (await getCase(c.number)).messages.filter((m: { text: string }) => m.text === 'The limit is per key: 100 requests a second.');
  expect(stored).toHaveLength(1);

  const challenge = await post('events', JSON.stringify({ token: 'x', challenge: 'challenge-3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P', type: 'url_verification' }));
  expect(challenge.status).toBe(200);
  expect(challenge.json).toEqual({ challenge: 'challenge-3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P' });
});

// ---- 5. Slack rate limits and outages ---------------------------------------------------------------------------

test('a rate-limited post waits for Retry-After and arrives once; one that fails past its deadline is recorded on the timeline', async () => {
  await newClient('acct-429');
  const c = await openCase('acct-429', 'Our webhook secret rotation: how?');

  // 429 with Retry-After: 1, then the defaults (200).
  fake.script('chat.postMessage', { status: 429, headers: { 'retry-after': '1' }, body: { ok: false, error: 'ratelimited' } });
  await send('acct-429', 'Second message: also, where are the docs?');
  await t.drain();
  const mine = () => posts((x) => inThread(c.channel, c.threadTs)(x) && String(x.args.text).includes('Second message: also'));
  expect(mine()).toHaveLength(1); // the refused attempt
  await t.drain(); // not due yet: Slack asked for a second
  expect(mine()).toHaveLength(1);
  t.clock.advance(2000);
  await t.drain();
  await t.drain();
  // The refused attempt plus exactly one accepted post: the notice arrived once.
  expect(mine()).toHaveLength(2);

  // 500 until past the outbox deadline (24 h for console notices): the row expires and the timeline says so.
  fake.script('chat.postMessage', { status: 500, body: { ok: false, error: 'internal_error' } });
  await send('acct-429', 'Third message: anyone there?');
  await t.drain();
  const third = () => posts((x) => inThread(c.channel, c.threadTs)(x) && String(x.args.text).includes('Third message'));
  expect(third()).toHaveLength(1);
  t.clock.advance(25 * 3600_000);
  fake.script('chat.postMessage', { status: 500, body: { ok: false, error: 'internal_error' } });
  await t.drain();
  expect(third()).toHaveLength(2);
  const k = await getCase(c.number);
  const failed = k.timeline.filter((e: { type: string }) => e.type === 'delivery_failed');
  expect(failed).toHaveLength(1);
  expect(failed[0]).toMatchObject({ target: 'console', channel: 'console' });
  expect(failed[0].reason).toMatch(/deadline/);
  await t.drain();
  expect(third()).toHaveLength(2); // given up, not retried forever
});

test('a card refresh that fails after the client\'s message went out does not post the message twice', async () => {
  await newClient('acct-refresh');
  const c = await openCase('acct-refresh', 'Can we get a sandbox account?');
  // The message is posted, then updating the card is refused: the retry must not post the message again.
  fake.script('chat.update', { status: 500, body: { ok: false, error: 'internal_error' } });
  await send('acct-refresh', 'Follow-up: for two developers, please');
  await t.drain();
  t.clock.advanceMinutes(2);
  await t.drain();
  expect(posts((x) => inThread(c.channel, c.threadTs)(x) && String(x.args.text).includes('Follow-up: for two developers'))).toHaveLength(1);
  // The next change about the case brings the card up to date.
  const updates = fake.callsOf('chat.update').filter((u) => u.args.ts === c.threadTs).length;
  const urg = await slash('/urgency', 'high', MARIA, c.channel);
  expect(urg.answer.text).toContain('high');
  await t.drain();
  const after = fake.callsOf('chat.update').filter((u) => u.args.ts === c.threadTs);
  expect(after.length).toBeGreaterThan(updates);
  expect(JSON.stringify(after.at(-1)!.args.blocks)).toContain('high');
});

test('an invite that fails is retried, so both managers end up in the client\'s channel; the card is posted once', async () => {
  const clientId = await newClient('acct-invite');
  fake.script('conversations.invite', { status: 500, body: { ok: false, error: 'internal_error' } });
  const opened = await send('acct-invite', 'Please add our new domain to the allow list');
  await t.drain();
  const channel = await clientChannel(clientId);
  expect(fake.callsOf('conversations.create').filter((c) => c.args.name === 'sb-client-acct-invite')).toHaveLength(1);
  t.clock.advanceMinutes(2);
  await t.drain();
  const invites = fake.callsOf('conversations.invite').filter((c) => c.args.channel === channel);
  expect(invites.slice(1).flatMap((c) => String(c.args.users).split(',')).sort()).toEqual([BORIS, MARIA].sort());
  expect(fake.callsOf('conversations.create').filter((c) => String(c.args.name).startsWith('sb-client-acct-invite'))).toHaveLength(1);
  const cards = posts((c) => c.args.channel === channel && !c.args.thread_ts);
  expect(cards).toHaveLength(1);
  expect(JSON.stringify(cards[0].args.blocks)).toContain(`Case #${opened.case.number}`);
  expect(posts((c) => c.args.channel === channel && String(c.args.text).includes('new domain to the allow list'))).toHaveLength(1);
});

// ---- 6. replies from people who may not answer ------------------------------------------------------------------

test('a thread reply from someone who is not a manager of the client is not relayed and gets an ephemeral explanation', async () => {
  moveTo(msk('2026-11-24', '13:00')); // after the previous test's day-long outage, still business hours
  await newClient('acct-who');
  const c = await openCase('acct-who', 'How do I add a second admin?');
  const messages = (await getCase(c.number)).messages.length;
  for (const user of [VERA, STRANGER]) {
    const ts = await threadReply(c.channel, c.threadTs, user, `Hi, ${user} here with an answer`);
    const eph = fake.callsOf('chat.postEphemeral').filter((e) => e.args.user === user && e.args.channel === c.channel);
    expect(eph).toHaveLength(1);
    expect(eph[0].args.thread_ts).toBe(c.threadTs);
    expect(eph[0].args.text).toMatch(/not sent to the client/);
    expect(fake.callsOf('reactions.add').filter((r) => r.args.timestamp === ts)).toEqual([]);
  }
  await t.drain();
  expect(received('acct-who').map((r) => r.kind)).toEqual(['ack']);
  expect((await getCase(c.number)).messages).toHaveLength(messages);
});

// ---- 7. App Home ------------------------------------------------------------------------------------------------

test('App Home lists the manager\'s open cases by SLA due time with time left, and is republished when a case changes', async () => {
  moveTo(msk('2026-11-24', '13:30'));
  await newClient('acct-home-low', dora, null);
  await newClient('acct-home-high', dora, null);
  await newClient('acct-home-crit', dora, null);
  // Opened in the reverse of their due order.
  const low = await openCase('acct-home-low', 'Small typo in the dashboard', { urgency: 'low' });
  t.clock.advanceMinutes(1);
  const high = await openCase('acct-home-high', 'Reports are slow today', { urgency: 'high' });
  t.clock.advanceMinutes(1);
  const crit = await openCase('acct-home-crit', 'Checkout broken for everyone', { urgency: 'critical' });
  expect([low.kase.urgency, high.kase.urgency, crit.kase.urgency]).toEqual(['low', 'high', 'critical']);
  expect(new Set([low.channel, high.channel, crit.channel]).size).toBe(3);

  const publishes = () => fake.callsOf('views.publish').filter((v) => v.args.user_id === DORA);
  const seen = publishes().length;
  const res = await post('events', eventBody({ type: 'app_home_opened', user: DORA, channel: 'DDORA', tab: 'home', event_ts: personTs() }));
  expect(res.status).toBe(200);
  expect(publishes()).toHaveLength(seen + 1);
  const home = publishes().at(-1)!.args.view as { type: string; blocks: { type: string; text?: { text: string } }[] };
  expect(home.type).toBe('home');
  const rows = home.blocks.filter((b) => b.type === 'section' && /#\d+/.test(b.text?.text ?? '')).map((b) => b.text!.text);
  const numbers = rows.map((r) => Number(/#(\d+)/.exec(r)![1]));
  expect(numbers).toEqual([crit.number, high.number, low.number]);
  // Critical: 15 min round the clock from 13:32; high: 30 business minutes from 13:31; low: an hour from 13:30.
  expect(rows[0]).toContain('in 15 min');
  expect(rows[1]).toContain('in 29 min');
  expect(rows[2]).toContain('in 58 min');

  // Not a manager: nothing is published.
  await post('events', eventBody({ type: 'app_home_opened', user: STRANGER, channel: 'DX', tab: 'home', event_ts: personTs() }));
  expect(fake.callsOf('views.publish').filter((v) => v.args.user_id === STRANGER)).toEqual([]);

  // An ETA on the critical case meets its clock: after the drain the home is republished with it last.
  const eta = await slash('/eta', '1h', DORA, crit.channel);
  expect(eta.answer.text).toContain(`#${crit.number}`);
  const before = publishes().length;
  await t.drain();
  expect(publishes().length).toBeGreaterThan(before);
  const again = publishes().at(-1)!.args.view as { blocks: { type: string; text?: { text: string } }[] };
  const order = again.blocks.filter((b) => b.type === 'section' && /#\d+/.test(b.text?.text ?? '')).map((b) => Number(/#(\d+)/.exec(b.text!.text)![1]));
  expect(order).toEqual([high.number, low.number, crit.number]);
});

// ---- 8. SLA alerts ----------------------------------------------------------------------------------------------

test('SLA warnings go to the case thread and the manager\'s DM; a breach also to the backup manager and the lead channel', async () => {
  moveTo(msk('2026-11-24', '14:30'));
  // Earlier tests' clocks fire on these ticks too; everything below is filtered by this case's number.
  await t.tick();
  await t.drain();
  await newClient('acct-alert');
  const c = await openCase('acct-alert', 'How do I export last month\'s conversions?');
  expect(c.kase.sla.dueAt).toBe(msk('2026-11-24', '15:30').toISOString());
  const tag = `#${c.number} `;
  const about = (x: SlackCall) => String(x.args.text).includes(tag);
  const thread = () => posts((x) => inThread(c.channel, c.threadTs)(x) && about(x));
  const dm = (user: string) => posts((x) => x.args.channel === user && about(x));
  const lead = () => posts((x) => x.args.channel === 'CLEAD' && about(x));
  const baseThread = thread().length; // the client's own message

  moveTo(msk('2026-11-24', '15:01')); // past 50 %
  await t.tick();
  await t.drain();
  const warnThread = thread().slice(baseThread);
  expect(warnThread).toHaveLength(1);
  expect(warnThread[0].args.text).toMatch(/SLA warning/);
  expect(dm(MARIA)).toHaveLength(1);
  expect(dm(MARIA)[0].args.text).toMatch(/SLA warning/);
  expect(dm(MARIA)[0].args.text).toContain(c.channel); // a link to the thread
  expect(dm(BORIS)).toEqual([]);
  expect(lead()).toEqual([]);
  await t.tick(); // each warning once
  await t.drain();
  expect(thread().slice(baseThread)).toHaveLength(1);

  moveTo(msk('2026-11-24', '15:31')); // past the due time (the 80 % warning is skipped after "downtime")
  await t.tick();
  await t.drain();
  const breach = thread().slice(baseThread).filter((x) => /SLA breached/.test(x.args.text));
  expect(breach).toHaveLength(1);
  expect(dm(MARIA).filter((x) => /SLA breached/.test(x.args.text))).toHaveLength(1);
  expect(dm(BORIS).filter((x) => /SLA breached/.test(x.args.text))).toHaveLength(1);
  expect(lead().filter((x) => /SLA breached/.test(x.args.text))).toHaveLength(1);
  expect((await getCase(c.number)).sla.state).toBe('breached');
});

test("a manager who doesn't look after the client can't resolve its case from Slack", async () => {
  await newClient('acct-scope');
  moveTo(msk('2026-11-25', '12:00'));
  const c = await openCase('acct-scope', 'Question about invoices');
  // Dora is a registered manager, but not this client's dedicated or backup manager, nor on call.
  const r = await slash('/resolve', `#${c.number} closing this`, DORA, c.channel);
  expect(r.answer.text).toContain('Only the managers of this client');
  expect((await getCase(c.number)).status).toBe('open');
});
