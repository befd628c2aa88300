// The module on its own, in a fastify app like the service's, with core's intake recorded: the webhook's gate,
// what reaches core, the acknowledgement of a button press, start-up registration, and the deep link.
import Fastify, { type FastifyInstance } from 'fastify';
import { FakeTelegram, refusals } from '../../test/support/fake-telegram';
import { errorHandler } from '../../src/http/errors';
import { fixture } from './fixtures';
import { testDeps, type TestDeps } from './fixtures/deps';
import { BotInfo, createBot } from './bot';
import channel, { createTelegram, type TelegramInstance } from './index';
import { botSetup } from './setup';
import { SECRET_HEADER } from './verify';

const SECRET = 'tg-webhook-secret-0123456789';
let fake: FakeTelegram;
let env: Record<string, string>;

beforeAll(async () => {
  fake = await new FakeTelegram().start();
  env = { TELEGRAM_BOT_TOKEN: fake.token, TELEGRAM_WEBHOOK_SECRET: SECRET, TELEGRAM_API_ROOT: fake.url };
});
afterAll(() => fake.stop());
beforeEach(() => {
  fake.reset();
  fake.webhook = null;
});

async function serve(deps: TestDeps): Promise<{ app: FastifyInstance; tg: TelegramInstance }> {
  const tg = await createTelegram(deps);
  const app = Fastify({ logger: false });
  app.setErrorHandler(errorHandler(deps.log));
  await app.register(tg.routes!);
  await app.ready();
  return { app, tg };
}

const post = (app: FastifyInstance, body: unknown, secret: string | null = SECRET) =>
  app.inject({ method: 'POST', url: '/webhooks/telegram', payload: typeof body === 'string' ? body : JSON.stringify(body), headers: { 'content-type': 'application/json', ...(secret === null ? {} : { [SECRET_HEADER]: secret }) } });

test('the module declares its variables, so a partial set stops start-up naming what is missing', () => {
  expect(channel.name).toBe('telegram');
  expect(channel.env.required).toEqual(['TELEGRAM_BOT_TOKEN', 'TELEGRAM_WEBHOOK_SECRET']);
  expect(channel.env.optional).toContain('TELEGRAM_API_ROOT');
  const bad = channel.env.schema.safeParse({ TELEGRAM_BOT_TOKEN: 'not-a-token', TELEGRAM_WEBHOOK_SECRET: 'short' });
  expect(bad.success).toBe(false);
  expect(bad.error!.issues.map((i) => i.message).join('\n')).toMatch(/TELEGRAM_BOT_TOKEN[\s\S]*TELEGRAM_WEBHOOK_SECRET/);
});

test('a forged or missing secret token is 401 and nothing reaches core', async () => {
  const deps = testDeps(env);
  const { app } = await serve(deps);
  for (const secret of ['tg-webhook-secret-0123456788', null, '']) {
    const res = await post(app, fixture('private-text'), secret);
    expect(res.statusCode).toBe(401);
  }
  // Not even a malformed body is looked at before the secret.
  expect((await post(app, '{not json', 'wrong')).statusCode).toBe(401);
  expect(deps.envelopes).toEqual([]);
  expect(fake.calls).toEqual([]);
});

test('a verified update reaches core and the answer carries core’s outcome; a malformed body is 400', async () => {
  const deps = testDeps(env);
  const { app } = await serve(deps);
  const res = await post(app, fixture('private-text'));
  expect(res.statusCode).toBe(200);
  // No "method" field: Telegram must not read our answer as an API call.
  expect(res.json()).toEqual({ status: 'stored', case: { number: 1001, opened: true, reopened: false } });
  expect(deps.envelopes.map((e) => e.text)).toEqual(['Tracking is down, all conversions lost since 9:00!']);

  expect((await post(app, '{not json')).statusCode).toBe(400);
  const notUpdate = await post(app, { message: { text: 'hi' } });
  expect(notUpdate.statusCode).toBe(400);
  expect(notUpdate.json().error).toMatch(/update_id/);
  expect(deps.envelopes).toHaveLength(1);
});

test('when core cannot store the update (database down) Telegram gets a 503 and will deliver it again', async () => {
  const down = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
  const deps = testDeps(env, { ingest: async () => { throw down; } });
  const { app } = await serve(deps);
  const res = await post(app, fixture('callback-query'));
  expect(res.statusCode).toBe(503);
  // The press was not taken: its button stays, so the client can press again.
  expect(fake.callsOf('answerCallbackQuery')).toEqual([]);
});

test('a button press: core gets the command, then the query is answered and the keyboard removed', async () => {
  const deps = testDeps(env, { ingest: async () => ({ status: 'command', command: 'urgency' }) });
  const { app, tg } = await serve(deps);
  const res = await post(app, fixture('callback-query'));
  expect(res.json()).toEqual({ status: 'command' });
  expect(deps.envelopes[0].text).toBe('/urgency high');
  await tg.idle();
  expect(fake.callsOf('answerCallbackQuery').map((c) => c.args)).toEqual([{ callback_query_id: '4382bfdwdsb323b2d9' }]);
  expect(fake.callsOf('editMessageReplyMarkup').map((c) => c.args)).toEqual([{ chat_id: 511223344, message_id: 18, reply_markup: { inline_keyboard: [] } }]);
});

