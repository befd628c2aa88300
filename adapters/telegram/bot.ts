// telegraf as our Bot API client. Never retries by itself (the outbox does), never answers through the webhook
// response (webhookReply: false), and its error handler never prints an update (message bodies) to the console.
import { Telegraf, TelegramError } from 'telegraf';
import type { ChannelState } from '../../src/channels/module';
import { describeError } from '../../src/core/errors';
import type { Logger } from '../../src/core/ports';
import type { TelegramConfig } from './config';
import type { BotIdentity } from './normalize';

/** The one call we make, loosely typed: payloads are built from the Bot API docs, not telegraf's helper signatures. */
export interface BotApi {
  call<T = any>(method: string, payload: Record<string, unknown>, opts?: { signal?: AbortSignal }): Promise<T>;
}

export function createBot(cfg: TelegramConfig, log: Logger): { bot: Telegraf; api: BotApi } {
  const bot = new Telegraf(cfg.botToken, { telegram: { apiRoot: cfg.apiRoot, webhookReply: false } });
  // We hand updates to core ourselves (see routes.ts), so this only guards any later use of bot.handleUpdate: the
  // default handler logs the whole update and sets a failing exit code.
  bot.catch((err, ctx) => log.error({ channel: 'telegram', updateId: ctx.update.update_id, err: describeError(err) }, 'telegram update failed'));
  const api: BotApi = {
    call: (method, payload, opts) => bot.telegram.callApi(method as 'getMe', payload as never, { signal: opts?.signal as never }) as Promise<any>,
  };
  return { bot, api };
}

const STATE_KEY = 'bot';

/**
 * Who the bot is (for `/cmd@name`, mentions and deep links). Remembered in the channel's state, so a restart while
 * Telegram is unreachable still knows its own username; refreshed by refresh() at start-up.
 */
export class BotInfo {
  private known: Promise<BotIdentity> | null = null;
  private latest: BotIdentity | null = null;

  constructor(
    private readonly bot: Telegraf,
    private readonly api: BotApi,
    private readonly state: ChannelState,
    private readonly botId: string,
  ) {}

  /** Takes what an earlier start stored, without asking Telegram. */
  async restore(): Promise<void> {
    const stored = await this.state.get<BotIdentity>(STATE_KEY);
    if (stored?.id === this.botId && stored.username) {
      this.latest = stored;
      this.known = Promise.resolve(stored);
    }
  }

  /** The username as last known; deep links can't be made before Telegram has told us once. */
  username(): string {
    if (!this.latest) throw new Error("the Telegram bot's username is not known yet: Telegram has not answered getMe since the bot was configured");
    return this.latest.username;
  }

  get(): Promise<BotIdentity> {
    this.known ??= this.load().catch((err) => {
      this.known = null;
      throw err;
    });
    return this.known;
  }

  async refresh(): Promise<BotIdentity> {
    const me = await this.api.call<{ id: number; username?: string; first_name: string; is_bot: true }>('getMe', {});
    if (String(me.id) !== this.botId) throw new Error(`getMe answered for bot ${me.id}, but the token is bot ${this.botId}'s`);
    this.bot.botInfo = me as never;
    const identity = { id: this.botId, username: me.username ?? '' };
    await this.state.set(STATE_KEY, identity);
    this.latest = identity;
    this.known = Promise.resolve(identity);
    return identity;
  }

  private async load(): Promise<BotIdentity> {
    await this.restore();
    return this.latest ?? this.refresh();
  }
}

/** The token itself is wrong or revoked: no point retrying start-up steps. */
export const isTokenRejected = (err: unknown) => err instanceof TelegramError && (err.code === 401 || err.code === 404);
