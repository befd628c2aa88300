// Which client a Telegram chat belongs to: a link code the manager sends as a deep link (redeemed by /start <code>),
// the unknown-account rule for chats nobody linked, and a manager answering from the Slack case thread.
import { eq } from 'drizzle-orm';
import * as s from '../../src/db/schema';
import { FakeSlack } from '../../test/support/fake-slack';
import { slackHeaders } from '../../test/support/slack-signing';
import { SLACK_SIGNING_SECRET, startTestService, type TestService } from '../../test/support/service';
import { chatScope } from './address';
import { messageUpdate, textMessage, type TgUserShape } from './fixtures';
import telegramHarness, { decodeSend, type TelegramHarness } from './harness';

let t: TestService;
let h: TelegramHarness;
let slack: FakeSlack;
let managerId: string;

beforeAll(async () => {
  h = telegramHarness();
  slack = await new FakeSlack().start();
  t = await startTestService({ env: await h.prepare(), slack: { apiUrl: slack.url, leadChannel: 'CLEAD' } });
  await h.start(t);
  managerId = (await t.admin('POST', '/api/v1/managers', { name: 'Maria Petrova', timeZone: 'Europe/Moscow', slackUserId: 'UMARIA', isDefault: true })).json.id;
});
afterAll(async () => {
  await t.close();
  await h.stop();
  await slack.stop();
});

let userSeq = 0;
const person = (first: string): TgUserShape => ({ id: 5_000_000_000 + ++userSeq, is_bot: false, first_name: first });
const say = (from: TgUserShape, text: string, chat?: Record<string, unknown>) => h.deliver(messageUpdate(textMessage(from, text, chat ? { chat } : {})));
const lastTo = (chatId: number) => decodeSend(h.fake.sentTo(chatId).slice(-1)[0]);
const casesOf = async (clientId: string) => (await t.admin('GET', `/api/v1/cases?clientId=${clientId}`)).json.cases as { number: number }[];

test('a link code sent as a deep link ties the chat that opens it to the client; the code works in that chat only', async () => {
  const client = (await t.admin('POST', '/api/v1/clients', { name: 'Globex Corp', tier: 'premium', managerId })).json;
  const code = await t.admin('POST', `/api/v1/clients/${client.id}/link-codes`, {});
  expect(code.status).toBe(201);
  expect(code.json.links.telegram).toBe(`https://t.me/switchboard_test_bot?start=${code.json.code}`);

  // The client opens the link: Telegram sends "/start <code>" from their private chat.
  const hank = person('Hank');
  expect((await say(hank, `/start ${code.json.code}`)).status).toBe(200);
  await t.drain();
  expect(lastTo(hank.id).text).toMatch(/^This chat is now connected to Globex Corp's support\./);
  expect((await t.admin('GET', `/api/v1/clients/${client.id}/links`)).json.links).toEqual([
    expect.objectContaining({ channel: 'telegram', key: chatScope(String(h.fake.botId), hank.id) }),
  ]);

  // Their next message is a case of Globex (premium, its manager), not a new unknown client.
  const opened = await say(hank, 'Our postbacks stopped arriving');
  expect(opened.json).toMatchObject({ status: 'stored' });
  expect((await casesOf(client.id)).map((c) => c.number)).toEqual([opened.json.case.number]);

  // The same code from another chat is refused, and that chat stays unlinked.
  const mallory = person('Mallory');
  await say(mallory, `/start ${code.json.code}`);
  await t.drain();
  expect(lastTo(mallory.id).text).toMatch(/^That link is not valid any more/);
  expect((await t.admin('GET', `/api/v1/clients/${client.id}/links`)).json.links).toHaveLength(1);
});

test('a group nobody linked becomes a standard-tier client of the default manager; its other members join that client', async () => {
  const group = { id: -4_000_000_000 - userSeq, title: 'Initech support', type: 'group' };
  const [ann, bob] = [person('Ann'), person('Bob')];
  const first = await say(ann, '@switchboard_test_bot the export is empty', group);
  expect(first.json.status).toBe('stored');
  const kase = (await t.admin('GET', `/api/v1/cases/${first.json.case.number}`)).json;
  const client = (await t.admin('GET', `/api/v1/clients/${kase.clientId}`)).json;
  expect(client).toMatchObject({ name: 'Initech support', tier: 'standard', managerId });
  const second = await say(bob, '@switchboard_test_bot same here', group);
  expect(second.json).toMatchObject({ status: 'stored', case: { number: first.json.case.number } });
});

test('the manager answers in the Slack case thread and the client reads it in Telegram, under the manager\'s name', async () => {
  const client = (await t.admin('POST', '/api/v1/clients', { name: 'Umbrella plc', tier: 'premium', managerId })).json;
  const zoe = person('Zoe');
  await t.admin('POST', `/api/v1/clients/${client.id}/links`, { channel: 'telegram', key: chatScope(String(h.fake.botId), zoe.id) });
  const opened = await say(zoe, 'Is the API down for you too?');
  await t.drain();
  // The case's thread in the client's Slack channel, as the console recorded it.
  const [row] = await t.db.db.select({ channel: s.cases.slackChannelId, ts: s.cases.slackThreadTs }).from(s.cases).where(eq(s.cases.number, opened.json.case.number));
  expect(row.channel && row.ts).toBeTruthy();
  const body = JSON.stringify({
    token: 'x', team_id: 'T1', api_app_id: 'A1', type: 'event_callback', event_id: 'EvTgReply1', event_time: Math.floor(t.clock.now().getTime() / 1000),
    event: { type: 'message', channel: row.channel, channel_type: 'group', user: 'UMARIA', text: 'Looking at it now &lt;3', ts: '1790000999.000100', thread_ts: row.ts },
  });
  const res = await t.app.inject({ method: 'POST', url: '/webhooks/slack/events', payload: body, headers: { 'content-type': 'application/json', ...slackHeaders(SLACK_SIGNING_SECRET, body, t.clock.now()) } });
  expect(res.statusCode).toBe(200);
  await t.drain();
  expect(lastTo(zoe.id)).toMatchObject({ author: 'Maria Petrova', text: 'Looking at it now <3' });
});
