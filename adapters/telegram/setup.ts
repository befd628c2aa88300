// Start-up: who the bot is (getMe), where Telegram delivers updates (setWebhook with the secret and the update
// kinds we handle, when PUBLIC_URL is set), and the command menu clients see (setMyCommands). A wrong token or a
// webhook URL Telegram won't take is a configuration error and stops start-up; an outage must not stop the service,
// so registration is then retried in the background until it succeeds.
import { TelegramError } from 'telegraf';
import { describeError } from '../../src/core/errors';
import type { Logger } from '../../src/core/ports';
import type { BotApi, BotInfo } from './bot';
import { ALLOWED_UPDATES } from './update';

/** What clients see in the command menu; each works in groups as /cmd@bot too. */
export const BOT_COMMANDS = [
  { command: 'status', description: 'Your open cases' },
  { command: 'urgency', description: 'Set the urgency of your open case, e.g. /urgency high' },
  { command: 'call', description: 'Ask for a call, e.g. /call tomorrow 15:00' },
  { command: 'feature', description: 'Suggest a feature: /feature what you need' },
];

export interface SetupDeps {
  api: BotApi;
  me: BotInfo;
  secret: string;
  /** Null: long polling, no webhook. */
  webhookUrl: string | null;
  log: Logger;
  firstRetryMs?: number;
}

export function botSetup(d: SetupDeps) {
  let closed = false;
  let timer: NodeJS.Timeout | null = null;

  const register = async () => {
    await d.me.refresh();
    if (d.webhookUrl)
      await d.api.call('setWebhook', { url: d.webhookUrl, secret_token: d.secret, allowed_updates: ALLOWED_UPDATES, drop_pending_updates: false });
    await d.api.call('setMyCommands', { commands: BOT_COMMANDS });
    d.log.info({ channel: 'telegram', mode: d.webhookUrl ? 'webhook' : 'polling' }, 'telegram: bot registered');
  };

  const retry = (delay: number) => {
    if (closed) return;
    timer = setTimeout(() => {
      register().catch((err) => {
        d.log.warn({ channel: 'telegram', err: describeError(err), retryInMs: Math.min(delay * 2, 300_000) }, 'telegram: registering the bot failed again');
        retry(Math.min(delay * 2, 300_000));
      });
    }, delay);
    timer.unref();
  };

  return {
    async startup(): Promise<void> {
      try {
        await register();
      } catch (err) {
        if (err instanceof TelegramError && err.code !== 429 && err.code < 500)
          throw new Error(`Telegram refused the bot's set-up (${err.code} ${err.description}); check TELEGRAM_BOT_TOKEN${d.webhookUrl ? ' and PUBLIC_URL (an https URL Telegram can reach)' : ''}`);
        d.log.error({ channel: 'telegram', err: describeError(err) }, 'telegram: could not register the bot; retrying in the background');
        retry(d.firstRetryMs ?? 5_000);
      }
    },
    close(): void {
      closed = true;
      if (timer) clearTimeout(timer);
    },
  };
}
