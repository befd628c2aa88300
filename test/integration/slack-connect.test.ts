// Clients on Slack (issue 10): a channel shared with the client's organisation through Slack Connect, answered from
// the vendor's own workspace. The real service, database, outbox and console, configured from SLACK_* as main.ts does,
// with the fake Slack Web API as the only stand-in; events and interactions are shaped as Slack sends them
// (adapters/slack/fixtures). Each test has its own client and shared channel; the shared clock only moves forward.
import {
  blockActions, botMessage, envelope, fileInfo, fileShare, memberJoined, messageChanged, messageDeleted, nextTs, ourPost, personMessage,
  type Person,
} from '../../adapters/slack/fixtures';
import { eq } from 'drizzle-orm';
import { SlackData } from '../../src/console/slack/data';
import * as schema from '../../src/db/schema';
import { FakeSlack, type SlackCall } from '../support/fake-slack';
import { SLACK_SIGNING_SECRET, startTestService, type TestService } from '../support/service';
import { interactionBody, slackHeaders, slashCommand } from '../support/slack-signing';

let fake: FakeSlack;
let t: TestService;
let maria: string;

const LEAD = 'CLEAD';
const MARIA: Person = { id: 'UMARIA', team: 'T1', name: 'Maria Petrova' };
const OLEG: Person = { id: 'UOLEG', team: 'T1', name: 'Oleg Staff' }; // vendor staff, not a Switchboard manager

beforeAll(async () => {
  fake = await new FakeSlack().start();
  // "From a fresh clone with the Slack settings pointing at the fake": the environment main.ts reads.
  t = await startTestService({ env: { SLACK_BOT_TOKEN: 'xoxb-test-token', SLACK_SIGNING_SECRET, SLACK_API_URL: fake.url, SLACK_LEAD_CHANNEL: LEAD } });
  const r = await t.admin('POST', '/api/v1/managers', { name: 'Maria Petrova', slackUserId: MARIA.id, timeZone: 'Europe/Moscow' });
  expect(r.status).toBe(201);
  maria = r.json.id;
});
afterAll(async () => {
  await t?.close();
  await fake?.stop();
});

// ---- helpers ----------------------------------------------------------------------------------------------------

let n = 0;
/** A client of its own with a shared channel of its own and one person writing from the client's organisation. */
async function sharedClient(opts: { link?: boolean } = {}) {
  const i = ++n;
  const channel = `C0SHARE${i}X`;
  const person: Person = { id: `U0ANN${i}X`, team: `T0ACME${i}X`, name: 'Ann Client' };
  const c = await t.admin('POST', '/api/v1/clients', { name: `Acme ${i}`, tier: 'premium', managerId: maria, ...(opts.link === false ? {} : { slackConnectChannelId: channel }) });
  expect(c.status).toBe(201);
  return { clientId: c.json.id as string, channel, person };
}

async function post(kind: 'events' | 'commands' | 'interactions', raw: string, o: { headers?: Record<string, string>; secret?: string; at?: Date } = {}) {
  const res = await t.app.inject({
    method: 'POST', url: `/webhooks/slack/${kind}`, payload: raw,
    headers: {
      'content-type': kind === 'events' ? 'application/json' : 'application/x-www-form-urlencoded',
      ...slackHeaders(o.secret ?? SLACK_SIGNING_SECRET, raw, o.at ?? t.clock.now()),
      ...o.headers,
    },
  });
  return { status: res.statusCode, body: res.body };
}

/** An event as Slack delivers it; answered 200 once handled. */
async function deliver(event: Record<string, unknown>, o: { eventId?: string; shared?: boolean; headers?: Record<string, string> } = {}) {
  const raw = JSON.stringify(envelope(event, { at: t.clock.now(), ...o }));
  const res = await post('events', raw, { headers: o.headers });
  expect(res.status).toBe(200);
  return raw;
}

async function waitFor<T>(what: string, fn: () => T | undefined | null | false, ms = 5000): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const v = fn();
    if (v) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const postsIn = (channel: string, filter: (c: SlackCall) => boolean = () => true) =>
  fake.callsOf('chat.postMessage').filter((c) => c.args.channel === channel && filter(c));

