// The Telegram channel through the running service (real database, real HTTP app via inject, outbox drained on
// demand) against the fake Bot API: what a client in a chat and a manager on the case would notice.
import { startTestService, type TestService } from '../../test/support/service';
import { refusals } from '../../test/support/fake-telegram';
import { chatScope } from './address';
import { editUpdate, messageUpdate, textMessage, updateId } from './fixtures';
import telegramHarness, { decodeSend, HARNESS_SECRET, type TelegramHarness } from './harness';
import type { TelegramInstance } from './index';

let t: TestService;
let h: TelegramHarness;
let managerId: string;
let clientId: string;
const BOT = '7000000001';

beforeAll(async () => {
  h = telegramHarness();
  t = await startTestService({ env: await h.prepare() });
  await h.start(t);
  managerId = (await t.admin('POST', '/api/v1/managers', { name: 'Maria Petrova', timeZone: 'Europe/Moscow' })).json.id;
  clientId = (await t.admin('POST', '/api/v1/clients', { name: 'Acme Ltd', tier: 'premium', managerId })).json.id;
  await h.link(t, clientId);
});
afterAll(async () => {
  await t.close();
  await h.stop();
});

const cases = async () => (await t.admin('GET', `/api/v1/cases?clientId=${clientId}`)).json.cases as { number: number; urgency: string; channel: string }[];
const getCase = async (n: number) => (await t.admin('GET', `/api/v1/cases/${n}`)).json;

test('start-up registered the webhook at PUBLIC_URL with its secret, and the command menu', () => {
  expect(h.fake.webhook).toEqual({ url: 'https://switchboard.test/webhooks/telegram', secret_token: HARNESS_SECRET, allowed_updates: ['message', 'edited_message', 'callback_query'] });
  expect(h.fake.callsOf('setMyCommands')).toHaveLength(1);
});

test('a forged secret token is 401 and nothing is stored', async () => {
  const before = await cases();
  const res = await h.deliver(messageUpdate(textMessage(h.user, 'forged: please wire money')), { secret: 'not-the-secret-0123456789' });
  expect(res.status).toBe(401);
  await t.drain();
  expect(await cases()).toEqual(before);
  expect(h.fake.sentTo(h.chatId)).toEqual([]);
});