test('a press Telegram redelivers is answered again without an error reaching the client', async () => {
  const deps = testDeps(env, { ingest: async () => ({ status: 'duplicate' }) });
  const { app, tg } = await serve(deps);
  fake.script('answerCallbackQuery', refusals.queryTooOld());
  expect((await post(app, fixture('callback-query'))).json()).toEqual({ status: 'duplicate' });
  await tg.idle();
  expect(fake.callsOf('answerCallbackQuery')).toHaveLength(1);
  expect(deps.log.entries.filter((e) => e.level === 'warn' || e.level === 'error')).toEqual([]);
});

test('a group turned supergroup is followed: core is asked to move the conversation, and nothing is ingested', async () => {
  const deps = testDeps(env);
  const { app } = await serve(deps);
  expect((await post(app, fixture('migrate-to'))).json()).toEqual({ status: 'moved' });
  // The other service message of the same upgrade asks again; moving is core's to make idempotent.
  expect((await post(app, fixture('migrate-from'))).json()).toEqual({ status: 'moved' });
  expect(deps.moves.map((m) => [m.from.conversationKey, m.to.conversationKey])).toEqual([
    ['telegram:7000000001:-4012345678', 'telegram:7000000001:-1001555000111'],
    ['telegram:7000000001:-4012345678', 'telegram:7000000001:-1001555000111'],
  ]);
  expect(deps.moves[0].to.address).toEqual({ botId: '7000000001', chatId: -1001555000111, chatType: 'supergroup' });
  expect(deps.envelopes).toEqual([]);
});

test('start-up with PUBLIC_URL registers the webhook with its secret and the update kinds, and the commands', async () => {
  const { tg } = await serve(testDeps(env));
  await tg.startup!();
  expect(fake.webhook).toEqual({ url: 'https://switchboard.example/webhooks/telegram', secret_token: SECRET, allowed_updates: ['message', 'edited_message', 'callback_query'] });
  expect(fake.callsOf('setMyCommands')[0].args.commands.map((c: { command: string }) => c.command)).toEqual(['status', 'urgency', 'call', 'feature']);
  expect(tg.receivers).toEqual([]);
  expect(tg.describe!()).toBe('telegram (webhook at https://switchboard.example/webhooks/telegram)');
});

test('without PUBLIC_URL: no webhook, one long-polling receiver', async () => {
  const { tg } = await serve(testDeps(env, { publicUrl: null }));
  await tg.startup!();
  expect(fake.callsOf('setWebhook')).toEqual([]);
  expect(tg.receivers!.map((r) => r.name)).toEqual(['telegram-long-polling']);
  expect(tg.describe!()).toMatch(/long polling/);
});

test('a token Telegram rejects stops start-up; an outage does not, and registration is retried until it works', async () => {
  fake.script('getMe', refusals.unauthorized());
  await expect((await createTelegram(testDeps(env))).startup!()).rejects.toThrow(/401 Unauthorized.*TELEGRAM_BOT_TOKEN/);

  fake.script('setWebhook', refusals.serverError(502), refusals.serverError(502));
  const deps = testDeps(env);
  const { api, bot } = createBot(deps.config, deps.log);
  const setup = botSetup({ api, me: new BotInfo(bot, api, deps.state, deps.config.botId), secret: SECRET, webhookUrl: 'https://switchboard.example/webhooks/telegram', log: deps.log, firstRetryMs: 10 });
  await setup.startup();
  expect(deps.log.text()).toMatch(/retrying in the background/);
  expect(fake.webhook).toBeNull();
  await fake.waitFor('setWebhook', 3);
  await fake.waitFor('setMyCommands');
  expect(fake.webhook?.url).toBe('https://switchboard.example/webhooks/telegram');
  setup.close();
});

test('the deep link a manager sends a client names the bot and the code, also after a restart', async () => {
  const deps = testDeps(env);
  const { tg } = await serve(deps);
  // Before Telegram ever told us the bot's username there is no link to make.
  expect(() => tg.linkUrl('lnk_8Hq2ZpXw')).toThrow(/username is not known yet/);
  await tg.startup!();
  expect(tg.linkUrl('lnk_8Hq2ZpXw')).toBe('https://t.me/switchboard_test_bot?start=lnk_8Hq2ZpXw');
  expect(tg.groupLinkUrl('lnk_8Hq2ZpXw')).toBe('https://t.me/switchboard_test_bot?startgroup=lnk_8Hq2ZpXw');
  expect(() => tg.linkUrl('has spaces')).toThrow(/1-64 characters/);

  const restarted = testDeps(env);
  for (const [k, v] of deps.state.values) await restarted.state.set(k, v);
  fake.reset();
  expect((await createTelegram(restarted)).linkUrl('abc')).toBe('https://t.me/switchboard_test_bot?start=abc');
  expect(fake.calls).toEqual([]);
});

test('the bot username is remembered, so commands are understood while Telegram is unreachable after a restart', async () => {
  const deps = testDeps(env);
  await (await serve(deps)).tg.startup!();
  const restarted = testDeps(env);
  for (const [k, v] of deps.state.values) await restarted.state.set(k, v);
  fake.script('getMe', refusals.serverError(502));
  const { app } = await serve(restarted);
  expect((await post(app, fixture('command-ours'))).statusCode).toBe(200);
  expect(restarted.envelopes[0].text).toBe('/urgency critical');
});

test('nothing about a message reaches the log at info', async () => {
  const deps = testDeps(env);
  const { app, tg } = await serve(deps);
  await tg.startup!();
  await post(app, fixture('private-text'));
  await post(app, fixture('callback-query'));
  await tg.idle();
  const text = deps.log.text();
  expect(text).not.toContain('Tracking is down');
  expect(text).not.toContain(fake.token.split(':')[1]);
});