async function casesOf(clientId: string) {
  const res = await t.admin('GET', `/api/v1/cases?clientId=${clientId}`);
  expect(res.status).toBe(200);
  return res.json.cases as { number: number; id: string; status: string; urgency: string; channel: string }[];
}

async function getCase(ref: number | string) {
  const res = await t.admin('GET', `/api/v1/cases/${ref}`);
  expect(res.status).toBe(200);
  return res.json;
}

/** The case's thread in the console: its card is the thread root. */
function consoleThread(number: number) {
  const card = fake.callsOf('chat.postMessage').find((c) => !c.args.thread_ts && String(c.args.text).startsWith(`Case #${number} ·`));
  expect(card).toBeDefined();
  return { channel: card!.args.channel as string, ts: card!.result!.ts as string };
}

/** The client writes a top-level post; the case it opened, with everything drained. */
async function clientOpens(s: { clientId: string; channel: string; person: Person }, text: string) {
  const event = personMessage(s.person, { channel: s.channel, text, external: true });
  await deliver(event);
  await t.drain();
  const [kase] = await casesOf(s.clientId);
  expect(kase).toBeDefined();
  return { kase, rootTs: event.ts };
}

// ---- conversations: posts, thread replies, redeliveries -------------------------------------------------------------

test("an external user's post opens a case with one acknowledgement in its thread; a retry of the event is stored once", async () => {
  const s = await sharedClient();
  const first = personMessage(s.person, { channel: s.channel, text: 'Tracking is down, all conversions lost!', external: true });
  const raw = await deliver(first);
  // Slack got no answer in time and retries the same event.
  expect((await post('events', raw, { headers: { 'x-slack-retry-num': '1', 'x-slack-retry-reason': 'http_timeout' } })).status).toBe(200);
  await t.drain();

  const cases = await casesOf(s.clientId);
  expect(cases).toHaveLength(1);
  const kase = await getCase(cases[0].number);
  expect(kase).toMatchObject({ channel: 'slack', urgency: 'critical', status: 'open', managerId: maria });
  expect(kase.messages.filter((m: { direction: string }) => m.direction === 'inbound').map((m: { text: string }) => m.text)).toEqual(['Tracking is down, all conversions lost!']);
  // The contact is named as Slack showed them (user_profile), in the client's own organisation.
  const contacts = (await t.admin('GET', `/api/v1/contacts?clientId=${s.clientId}`)).json.contacts;
  expect(contacts).toEqual([expect.objectContaining({ name: 'Ann Client', identities: [{ channel: 'slack', externalId: s.person.id, account: s.person.team }] })]);

  // One acknowledgement, in the thread of the client's post, with urgency buttons the client can press.
  const acks = postsIn(s.channel);
  expect(acks).toHaveLength(1);
  expect(acks[0].args).toMatchObject({ thread_ts: first.ts });
  expect(acks[0].args.username).toBeUndefined();
  expect(acks[0].args.text).toMatch(new RegExp(`^We received your request: case #${kase.number}\\. Urgency: critical\\.`));
  const buttons = (acks[0].args.blocks as { type: string; elements?: { type: string; value: string }[] }[]).find((b) => b.type === 'actions')!.elements!;
  expect(buttons.map((b) => [b.type, b.value])).toEqual(['high', 'medium', 'low', 'informational', 'feature'].map((u) => ['button', `/urgency ${u}`]));
  // The console shows it in the case thread.
  const thread = consoleThread(kase.number);
  expect(postsIn(thread.channel, (c) => c.args.thread_ts === thread.ts && String(c.args.text).includes('Tracking is down'))).toHaveLength(1);
});

