// Outbound through telegraf against the fake Bot API: what the client's chat receives, and how each of Telegram's
// refusals reaches the outbox (retry, retry after, or fail and tell the manager).
import { FakeTelegram, refusals } from '../../test/support/fake-telegram';
import { DeliveryError, type Logger, type OutboundMessage } from '../../src/core/ports';
import type { ConversationMove, TelegramAddress } from './address';
import { createBot } from './bot';
import { telegramSchema } from './config';
import { Pacer, TELEGRAM_LIMITS } from './pace';
import { createSend } from './send';

const quiet: Logger = { debug() {}, info() {}, warn() {}, error() {} };
let fake: FakeTelegram;
let moves: ConversationMove[];
let send: ReturnType<typeof createSend>;
let pacer: Pacer;

const ANN: TelegramAddress = { botId: '7000000001', chatId: 511223344, chatType: 'private' };
const TOPIC: TelegramAddress = { botId: '7000000001', chatId: -1001987654321, chatType: 'supergroup', threadId: 1190 };
const opts = (key = 'outbox-1') => ({ idempotencyKey: key, signal: AbortSignal.timeout(5000) });
const reply = (over: Partial<OutboundMessage> = {}): OutboundMessage => ({ kind: 'reply', text: 'Fixed, please check.', author: { name: 'Maria Petrova' }, ...over });

async function failure(p: Promise<unknown>): Promise<DeliveryError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(DeliveryError);
    return e as DeliveryError;
  }
  throw new Error('expected the send to fail');
}

beforeAll(async () => {
  fake = await new FakeTelegram().start();
});
afterAll(() => fake.stop());
beforeEach(() => {
  fake.reset();
  moves = [];
  const cfg = telegramSchema.parse({ TELEGRAM_BOT_TOKEN: fake.token, TELEGRAM_WEBHOOK_SECRET: 'secret-0123456789abcdef', TELEGRAM_API_ROOT: fake.url });
  const { api } = createBot(cfg, quiet);
  // Generous limits here: pacing has its own tests; these are about what Telegram gets and answers.
  pacer = new Pacer({ ...TELEGRAM_LIMITS, chat: { burst: 100, perSecond: 100 } });
  send = createSend({ api, botId: cfg.botId, pacer, log: quiet, onMove: async (m) => void moves.push(m) });
});

test('a reply reaches the chat in HTML with the manager name on top, quoting the client message it answers', async () => {
  const res = await send(ANN, reply({ text: 'Use <b> & </b>', replyTo: { scope: '7000000001:511223344', externalId: '17' } }), opts());
  const [call] = fake.callsOf('sendMessage');
  expect(call.args).toEqual({
    chat_id: 511223344, text: '<b>Maria Petrova</b>\nUse &lt;b&gt; &amp; &lt;/b&gt;', parse_mode: 'HTML',
    reply_parameters: { message_id: 17, allow_sending_without_reply: true },
  });
  expect(call.result.text).toBe('Maria Petrova\nUse <b> & </b>');
  expect(res).toEqual({ externalIds: [String(call.result.message_id)], scope: '7000000001:511223344' });
});

test('into a forum topic every send names the topic; a quote from another chat is not attempted', async () => {
  await send(TOPIC, reply({ replyTo: { scope: '7000000001:511223344', externalId: '17' } }), opts());
  const [call] = fake.callsOf('sendMessage');
  expect(call.args.message_thread_id).toBe(1190);
  expect(call.args.reply_parameters).toBeUndefined();
});

test('the acknowledgement carries the urgency choices as an inline keyboard', async () => {
  await send(ANN, { kind: 'ack', text: 'We received your request: case #1001.', choices: [{ label: 'Set urgency: high', value: '/urgency high' }] }, opts());
  expect(fake.callsOf('sendMessage')[0].args.reply_markup).toEqual({ inline_keyboard: [[{ text: 'Set urgency: high', callback_data: '/urgency high' }]] });
});

