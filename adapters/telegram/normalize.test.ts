// Documented update payloads → what core hears. Each case is something a client or manager would notice: a
// message that lands in the wrong conversation, a command answered for another bot, a bot's alert opening a case.
import { fixture, type FixtureName } from './fixtures';
import { normalize, type Normalized } from './normalize';
import { parseUpdate, InvalidUpdate } from './update';
import { FileLinks } from './files';

const BOT = { id: '7000000001', username: 'switchboard_test_bot' };
const links = new FileLinks('webhook-secret-0123456789', 'https://sb.example');
const now = new Date('2026-11-23T08:00:00Z');
const run = (name: FixtureName | object): Normalized =>
  normalize(parseUpdate(typeof name === 'string' ? fixture(name) : name), { bot: BOT, now, fileLink: (r) => links.attachment(r) });
const env = (name: FixtureName | object) => {
  const n = run(name);
  if (n.kind !== 'envelope') throw new Error(`expected an envelope, got ${n.kind}: ${'reason' in n ? n.reason : ''}`);
  return n.envelope;
};

test('a private text message: one conversation per chat, ids scoped by bot and chat, the chat is the link key', () => {
  expect(env('private-text')).toEqual({
    channel: 'telegram',
    account: '7000000001:511223344',
    deliveryId: '910000001',
    deliveryScope: '7000000001',
    conversationKey: 'telegram:7000000001:511223344',
    address: { botId: '7000000001', chatId: 511223344, chatType: 'private' },
    sender: { externalId: '511223344', name: 'Ann Client', isSelf: false, isAutomated: false },
    accountName: 'Ann Client',
    linkKeys: ['7000000001:511223344'],
    platformMessageIds: [{ scope: '7000000001:511223344', externalId: '17' }],
    text: 'Tracking is down, all conversions lost since 9:00!',
    attachments: [],
    receivedAt: now,
  });
});

test('a group message that mentions the bot: the group is the conversation, the mention is not part of the text', () => {
  const e = env('group-mention');
  expect(e).toMatchObject({
    conversationKey: 'telegram:7000000001:-4012345678',
    account: '7000000001:-4012345678',
    accountName: 'Acme support',
    address: { chatId: -4012345678, chatType: 'group' },
    sender: { externalId: '522334455', name: 'Bob', isAutomated: false },
    text: 'our postbacks stopped arriving',
    linkKeys: ['7000000001:-4012345678'],
  });
});

test('a forum topic is a conversation of its own, and replies go back into the topic', () => {
  const e = env('forum-topic');
  expect(e.conversationKey).toBe('telegram:7000000001:-1001987654321:1190');
  expect(e.address).toEqual({ botId: '7000000001', chatId: -1001987654321, chatType: 'supergroup', threadId: 1190 });
  // The link ties the whole group to the client, whichever topic a member writes in.
  expect(e.linkKeys).toEqual(['7000000001:-1001987654321']);
});

test('a reply chain in a plain supergroup (message_thread_id without a topic) stays in the group conversation', () => {
  const u = fixture('forum-topic');
  delete u.message.is_topic_message;
  delete u.message.chat.is_forum;
  expect(env(u).conversationKey).toBe('telegram:7000000001:-1001987654321');
});

test('an edited message is a change to the stored one, found by its chat and message id', () => {
  const e = env('edited-message');
  expect(e.change).toEqual({ kind: 'edit', target: { scope: '7000000001:511223344', externalId: '17' } });
  expect(e.text).toBe('Tracking is down, all conversions lost since 8:30!');
  expect(e.deliveryId).toBe('910000004');
  // The message's own id belongs to the original; the edit is deduped by its update id.
  expect(e.platformMessageIds).toEqual([]);
});

test('a button press is the command it carries, from the person who pressed, in the chat of the message', () => {
  const n = run('callback-query');
  expect(n).toMatchObject({
    kind: 'envelope',
    envelope: {
      text: '/urgency high',
      conversationKey: 'telegram:7000000001:511223344',
      sender: { externalId: '511223344' },
      platformMessageIds: [],
    },
    press: { callbackQueryId: '4382bfdwdsb323b2d9', chatId: 511223344, messageId: 18 },
  });
});

test('a press without a command (not one of our buttons) is ignored but still answered', () => {
  const u = fixture('callback-query');
  u.callback_query.data = 'something else';
  expect(run(u)).toEqual({ kind: 'ignored', reason: 'button press without a command', press: { callbackQueryId: '4382bfdwdsb323b2d9', chatId: 511223344, messageId: 18 } });
});