test('a reply in the thread continues its case; a new top-level post is a new case', async () => {
  const s = await sharedClient();
  const { kase, rootTs } = await clientOpens(s, 'The export button does nothing');
  await deliver(personMessage(s.person, { channel: s.channel, text: 'Here is what I clicked: Reports → Export', threadTs: rootTs, external: true }));
  await t.drain();
  expect(await casesOf(s.clientId)).toHaveLength(1);
  const after = await getCase(kase.number);
  expect(after.messages.filter((m: { direction: string }) => m.direction === 'inbound')).toHaveLength(2);
  expect(postsIn(s.channel)).toHaveLength(1); // no second acknowledgement for a follow-up

  const other = personMessage(s.person, { channel: s.channel, text: 'Separate question: can we add a second admin?', external: true });
  await deliver(other);
  await t.drain();
  const cases = await casesOf(s.clientId);
  expect(cases).toHaveLength(2);
  const acks = postsIn(s.channel);
  expect(acks).toHaveLength(2);
  expect(acks[1].args.thread_ts).toBe(other.ts);
});

test("our own posts coming back are echoes and other apps' posts are kept as automated, neither answered", async () => {
  const s = await sharedClient();
  const { kase, rootTs } = await clientOpens(s, 'Dashboard totals look off since Monday');
  const ack = postsIn(s.channel)[0];
  await deliver(ourPost({ channel: s.channel, ts: ack.result!.ts, text: ack.args.text, threadTs: rootTs }));
  // The client's own integration posts in the thread.
  await deliver(botMessage({ channel: s.channel, text: 'Nightly sync finished: 0 errors', botId: 'B0CLIENTCI', username: 'Acme CI', threadTs: rootTs }));
  await t.drain();
  const after = await getCase(kase.number);
  const inbound = after.messages.filter((m: { direction: string }) => m.direction === 'inbound');
  expect(inbound.map((m: { text: string }) => m.text)).toEqual(['Dashboard totals look off since Monday', 'Nightly sync finished: 0 errors']);
  expect(after.messages.filter((m: { text: string }) => m.text === ack.args.text)).toHaveLength(1); // our ack, once
  expect(postsIn(s.channel)).toHaveLength(1);
});

test('edits update the stored text, deletions are recorded, and the console is told', async () => {
  const s = await sharedClient();
  const { kase, rootTs } = await clientOpens(s, 'Conversions missing for campaign 42');
  const reply = personMessage(s.person, { channel: s.channel, text: 'It is campaign 43, sorry', threadTs: rootTs, external: true });
  await deliver(reply);
  await deliver(messageChanged(s.person, { channel: s.channel, ts: rootTs, text: 'Conversions missing for campaign 43', before: 'Conversions missing for campaign 42' }));
  await deliver(messageDeleted(s.person, { channel: s.channel, ts: reply.ts, text: 'It is campaign 43, sorry', threadTs: rootTs }));
  await t.drain();
  const after = await getCase(kase.number);
  expect(after.messages.filter((m: { direction: string }) => m.direction === 'inbound').map((m: { text: string }) => m.text))
    .toEqual(['Conversions missing for campaign 43', 'It is campaign 43, sorry']);
  const types = after.timeline.map((e: { type: string }) => e.type);
  expect(types).toEqual(expect.arrayContaining(['message_edited', 'message_deleted']));
  expect(after.timeline.find((e: { type: string }) => e.type === 'message_edited').previousText).toBe('Conversions missing for campaign 42');
  const thread = consoleThread(kase.number);
  const said = postsIn(thread.channel, (c) => c.args.thread_ts === thread.ts).map((c) => String(c.args.text));
  expect(said.some((x) => x.includes('edited their message') && x.includes('campaign 43'))).toBe(true);
  expect(said.some((x) => x.includes('deleted their message'))).toBe(true);
});