describe('one case in a private chat', () => {
  let number: number;
  let firstMessageId: unknown;

  test('a message opens a case with exactly one acknowledgement carrying the urgency keyboard, also when Telegram redelivers it', async () => {
    const update = messageUpdate(textMessage(h.user, 'The dashboard shows yesterday numbers twice'));
    firstMessageId = update.message.message_id;
    expect((await h.deliver(update)).outcome).toBe('stored');
    expect((await h.redeliverLast()).outcome).toBe('duplicate');
    await t.drain();
    // Redelivered once more after the acknowledgement went out: still nothing new.
    expect((await h.deliver(update)).outcome).toBe('duplicate');
    await t.drain();

    const [kase] = await cases();
    number = kase.number;
    expect(kase.channel).toBe('telegram');
    const sent = h.fake.sentTo(h.chatId);
    expect(sent).toHaveLength(1);
    const ack = decodeSend(sent[0]);
    expect(ack.text).toMatch(new RegExp(`^We received your request: case #${number}\\. Urgency: ${kase.urgency}\\.`));
    expect(ack.choices).toHaveLength(5);
    expect(ack.choices).toContain('/urgency critical');
    // The acknowledgement quotes the message it acknowledges.
    expect(sent[0].args.reply_parameters).toEqual({ message_id: firstMessageId, allow_sending_without_reply: true });
  });

  test('a button press sets the urgency, answers the callback and takes the keyboard off', async () => {
    const ack = h.fake.sentTo(h.chatId)[0];
    expect((await h.choose('/urgency critical')).status).toBe(200);
    expect((await getCase(number)).urgency).toBe('critical');
    await (t.channelInstances.find((c) => c.name === 'telegram')!.instance as TelegramInstance).idle();
    expect(h.fake.callsOf('answerCallbackQuery')).toHaveLength(1);
    expect(h.fake.message(h.chatId, ack.result.message_id).reply_markup).toBeUndefined();
    await t.drain();
    expect(h.received().at(-1)).toEqual({ author: null, text: expect.stringMatching(new RegExp(`^Case #${number} is now critical\\.`)), choices: [] });
  });

  test('the manager’s reply reaches the chat with the manager’s name, quoting the client’s message, escaped', async () => {
    const res = await t.admin('POST', `/api/v1/cases/${number}/reply`, { managerId, text: 'Fixed: the <date> filter & timezone were off.' });
    expect(res.status).toBe(200);
    await t.drain();
    const last = h.fake.sentTo(h.chatId).at(-1)!;
    expect(last.args.parse_mode).toBe('HTML');
    expect(decodeSend(last)).toMatchObject({ author: 'Maria Petrova', text: 'Fixed: the <date> filter & timezone were off.' });
    expect(last.args.reply_parameters?.message_id).toBe(firstMessageId);
  });

  test('an edited message updates the stored text, and the manager is told', async () => {
    const original = messageUpdate(textMessage(h.user, 'One more thing: export is slow'));
    await h.deliver(original);
    expect((await h.deliver(editUpdate(original.message, 'One more thing: export is very slow since Friday'))).outcome).toBe('changed');
    const texts = (await getCase(number)).messages.map((m: { text: string }) => m.text);
    expect(texts).toContain('One more thing: export is very slow since Friday');
    expect(texts).not.toContain('One more thing: export is slow');
    await t.drain();
    expect(t.notices.filter((n) => n.type === 'message_edited' && n.caseNumber === number)).toHaveLength(1);
  });

  test('a long reply arrives in parts that each fit, the name on the first, and reads back whole', async () => {
    const text = Array.from({ length: 6 }, (_, i) => `Step ${i + 1}. ${'Check the postback URL and the click id macro. '.repeat(25)}`.trim()).join('\n\n');
    const before = h.fake.sentTo(h.chatId).length;
    await t.admin('POST', `/api/v1/cases/${number}/reply`, { managerId, text });
    await t.drain();
    const parts = h.fake.sentTo(h.chatId).slice(before);
    expect(parts.length).toBeGreaterThan(1);
    expect(parts.map((p) => decodeSend(p).author)).toEqual(['Maria Petrova', ...parts.slice(1).map(() => null)]);
    expect(h.received().at(-1)).toEqual({ author: 'Maria Petrova', text: expect.stringContaining('Step 6.'), choices: [] });
    expect(h.received().at(-1)!.text.replace(/\s+/g, ' ')).toBe(text.replace(/\s+/g, ' '));
  });
});

test('a message from a bot in a group is stored on the open case and never answered', async () => {
  const group = { id: -4000000000 - Math.floor(Math.random() * 1e6), title: 'Acme support', type: 'group' };
  await t.admin('POST', `/api/v1/clients/${clientId}/links`, { channel: 'telegram', key: chatScope(BOT, group.id) });
  const bob = { id: 522334455, is_bot: false, first_name: 'Bob' };
  const opened = await h.deliver(messageUpdate(textMessage(bob, 'Postbacks are late today', { chat: group })));
  await t.drain();
  const alerts = { id: 6123456789, is_bot: true, first_name: 'Alerts', username: 'acme_alerts_bot' };
  expect((await h.deliver(messageUpdate(textMessage(alerts, 'ALERT: conversion rate dropped 80%', { chat: group })))).outcome).toBe('stored');
  await t.drain();
  // Only the acknowledgement of Bob's message went to the group.
  expect(h.fake.sentTo(group.id)).toHaveLength(1);
  const texts = (await getCase(opened.json.case.number)).messages.map((m: { text: string }) => m.text);
  expect(texts).toEqual(expect.arrayContaining(['Postbacks are late today', 'ALERT: conversion rate dropped 80%']));
});