test('a photo with a caption: the caption is the text, the largest size is the attachment, behind a signed link of ours', () => {
  const e = env('photo-caption');
  expect(e.text).toBe('Error on the postback settings page');
  expect(e.attachments).toHaveLength(1);
  const [a] = e.attachments;
  expect(a).toMatchObject({ name: 'photo-AQADlarge.jpg', mimeType: 'image/jpeg', size: 81244 });
  const url = new URL(a.url);
  expect(url.origin + url.pathname).toBe('https://sb.example/files/telegram/AgACAgIAAxkBAAIBNmVlarge');
  expect(links.verify('AgACAgIAAxkBAAIBNmVlarge', url.searchParams.get('sig'))).toBe(true);
});

test('a document, a voice note and a video come in as references with name, size and type', () => {
  expect(env('document')).toMatchObject({ text: '', attachments: [{ name: 'export-2026-11.csv', mimeType: 'text/csv', size: 48211 }] });
  expect(env('voice').attachments).toMatchObject([{ name: 'voice-AgADvoice.ogg', mimeType: 'audio/ogg', size: 24910 }]);
  expect(env('video')).toMatchObject({ text: 'screen recording', attachments: [{ name: 'recording.mp4', mimeType: 'video/mp4', size: 3411200 }] });
});

test('a message from another bot is reported as automated (core stores it and never answers)', () => {
  expect(env('from-bot').sender).toEqual({ externalId: '6123456789', name: 'Alerts', isSelf: false, isAutomated: true });
});

test('an anonymous group admin is a person (Telegram shows them as a bot), named by their signature', () => {
  expect(env('anonymous-admin').sender).toEqual({ externalId: 'chat:-1001555000111', name: 'Head of support', isSelf: false, isAutomated: false });
});

test('a group that became a supergroup moves its conversation and link, whichever of the two service messages comes', () => {
  const expected = {
    kind: 'move',
    move: {
      from: { conversationKey: 'telegram:7000000001:-4012345678', linkKey: '7000000001:-4012345678' },
      to: {
        conversationKey: 'telegram:7000000001:-1001555000111', linkKey: '7000000001:-1001555000111',
        address: { botId: '7000000001', chatId: -1001555000111, chatType: 'supergroup' },
      },
    },
  };
  expect(run('migrate-to')).toEqual(expected);
  expect(run('migrate-from')).toEqual(expected);
});

test('commands: /cmd@ourbot is ours with the addressee stripped; /cmd@otherbot is not ours at all', () => {
  expect(env('command-ours').text).toBe('/urgency critical');
  expect(run('command-other-bot')).toEqual({ kind: 'ignored', reason: 'command for another bot', press: undefined });
  // The bot's username is case-insensitive.
  const u = fixture('command-ours');
  u.message.text = u.message.text.replace('switchboard_test_bot', 'Switchboard_Test_Bot');
  expect(env(u).text).toBe('/urgency critical');
});

test('/start <code> from a deep link passes through as the client command that links the chat', () => {
  expect(env('start-code').text).toBe('/start lnk_8Hq2ZpXw');
});

test('a #urgency hashtag is the client choosing an urgency; other hashtags are just text', () => {
  expect(env('hashtag-urgency').urgency).toBe('low');
  const u = fixture('hashtag-urgency');
  u.message.text = 'Something small #lowpriority';
  u.message.entities = [{ offset: 16, length: 12, type: 'hashtag' }];
  expect(env(u).urgency).toBeUndefined();
});

test('entity offsets are UTF-16: a mention after an emoji is still found', () => {
  const text = '🔥 help please @switchboard_test_bot';
  const u = fixture('group-mention');
  u.message.text = text;
  u.message.entities = [{ offset: text.indexOf('@'), length: 21, type: 'mention' }];
  expect(env(u).text).toBe('🔥 help please');
});

test('service messages and content we do not relay produce nothing; a sticker tells the manager something came', () => {
  const joined = fixture('private-text');
  delete joined.message.text;
  joined.message.chat = fixture('group-mention').message.chat;
  joined.message.new_chat_members = [{ id: 7000000001, is_bot: true, first_name: 'Switchboard', username: 'switchboard_test_bot' }];
  expect(run(joined)).toMatchObject({ kind: 'ignored' });

  const sticker = fixture('private-text');
  delete sticker.message.text;
  sticker.message.sticker = { file_id: 'CAACAgIAAx', file_unique_id: 'AgADst', type: 'regular', width: 512, height: 512, is_animated: false, is_video: false, emoji: '👍' };
  expect(env(sticker)).toMatchObject({ text: '[sticker 👍]', attachments: [] });
});

test('a body that is not an update is refused with the field named', () => {
  expect(() => parseUpdate({ message: { text: 'hi' } })).toThrow(InvalidUpdate);
  expect(() => parseUpdate({ update_id: 1, message: { message_id: 1, date: 1, chat: { id: 1, type: 'private' }, text: 5 } })).toThrow(/message\.text/);
});