test('a later part of a message core split follows without a name line and without a second notification', async () => {
  await send(ANN, reply({ text: 'part two' }), opts('outbox-7-1'));
  expect(fake.callsOf('sendMessage')[0].args).toMatchObject({ text: 'part two', disable_notification: true });
});

test('429: retried through the outbox after retry_after, and nothing more goes to that chat until then', async () => {
  fake.script('sendMessage', refusals.tooManyRequests(7));
  const err = await failure(send(ANN, reply(), opts()));
  expect(err).toMatchObject({ retryable: true, retryAfterMs: 7000 });
  const held = await failure(send(ANN, reply(), opts()));
  expect(held.retryable).toBe(true);
  expect(held.retryAfterMs).toBeGreaterThan(6000);
  expect(fake.callsOf('sendMessage')).toHaveLength(1);
  // Other chats are not held up.
  await send(TOPIC, reply(), opts());
  expect(fake.callsOf('sendMessage')).toHaveLength(2);
});

test.each([
  ['the client blocked the bot', refusals.blocked(), /the client blocked the bot.*403 Forbidden: bot was blocked by the user/],
  ['the chat is gone', refusals.chatNotFound(), /the chat does not exist.*400 Bad Request: chat not found/],
  ['the bot was removed from the group', refusals.kicked(), /removed from the group/],
])('a permanent refusal (%s) fails at once with a reason the manager can act on', async (_what, answer, message) => {
  fake.script('sendMessage', answer);
  const err = await failure(send(ANN, reply(), opts()));
  expect(err.retryable).toBe(false);
  expect(err.message).toMatch(message);
});

test('an outage (5xx), a revoked token (401) and an unreachable API are retried; the token never shows', async () => {
  fake.script('sendMessage', refusals.serverError(502), refusals.unauthorized());
  expect(await failure(send(ANN, reply(), opts()))).toMatchObject({ retryable: true, message: expect.stringMatching(/unavailable \(502/) });
  expect(await failure(send(ANN, reply(), opts()))).toMatchObject({ retryable: true, message: expect.stringMatching(/check TELEGRAM_BOT_TOKEN/) });

  const down = new FakeTelegram();
  await down.start();
  await down.stop();
  const cfg = telegramSchema.parse({ TELEGRAM_BOT_TOKEN: fake.token, TELEGRAM_WEBHOOK_SECRET: 'secret-0123456789abcdef', TELEGRAM_API_ROOT: down.url });
  const offline = createSend({ api: createBot(cfg, quiet).api, botId: cfg.botId, pacer, log: quiet, onMove: async () => undefined });
  const err = await failure(offline(ANN, reply(), opts()));
  expect(err.retryable).toBe(true);
  expect(err.message).toMatch(/unreachable/);
  expect(err.message).not.toContain(fake.token.split(':')[1]);
});

test('a group that became a supergroup: the send follows it there and core is told to move the conversation', async () => {
  const group: TelegramAddress = { botId: '7000000001', chatId: -4012345678, chatType: 'group' };
  fake.script('sendMessage', refusals.migrated(-1001555000111));
  const res = await send(group, reply({ replyTo: { scope: '7000000001:-4012345678', externalId: '305' } }), opts());
  const calls = fake.callsOf('sendMessage');
  expect(calls.map((c) => c.args.chat_id)).toEqual([-4012345678, -1001555000111]);
  expect(calls[1].args.reply_parameters).toBeUndefined();
  expect(res.scope).toBe('7000000001:-1001555000111');
  expect(moves).toEqual([{
    from: { conversationKey: 'telegram:7000000001:-4012345678', linkKey: '7000000001:-4012345678' },
    to: { conversationKey: 'telegram:7000000001:-1001555000111', linkKey: '7000000001:-1001555000111', address: { botId: '7000000001', chatId: -1001555000111, chatType: 'supergroup' } },
  }]);
});

test('a conversation of another bot (the token was changed) fails permanently without calling Telegram', async () => {
  const err = await failure(send({ ...ANN, botId: '999' }, reply(), opts()));
  expect(err.retryable).toBe(false);
  expect(err.message).toMatch(/bot 999/);
  expect(fake.calls).toHaveLength(0);
});