test('a forum topic is its own case, and every answer goes back into that topic', async () => {
  const forum = { id: -1001000000000 - Math.floor(Math.random() * 1e6), title: 'Acme Ltd — support', is_forum: true, type: 'supergroup' };
  await t.admin('POST', `/api/v1/clients/${clientId}/links`, { channel: 'telegram', key: chatScope(BOT, forum.id) });
  const ann = { id: 511223344, is_bot: false, first_name: 'Ann' };
  await h.deliver(messageUpdate(textMessage(ann, 'Billing: invoice shows the wrong month', { chat: forum, threadId: 77 })));
  await h.deliver(messageUpdate(textMessage(ann, 'Tracking: pixel fires twice', { chat: forum, threadId: 78 })));
  await t.drain();
  // Two conversations: the outbox may send them in either order.
  const sent = h.fake.sentTo(forum.id).sort((a, b) => a.args.message_thread_id - b.args.message_thread_id);
  expect(sent.map((c) => c.args.message_thread_id)).toEqual([77, 78]);
  const numbers = sent.map((c) => Number(/case #(\d+)/.exec(decodeSend(c).text)![1]));
  expect(new Set(numbers).size).toBe(2);
});

test('a photo with a caption reaches the case as a link that serves the file from Telegram when opened', async () => {
  const photo = { file_id: `AgACAgIAAxk${updateId()}`, file_unique_id: 'AQADlarge', file_size: 3, width: 1280, height: 720 };
  h.fake.addFile(photo.file_id, Buffer.from([0xff, 0xd8, 0xff]), { path: 'photos/file_9.jpg' });
  const msg = { ...textMessage(h.user, ''), text: undefined, caption: 'Error on the postback settings page', photo: [{ ...photo, file_id: 'small', width: 90, height: 51 }, photo] };
  expect((await h.deliver(messageUpdate(msg))).outcome).toBe('stored');
  const [open] = (await cases()).filter((c) => c.channel === 'telegram');
  const stored = (await getCase(open.number)).messages.find((m: { text: string }) => m.text === 'Error on the postback settings page');
  expect(stored.attachments).toEqual([expect.objectContaining({ name: 'photo-AQADlarge.jpg', mimeType: 'image/jpeg', size: 3 })]);
  const url = new URL(stored.attachments[0].url);
  expect(url.origin).toBe('https://switchboard.test');
  expect(h.fake.callsOf('getFile')).toHaveLength(0);
  const res = await t.app.inject({ method: 'GET', url: url.pathname + url.search });
  expect(res.statusCode).toBe(200);
  expect(res.rawPayload).toEqual(Buffer.from([0xff, 0xd8, 0xff]));
});

test('a group that became a supergroup keeps its case: replies go to the new chat, its messages land on the same case', async () => {
  const oldId = -4200000000 - Math.floor(Math.random() * 1e6);
  const newId = -1002000000000 - Math.floor(Math.random() * 1e6);
  const group = { id: oldId, title: 'Acme ops', type: 'group' };
  await t.admin('POST', `/api/v1/clients/${clientId}/links`, { channel: 'telegram', key: chatScope(BOT, oldId) });
  const bob = { id: 522334455, is_bot: false, first_name: 'Bob' };
  const first = await h.deliver(messageUpdate(textMessage(bob, 'Conversions are delayed by an hour', { chat: group })));
  const number = first.json.case.number;
  await t.drain();

  const upgrade = { message_id: 900, from: bob, chat: group, date: Math.floor(Date.now() / 1000), migrate_to_chat_id: newId };
  expect((await h.deliver({ update_id: updateId(), message: upgrade })).outcome).toBe('moved');
  await t.admin('POST', `/api/v1/cases/${number}/reply`, { managerId, text: 'Looking into the delay.' });
  await t.drain();
  expect(h.fake.sentTo(newId).map((c) => decodeSend(c).text)).toEqual(['Looking into the delay.']);

  const supergroup = { id: newId, title: 'Acme ops', type: 'supergroup' };
  const later = await h.deliver(messageUpdate(textMessage(bob, 'Still delayed', { chat: supergroup })));
  expect(later.json).toEqual({ status: 'stored', case: { number, opened: false, reopened: false } });
  const texts = (await getCase(number)).messages.map((m: { text: string }) => m.text);
  expect(texts).toEqual(expect.arrayContaining(['Conversions are delayed by an hour', 'Still delayed']));
});

test('a group member reaches the bot by mentioning it; /cmd@ourbot works, /cmd@otherbot is not ours', async () => {
  const group = { id: -4100000000 - Math.floor(Math.random() * 1e6), title: 'Acme team', type: 'group' };
  await t.admin('POST', `/api/v1/clients/${clientId}/links`, { channel: 'telegram', key: chatScope(BOT, group.id) });
  const bob = { id: 522334455, is_bot: false, first_name: 'Bob' };
  const mention = '@switchboard_test_bot';
  expect((await h.deliver(messageUpdate(textMessage(bob, `${mention} postbacks stopped arriving`, { chat: group, entities: [{ text: mention, type: 'mention' }] })))).outcome).toBe('stored');
  expect((await h.deliver(messageUpdate(textMessage(bob, '/status@other_bot', { chat: group })))).outcome).toBe('ignored');
  expect((await h.deliver(messageUpdate(textMessage(bob, '/status@switchboard_test_bot', { chat: group })))).outcome).toBe('command');
  await t.drain();
  const got = h.fake.sentTo(group.id).map((c) => decodeSend(c).text);
  expect(got).toHaveLength(2);
  expect(got[1]).toMatch(/^Your open cases:\n/);
  expect(got[1]).toMatch(/\n#\d+ — postbacks stopped arriving — medium, open/);
});

test('a blocked bot is a permanent failure reported to the manager on the case; a 429 is retried after retry_after', async () => {
  const [open] = (await cases()).filter((c) => c.channel === 'telegram');
  h.fake.script('sendMessage', refusals.blocked());
  await t.admin('POST', `/api/v1/cases/${open.number}/reply`, { managerId, text: 'Are you still there?' });
  await t.drain();
  const failed = t.notices.filter((n) => n.type === 'delivery_failed' && n.caseNumber === open.number);
  expect(failed).toHaveLength(1);
  expect(failed[0].text).toMatch(/the client blocked the bot/);

  h.fake.script('sendMessage', refusals.tooManyRequests(1));
  const before = h.fake.sentTo(h.chatId).length;
  await t.admin('POST', `/api/v1/cases/${open.number}/reply`, { managerId, text: 'Second try' });
  expect((await t.drain()).retried).toBe(1);
  // Telegram asked for a second: real time for its flood control, the service's clock for the outbox.
  await new Promise((r) => setTimeout(r, 1100));
  t.clock.advance(2000);
  await t.drain();
  expect(decodeSend(h.fake.sentTo(h.chatId).at(-1)!).text).toBe('Second try');
  expect(h.fake.sentTo(h.chatId)).toHaveLength(before + 1);
});

test('a body that is no update is 400; an update we cannot read is taken (so Telegram does not hold back the rest) and stores nothing', async () => {
  const before = await cases();
  const none = await h.deliver({ message: { message_id: 1, text: 'no update id' } });
  expect(none.status).toBe(400);
  expect(none.json.error).toMatch(/update_id/);
  const unreadable = await h.deliver({ update_id: updateId(), message: { message_id: 1, text: 'no chat' } });
  expect(unreadable.status).toBe(200);
  expect(unreadable.outcome).toBe('ignored');
  expect(t.log.text()).toMatch(/skipped an update we cannot read/);
  expect(await cases()).toEqual(before);
});