test('a file shared in the channel comes in as a link, its details asked with files.info', async () => {
  const s = await sharedClient();
  fake.script('files.info', { body: fileInfo('F0REPORT1', 'march-report.pdf', s.person.team), when: (a) => a.file === 'F0REPORT1' });
  await deliver(fileShare(s.person, { channel: s.channel, text: 'Numbers attached <https://evil.test|click> & compare', fileId: 'F0REPORT1' }));
  await t.drain();
  const [c] = await casesOf(s.clientId);
  const kase = await getCase(c.number);
  const msg = kase.messages.find((m: { direction: string }) => m.direction === 'inbound');
  expect(msg.text).toBe('Numbers attached click (https://evil.test) & compare');
  expect(msg.attachments).toEqual([{ name: 'march-report.pdf', url: `https://client.slack.com/files/UEXT/F0REPORT1/march-report.pdf`, mimeType: 'application/pdf', size: 48213 }]);
  // The console shows the file as a link and the client's text escaped (no live markup from a client).
  const thread = consoleThread(c.number);
  const shown = postsIn(thread.channel, (x) => x.args.thread_ts === thread.ts && String(x.args.text).includes('Numbers attached'));
  expect(shown).toHaveLength(1);
  expect(shown[0].args.text).toContain('<https://client.slack.com/files/UEXT/F0REPORT1/march-report.pdf|march-report.pdf>');
  expect(shown[0].args.text).toContain('&amp; compare');
});

// ---- acknowledgement buttons and the status reaction ------------------------------------------------------------

test("the client's people press an urgency button; the buttons are taken off; staff presses change nothing", async () => {
  const s = await sharedClient();
  const { kase, rootTs } = await clientOpens(s, 'How do I rename a workspace?');
  expect(kase.urgency).toBe('medium');
  const ack = postsIn(s.channel)[0];
  const message = { ts: ack.result!.ts, text: ack.args.text, blocks: ack.args.blocks };

  // Vendor staff can see the buttons too; theirs is not the client's choice.
  const staffPress = await post('interactions', interactionBody(blockActions(MARIA, { channel: s.channel, message, threadTs: rootTs, value: '/urgency high', responseUrl: fake.responseUrl('staff') })));
  expect(staffPress.status).toBe(200);
  expect((await getCase(kase.number)).urgency).toBe('medium');
  // Told only to them, on the interaction's response_url, after Slack was answered.
  expect((await waitFor('the answer to the staff press', () => fake.responses.find((r) => r.id === 'staff'))).body)
    .toMatchObject({ response_type: 'ephemeral', text: expect.stringContaining('for the client') });

  const press = await post('interactions', interactionBody(blockActions(s.person, { channel: s.channel, message, threadTs: rootTs, value: '/urgency high', responseUrl: fake.responseUrl() })));
  expect(press.status).toBe(200);
  await t.drain();
  expect(await getCase(kase.number)).toMatchObject({ urgency: 'high', urgencySource: 'client' });
  const told = postsIn(s.channel).slice(1);
  expect(told.map((c) => [c.args.thread_ts, c.args.text])).toEqual([[rootTs, expect.stringMatching(new RegExp(`^Case #${kase.number} is now high\\.`))]]);
  // The answered message keeps its text and loses its buttons.
  const update = fake.callsOf('chat.update').find((c) => c.args.channel === s.channel && c.args.ts === message.ts);
  expect(update).toBeDefined();
  expect((update!.args.blocks as { type: string }[]).some((b) => b.type === 'actions')).toBe(false);
  expect(JSON.stringify(update!.args.blocks)).toContain('Set urgency: high');
});

test('the root post carries a reaction that follows the case: open, waiting on the client, resolved', async () => {
  const s = await sharedClient();
  const { kase, rootTs } = await clientOpens(s, 'Webhook retries look wrong');
  const onRoot = () => fake.calls.filter((c) => c.method.startsWith('reactions.') && c.args.channel === s.channel && c.args.timestamp === rootTs).map((c) => `${c.method}:${c.args.name}`);
  expect(onRoot()).toEqual(['reactions.add:eyes']);
  expect((await t.admin('POST', `/api/v1/cases/${kase.number}/needinfo`, { question: 'Which endpoint?', managerId: maria })).status).toBe(200);
  await t.drain();
  expect(onRoot()).toEqual(['reactions.add:eyes', 'reactions.remove:eyes', 'reactions.add:question']);
  await deliver(personMessage(s.person, { channel: s.channel, text: 'The /postback one', threadTs: rootTs, external: true }));
  await t.drain();
  expect(onRoot().slice(3)).toEqual(['reactions.remove:question', 'reactions.add:eyes']);
  expect((await t.admin('POST', `/api/v1/cases/${kase.number}/resolve`, { managerId: maria })).status).toBe(200);
  await t.drain();
  expect(onRoot().slice(5)).toEqual(['reactions.remove:eyes', 'reactions.add:white_check_mark']);
});

