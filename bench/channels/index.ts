// What the ingest benchmark sends to each channel's webhook: the environment that enables it (pointing at a local fake
// when it calls its platform at start), how its 200 bench accounts are tied to clients, and one request per message.
// Every channel is measured the same way as the in-app webhook, next to the same baseline.
import { randomUUID } from 'node:crypto';
import { signedHeaders } from '../../adapters/inapp';
import { startBotFrameworkBench, type BotFrameworkBench } from '../../adapters/botframework/bench';
import { slackBenchChannel } from '../../adapters/slack/bench';
import { chatScope } from '../../adapters/telegram/address';
import { FakeTelegram } from '../../test/support/fake-telegram';

export interface BenchRequest {
  headers: Record<string, string>;
  body: string;
}

export interface BenchChannel {
  name: string;
  route: string;
  /** Starts what the channel needs to reach at start (a fake platform API); returns the env that enables it. */
  prepare(): Promise<Record<string, string>>;
  /** How bench account `i` is tied to its client: the in-app account id, or a client link. */
  link(i: number): { inappAccountId: string } | { channel: string; key: string };
  request(account: number): BenchRequest;
  stop(): Promise<void>;
}

export const INAPP_SECRET = 'bench-inapp-secret-0123456789';
const TEXT = 'The dashboard numbers look wrong since this morning, can you check?';
const USERS = 5;

const inapp: BenchChannel = {
  name: 'inapp',
  route: '/webhooks/inapp',
  prepare: async () => ({ INAPP_SECRET }),
  link: (i) => ({ inappAccountId: `bench-${i}` }),
  request(account) {
    const body = JSON.stringify({
      id: randomUUID(), account: { id: `bench-${account}` }, user: { id: `user-${Math.floor(Math.random() * USERS)}`, name: 'Bench User' }, text: TEXT,
    });
    return { headers: { 'content-type': 'application/json', ...signedHeaders(INAPP_SECRET, { method: 'POST', path: '/webhooks/inapp', body }, new Date()) }, body };
  },
  stop: async () => undefined,
};

function telegram(): BenchChannel {
  const fake = new FakeTelegram();
  const secret = 'bench-telegram-secret-0123456789';
  let update = 1_000_000;
  let message = 1;
  // Each bench account is a group chat of its own; its members are a few people.
  const chat = (account: number) => -1_000_000_000 - account;
  return {
    name: 'telegram',
    route: '/webhooks/telegram',
    async prepare() {
      await fake.start();
      return { TELEGRAM_BOT_TOKEN: fake.token, TELEGRAM_WEBHOOK_SECRET: secret, TELEGRAM_API_ROOT: fake.url, PUBLIC_URL: 'https://bench.invalid' };
    },
    link: (i) => ({ channel: 'telegram', key: chatScope(String(fake.botId), chat(i)) }),
    request(account) {
      const user = 700_000 + Math.floor(Math.random() * USERS);
      const body = JSON.stringify({
        update_id: ++update,
        message: {
          message_id: ++message, from: { id: user, is_bot: false, first_name: 'Bench' }, chat: { id: chat(account), title: `Bench ${account}`, type: 'group' },
          date: Math.floor(Date.now() / 1000), text: `@${fake.bot.username} ${TEXT}`, entities: [{ offset: 0, length: fake.bot.username.length + 1, type: 'mention' }],
        },
      });
      return { headers: { 'content-type': 'application/json', 'x-telegram-bot-api-secret-token': secret }, body };
    },
    stop: () => fake.stop(),
  };
}

/** Teams personal chats, one per bench account, each tied to its client by its conversation id. */
function botframework(): BenchChannel {
  let bf: BotFrameworkBench;
  return {
    name: 'botframework',
    route: '/webhooks/botframework',
    async prepare() {
      bf = await startBotFrameworkBench({ conversations: 200 });
      return bf.env;
    },
    link: (i) => ({ channel: 'botframework', key: `a:1bench-${i}` }),
    request(account) {
      const { headers, body } = bf.request(TEXT, { conversation: account });
      return { headers, body };
    },
    stop: async () => bf?.close(),
  };
}

export function benchChannels(): BenchChannel[] {
  // Slack Connect: every request is a new top-level post, so each opens a case (heavier than a follow-up).
  return [inapp, telegram(), botframework(), slackBenchChannel()];
}
