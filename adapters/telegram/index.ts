// The Telegram client channel (SPEC §6, §7): a webhook with PUBLIC_URL, long polling without; private chats,
// groups and forum topics as conversations; the urgency keyboard; files as links to a download route of ours.
import { defineChannel, type ChannelDeps, type ChannelInstance } from '../../src/channels/module';
import type { ChannelCapabilities } from '../../src/core/ports';
import { deepLink, type ConversationMove } from './address';
import { BotInfo, createBot } from './bot';
import { TELEGRAM_OPTIONAL, TELEGRAM_REQUIRED, telegramSchema, type TelegramConfig } from './config';
import { FileLinks } from './files';
import { AUTHOR_MAX, TELEGRAM_MAX_TEXT } from './format';
import { Pacer } from './pace';
import { createPoller } from './poller';
import { UpdateHandler } from './receive';
import { telegramRoutes, WEBHOOK_PATH } from './routes';
import { createSend } from './send';
import { botSetup } from './setup';

export { deepLink, migration, conversationKey, chatScope, type ConversationMove, type TelegramAddress } from './address';
export { BOT_COMMANDS } from './setup';
export type { TelegramConfig } from './config';

export const TELEGRAM_CAPABILITIES: ChannelCapabilities = {
  buttons: true,
  threads: false,
  // Files from managers go out as links (core composes them into the text).
  attachments: false,
  // Each part core composes must still fit with the manager's name as a first line.
  maxTextLength: TELEGRAM_MAX_TEXT - AUTHOR_MAX - 1,
  markup: 'html',
  proactive: true,
  // Bots never receive their own messages as updates.
  echoesOwnSends: false,
};

export interface TelegramInstance extends ChannelInstance {
  /** The link a manager sends a client to tie their chat to the client: https://t.me/<bot>?start=<code>. */
  linkUrl(code: string): string;
  /** The same for a group: Telegram asks which group to add the bot to, and the code arrives there. */
  groupLinkUrl(code: string): string;
  /** Resolves when button-press acknowledgements still in flight are done. */
  idle(): Promise<void>;
}

export default defineChannel<TelegramConfig>({
  name: 'telegram',
  env: { required: TELEGRAM_REQUIRED, optional: TELEGRAM_OPTIONAL, schema: telegramSchema },
  capabilities: TELEGRAM_CAPABILITIES,
  create: (deps) => createTelegram(deps),
});

export async function createTelegram(deps: ChannelDeps<TelegramConfig>): Promise<TelegramInstance> {
  const { config: cfg, log } = deps;
  const { bot, api } = createBot(cfg, log);
  const me = new BotInfo(bot, api, deps.state, cfg.botId);
  // What an earlier start learned from getMe: link codes and commands work before (or without) Telegram answering.
  await me.restore();
  const base = (deps.publicUrl ?? '').replace(/\/+$/, '');
  const links = new FileLinks(cfg.webhookSecret, base);
  const webhookUrl = deps.publicUrl ? `${base}${WEBHOOK_PATH}` : null;

  const move = async (m: ConversationMove): Promise<void> => {
    const cases = await deps.moveConversation(m.from, m.to);
    log.info({ channel: 'telegram', from: m.from.conversationKey, to: m.to.conversationKey, cases }, 'telegram: a group became a supergroup; its conversation moved');
  };

  const handler = new UpdateHandler({
    api, me: () => me.get(), ingest: deps.ingest, move, fileLink: (r) => links.attachment(r), now: () => deps.clock.now(), log, metrics: deps.metrics,
  });
  const send = createSend({ api, botId: cfg.botId, pacer: new Pacer(), log, onMove: move });

  const setup = botSetup({ api, me, secret: cfg.webhookSecret, webhookUrl, log });

  return {
    adapter: { kind: 'telegram', capabilities: TELEGRAM_CAPABILITIES, send },
    routes: telegramRoutes({ secret: cfg.webhookSecret, log, handler, metrics: deps.metrics, files: { cfg, api, links, log } }),
    receivers: webhookUrl ? [] : [createPoller({
      api, state: deps.state, handle: (u) => handler.receive(u), log,
      connected: (up) => deps.metrics.receiverConnected.set({ receiver: 'telegram:telegram-long-polling' }, up ? 1 : 0),
    })],
    startup: setup.startup,
    async close() {
      setup.close();
      await handler.idle();
    },
    describe: () => (webhookUrl ? `telegram (webhook at ${webhookUrl})` : 'telegram (long polling; set PUBLIC_URL for a webhook)'),
    linkUrl: (code) => deepLink(me.username(), code),
    groupLinkUrl: (code) => deepLink(me.username(), code, { group: true }),
    idle: () => handler.idle(),
  };
}