// ---- manager replies: from the console, and directly in the shared thread ----------------------------------------

test("a console reply is posted into the client's thread under the manager's name and picture; notes stay in the console", async () => {
  // A manager of her own: her picture is read once and kept, so no earlier test may have asked for it.
  const vera = await t.admin('POST', '/api/v1/managers', { name: 'Vera Sokolova', slackUserId: 'UVERA', timeZone: 'Europe/Moscow' });
  fake.script('users.info', { body: { ok: true, user: { id: 'UVERA', team_id: 'T1', real_name: 'Vera Sokolova', profile: { real_name: 'Vera Sokolova', image_192: 'https://avatars.slack-edge.com/vera_192.png' } } }, when: (a) => a.user === 'UVERA' });
  const s = await sharedClient();
  expect((await t.admin('PATCH', `/api/v1/clients/${s.clientId}`, { managerId: vera.json.id })).status).toBe(200);
  const { kase, rootTs } = await clientOpens(s, 'Can you check our postback setup?');
  const thread = consoleThread(kase.number);
  const write = async (text: string) => {
    const ts = nextTs();
    await deliver({ type: 'message', channel: thread.channel, channel_type: 'group', user: 'UVERA', team: 'T1', text, ts, thread_ts: thread.ts }, { shared: false });
    return ts;
  };
  const replyTs = await write('Checked: the URL misses https, fixing it now.');
  await write('note: they pasted the staging URL');
  await t.drain();

  const out = postsIn(s.channel).slice(1);
  expect(out).toHaveLength(1);
  expect(out[0].args).toMatchObject({ thread_ts: rootTs, text: 'Checked: the URL misses https, fixing it now.', username: 'Vera Sokolova', icon_url: 'https://avatars.slack-edge.com/vera_192.png' });
  // Confirmed where Vera wrote it, not on our post in the client's channel.
  const confirmations = fake.callsOf('reactions.add').filter((c) => c.args.name === 'white_check_mark');
  expect(confirmations.filter((c) => c.args.timestamp === replyTs).map((c) => c.args.channel)).toEqual([thread.channel]);
  expect(confirmations.filter((c) => c.args.channel === s.channel)).toEqual([]);
  const after = await getCase(kase.number);
  expect(after.messages.filter((m: { direction: string }) => m.direction === 'note').map((m: { text: string }) => m.text)).toEqual(['they pasted the staging URL']);

  // The reply carries two Slack ids: where Vera wrote it and our post in the client's channel. Whichever was stored
  // first, a confirmation goes where she wrote.
  const reply = after.messages.find((m: { direction: string; kind: string }) => m.direction === 'outbound' && m.kind === 'reply');
  const ids = await t.db.db.select().from(schema.messagePlatformIds).where(eq(schema.messagePlatformIds.messageId, reply.id));
  expect(ids.map((i) => `${i.direction}:${i.scope}`).sort()).toEqual([`inbound:${thread.channel}`, `outbound:${s.channel}`]);
  await t.db.db.delete(schema.messagePlatformIds).where(eq(schema.messagePlatformIds.messageId, reply.id));
  await t.db.db.insert(schema.messagePlatformIds).values([...ids].sort((a) => (a.direction === 'outbound' ? -1 : 1)));
  expect(await new SlackData(t.db.db).slackOrigin(reply.id)).toEqual({ channel: thread.channel, ts: replyTs });
});

test('a staff reply made directly in the shared thread is recorded on the case, shown in the console and not posted again', async () => {
  const s = await sharedClient();
  const { kase, rootTs } = await clientOpens(s, 'Our API key stopped working');
  const direct = personMessage(MARIA, { channel: s.channel, text: 'Looking at it now, one moment.', threadTs: rootTs, parentUser: s.person.id, external: false });
  const raw = await deliver(direct);
  expect((await post('events', raw, { headers: { 'x-slack-retry-num': '1', 'x-slack-retry-reason': 'http_timeout' } })).status).toBe(200);
  await t.drain();

  const after = await getCase(kase.number);
  const out = after.messages.filter((m: { direction: string; authorKind: string }) => m.direction === 'outbound' && m.authorKind === 'manager');
  expect(out).toEqual([expect.objectContaining({ kind: 'reply', managerId: maria, text: 'Looking at it now, one moment.', channel: 'slack' })]);
  // Same SLA rule as a console reply: a plain reply does not stop the response clock.
  expect(after.sla.state).toBe('running');
  // Not echoed into the client's thread, and not taken for the client's message either.
  expect(postsIn(s.channel).map((c) => c.args.text)).not.toContain('Looking at it now, one moment.');
  expect(after.messages.filter((m: { direction: string }) => m.direction === 'inbound')).toHaveLength(1);
  const thread = consoleThread(kase.number);
  const shown = postsIn(thread.channel, (c) => c.args.thread_ts === thread.ts && String(c.args.text).includes('Looking at it now'));
  expect(shown).toHaveLength(1);
  expect(shown[0].args.text).toContain('Maria Petrova answered the client in their channel');

  // Someone of the vendor's who isn't a Switchboard manager: recorded without a manager, and told so.
  await deliver(personMessage(OLEG, { channel: s.channel, text: 'Oleg here, I can help too', threadTs: rootTs, external: false }));
  await t.drain();
  const later = await getCase(kase.number);
  expect(later.messages.filter((m: { text: string }) => m.text === 'Oleg here, I can help too')).toEqual([expect.objectContaining({ direction: 'outbound', managerId: null })]);
  expect(fake.callsOf('chat.postEphemeral').filter((c) => c.args.user === OLEG.id && c.args.channel === s.channel)).toHaveLength(1);
});

// ---- linking --------------------------------------------------------------------------------------------------

test('slackConnectChannelId on the client: several channels, shown back, never a console channel or another client\'s', async () => {
  const a = await sharedClient({ link: false });
  const set = await t.admin('PATCH', `/api/v1/clients/${a.clientId}`, { slackConnectChannelId: ['C0LINKA1', 'C0LINKA2'] });
  expect(set.status).toBe(200);
  expect(set.json.slackConnectChannelIds).toEqual(['C0LINKA1', 'C0LINKA2']);
  expect((await t.admin('GET', `/api/v1/clients/${a.clientId}`)).json.slackConnectChannelIds).toEqual(['C0LINKA1', 'C0LINKA2']);
  expect((await t.admin('GET', `/api/v1/clients/${a.clientId}/links`)).json.links.map((l: { channel: string; key: string }) => `${l.channel}:${l.key}`))
    .toEqual(['slack:C0LINKA1', 'slack:C0LINKA2']);

  const b = await sharedClient({ link: false });
  const taken = await t.admin('PATCH', `/api/v1/clients/${b.clientId}`, { slackConnectChannelId: 'C0LINKA2' });
  expect(taken.status).toBe(409);
  expect(taken.json.error).toContain('C0LINKA2');
  await t.admin('PATCH', `/api/v1/clients/${b.clientId}`, { slackChannelId: 'C0CONSOLEB' });
  const console = await t.admin('PATCH', `/api/v1/clients/${a.clientId}`, { slackConnectChannelId: 'C0CONSOLEB' });
  expect(console.status).toBe(400);
  expect(console.json.error).toContain('console channel');
  expect((await t.admin('PATCH', `/api/v1/clients/${a.clientId}`, { slackConnectChannelId: 'not-a-channel' })).status).toBe(400);

  const cleared = await t.admin('PATCH', `/api/v1/clients/${a.clientId}`, { slackConnectChannelId: null });
  expect(cleared.json.slackConnectChannelIds).toEqual([]);
  // An unlinked channel's posts open nothing.
  await deliver(personMessage(a.person, { channel: 'C0LINKA1', text: 'Anyone there?', external: true }));
  await t.drain();
  expect(await casesOf(a.clientId)).toEqual([]);
  expect(postsIn('C0LINKA1')).toEqual([]); // nobody onboarded as a new client: no acknowledgement
});

test('the app added to an unlinked shared channel asks the lead channel which client it is; a pick links it', async () => {
  const s = await sharedClient({ link: false });
  await deliver(memberJoined({ channel: s.channel, user: 'UBOT', inviter: MARIA.id }));
  await deliver(memberJoined({ channel: s.channel, user: 'UBOT', inviter: MARIA.id })); // asked once
  const asks = postsIn(LEAD, (c) => String(c.args.text).includes(`<#${s.channel}>`));
  expect(asks).toHaveLength(1);
  const menu = (asks[0].args.blocks as { type: string; elements?: { type: string; action_id: string; options: { text: { text: string }; value: string }[] }[] }[])
    .find((b) => b.type === 'actions')!.elements![0];
  expect(menu).toMatchObject({ type: 'static_select', action_id: 'link_shared_channel' });
  const option = menu.options.find((o) => o.text.text === `Acme ${n}`)!;
  expect(option.value).toBe(`${s.channel}:${s.clientId}`);

  const pick = {
    type: 'block_actions', user: { id: MARIA.id, username: 'maria', name: 'maria', team_id: 'T1' }, api_app_id: 'A0SWITCHBD', token: 'x',
    container: { type: 'message', message_ts: asks[0].result!.ts, channel_id: LEAD, is_ephemeral: false }, trigger_id: '1.2.abc', team: { id: 'T1', domain: 'vendor' },
    channel: { id: LEAD, name: 'support-lead' }, message: { type: 'message', ts: asks[0].result!.ts, text: asks[0].args.text, blocks: asks[0].args.blocks },
    response_url: fake.responseUrl('pick'),
    actions: [{ type: 'static_select', action_id: 'link_shared_channel', block_id: `link:${s.channel}`, selected_option: { text: { type: 'plain_text', text: option.text.text }, value: option.value }, action_ts: '1797000000.1' }],
  };
  expect((await post('interactions', interactionBody(pick))).status).toBe(200);
  expect((await t.admin('GET', `/api/v1/clients/${s.clientId}`)).json.slackConnectChannelIds).toEqual([s.channel]);
  const updated = fake.callsOf('chat.update').find((c) => c.args.channel === LEAD && c.args.ts === asks[0].result!.ts);
  expect(updated?.args.text).toContain(`Acme ${n}`);
  const { kase } = await clientOpens(s, 'Now we can write here?');
  expect(kase.channel).toBe('slack');
});

test('/link <client> in a shared channel links it; only managers may, and never a console channel', async () => {
  const s = await sharedClient({ link: false });
  const run = async (user: string, text: string, channel = s.channel) => {
    const res = await post('commands', slashCommand({ command: '/link', text, user_id: user, channel_id: channel, response_url: fake.responseUrl() }));
    expect(res.status).toBe(200);
    return JSON.parse(res.body).text as string;
  };
  expect(await run(OLEG.id, `Acme ${n}`)).toContain('not set up as a Switchboard manager');
  // A manager, but not one of this client's.
  expect((await t.admin('POST', '/api/v1/managers', { name: 'Zoe Other', slackUserId: 'UZOE', timeZone: 'Europe/Moscow' })).status).toBe(201);
  expect(await run('UZOE', `Acme ${n}`)).toContain(`Only the managers of Acme ${n}`);
  expect((await t.admin('GET', `/api/v1/clients/${s.clientId}`)).json.slackConnectChannelIds).toEqual([]);
  expect(await run(MARIA.id, 'Nobody Inc')).toContain('No client matches');
  expect(await run(MARIA.id, `Acme ${n}`)).toContain(`linked to *Acme ${n}*`);
  expect((await t.admin('GET', `/api/v1/clients/${s.clientId}`)).json.slackConnectChannelIds).toEqual([s.channel]);

  const other = await sharedClient({ link: false });
  await t.admin('PATCH', `/api/v1/clients/${other.clientId}`, { slackChannelId: 'C0CONSOLEX' });
  expect(await run(MARIA.id, `Acme ${n}`, 'C0CONSOLEX')).toContain('console channel');
});

test("the console's private channels are never taken for a client's shared channel, even when linked as one", async () => {
  const s = await sharedClient();
  const { kase } = await clientOpens(s, 'First question');
  const thread = consoleThread(kase.number);
  // The links API refuses a console channel, the client's own or another's, as the slackConnectChannelId field does…
  const refused = await t.admin('POST', `/api/v1/clients/${s.clientId}/links`, { channel: 'slack', key: thread.channel });
  expect(refused.status).toBe(400);
  expect(refused.json.error).toContain('is a console channel');
  const other = await sharedClient({ link: false });
  expect((await t.admin('POST', `/api/v1/clients/${other.clientId}/links`, { channel: 'slack', key: thread.channel })).status).toBe(400);
  // …and a link made before that rule (written straight into the table) still never opens cases there.
  await t.db.db.insert(schema.clientLinks).values({ channel: 'slack', key: thread.channel, clientId: s.clientId });
  await deliver(personMessage(s.person, { channel: thread.channel, text: 'Top-level in the console channel', external: true }), { shared: false });
  await t.drain();
  expect(await casesOf(s.clientId)).toHaveLength(1);
  expect(postsIn(thread.channel, (c) => String(c.args.text).startsWith('We received your request'))).toEqual([]);
});

// ---- outbound faults: rate limits and channels that are gone -----------------------------------------------------

test("a 429 waits its Retry-After in the outbox; a channel that is gone fails at once and is reported to the manager", async () => {
  const s = await sharedClient();
  fake.script('chat.postMessage', { status: 429, headers: { 'retry-after': '30' }, body: { ok: false, error: 'ratelimited' }, when: (a) => a.channel === s.channel });
  const event = personMessage(s.person, { channel: s.channel, text: 'Is the API slow for you too?', external: true });
  await deliver(event);
  await t.drain();
  const tried = () => fake.callsOf('chat.postMessage').filter((c) => c.args.channel === s.channel);
  expect(tried().map((c) => !!c.result)).toEqual([false]);
  t.clock.advance(25_000);
  await t.drain();
  expect(tried()).toHaveLength(1); // not before Slack said
  t.clock.advance(10_000);
  await t.drain();
  expect(tried().map((c) => !!c.result)).toEqual([false, true]);

  const [c] = await casesOf(s.clientId);
  fake.script('chat.postMessage', { body: { ok: false, error: 'channel_not_found' }, when: (a) => a.channel === s.channel });
  expect((await t.admin('POST', `/api/v1/cases/${c.number}/reply`, { text: 'We are on it.', managerId: maria })).status).toBe(200);
  await t.drain();
  expect(tried()).toHaveLength(3); // one attempt: no retry can fix it
  const thread = consoleThread(c.number);
  const alert = postsIn(thread.channel, (x) => x.args.thread_ts === thread.ts && String(x.args.text).includes('failed'));
  expect(alert).toHaveLength(1);
  expect(alert[0].args.text).toContain('channel_not_found');
});

// ---- verification ---------------------------------------------------------------------------------------------

test('forged and stale signatures are 401 and store nothing', async () => {
  const s = await sharedClient();
  const raw = JSON.stringify(envelope(personMessage(s.person, { channel: s.channel, text: 'Forged!', external: true }), { at: t.clock.now() }));
  expect((await post('events', raw, { secret: 'not-the-signing-secret-0123456789' })).status).toBe(401);
  expect((await post('events', raw, { at: new Date(t.clock.now().getTime() - 6 * 60_000) })).status).toBe(401);
  const press = interactionBody(blockActions(s.person, { channel: s.channel, message: { ts: nextTs(), text: 'x' }, value: '/urgency critical', responseUrl: fake.responseUrl() }));
  expect((await post('interactions', press, { secret: 'not-the-signing-secret-0123456789' })).status).toBe(401);
  await t.drain();
  expect(await casesOf(s.clientId)).toEqual([]);
  expect(postsIn(s.channel)).toEqual([]);
});
