// Parity harness for Telegram: native deliveries are Bot API updates POSTed to our webhook with the secret token,
// shaped as the Bot API documents them; what we send is read back from the fake Bot API's sendMessage calls and
// decoded: HTML undone, the manager's name line split off, the keyboard's callback data as choices, and the quiet
// continuation parts of a split message joined to the part they continue.
import { randomInt } from 'node:crypto';
import type { ChannelHarness, DeliveryAnswer, NeutralOutbound } from '../../test/parity/harness';
import { FakeTelegram, parseHtml, type TelegramCall } from '../../test/support/fake-telegram';
import type { TestService } from '../../test/support/service';
import { chatScope } from './address';
import { messageUpdate, pressUpdate, textMessage, type TgUserShape } from './fixtures';
import { TELEGRAM_CAPABILITIES } from './index';
import { SECRET_HEADER } from './verify';

export const HARNESS_SECRET = 'parity-telegram-secret-0123456789';
export const HARNESS_PUBLIC_URL = 'https://switchboard.test';

export interface TelegramHarness extends ChannelHarness {
  readonly fake: FakeTelegram;
  /** The client's private chat with the bot (a private chat's id is the user's id). */
  readonly user: TgUserShape;
  readonly chatId: number;
  /** POSTs any update to the webhook, as Telegram would. */
  deliver(update: unknown, opts?: { secret?: string }): Promise<DeliveryAnswer & { json: any }>;
}

const visible = (html: string) => {
  const p = parseHtml(html);
  if ('error' in p) throw new Error(`we sent HTML Telegram would refuse: ${p.error}`);
  return p.text;
};

/** One sendMessage as the client reads it. */
export function decodeSend(call: TelegramCall): NeutralOutbound & { continues: boolean } {
  const html = String(call.args.text);
  const named = /^<b>([^<]*)<\/b>\n/.exec(html);
  const rows: { callback_data?: string }[][] = call.args.reply_markup?.inline_keyboard ?? [];
  return {
    author: named ? visible(named[1]) : null,
    text: visible(named ? html.slice(named[0].length) : html),
    choices: rows.flat().map((b) => b.callback_data ?? ''),
    continues: call.args.disable_notification === true,
  };
}

export default function telegramHarness(): TelegramHarness {
  const id = randomInt(100_000_000, 2_000_000_000);
  const user: TgUserShape = { id, is_bot: false, first_name: 'Pat', last_name: 'Client', username: `pat_${id}` };
  const fake = new FakeTelegram();
  let t: TestService;
  let last: unknown = null;

  const deliver = async (update: unknown, opts: { secret?: string } = {}) => {
    last = update;
    const res = await t.app.inject({
      method: 'POST', url: '/webhooks/telegram', payload: JSON.stringify(update),
      headers: { 'content-type': 'application/json', [SECRET_HEADER]: opts.secret ?? HARNESS_SECRET },
    });
    const json = safeJson(res.body);
    return { status: res.statusCode, outcome: json?.status ?? null, json };
  };

  return {
    channel: 'telegram',
    capabilities: TELEGRAM_CAPABILITIES,
    fake,
    user,
    chatId: user.id,
    deliver,
    async prepare() {
      await fake.start();
      // PUBLIC_URL: webhook mode, the way the service runs in production.
      return { TELEGRAM_BOT_TOKEN: fake.token, TELEGRAM_WEBHOOK_SECRET: HARNESS_SECRET, TELEGRAM_API_ROOT: fake.url, PUBLIC_URL: HARNESS_PUBLIC_URL };
    },
    start: async (service) => void (t = service),
    async link(svc, clientId) {
      const res = await svc.admin('POST', `/api/v1/clients/${clientId}/links`, { channel: 'telegram', key: chatScope(String(fake.botId), user.id) });
      expect([200, 201]).toContain(res.status);
    },
    // Telegram has no urgency field: a client who wants one says so with a hashtag (#low), which the adapter reads.
    clientSays: (text, opts = {}) => {
      const tag = opts.urgency ? `#${opts.urgency}` : null;
      return deliver(messageUpdate(textMessage(user, tag ? `${text} ${tag}` : text, { entities: tag ? [{ text: tag, type: 'hashtag' }] : [] })));
    },
    // A press on the latest message that offers the choice, as Telegram reports it (the message as it was sent).
    async choose(value) {
      const offer = [...fake.sentTo(user.id)].reverse().find((c) => decodeSend(c).choices.includes(value));
      if (!offer) throw new Error(`no message in the chat offers a button for ${value}`);
      return deliver(pressUpdate(user, offer.result, value));
    },
    redeliverLast: () => deliver(last),
    received(): NeutralOutbound[] {
      const out: NeutralOutbound[] = [];
      for (const call of fake.sentTo(user.id)) {
        const { continues, ...m } = decodeSend(call);
        const prev = out[out.length - 1];
        if (continues && prev) {
          prev.text += `\n${m.text}`;
          prev.choices = m.choices;
        } else out.push(m);
      }
      return out;
    },
    stop: () => fake.stop(),
  };
}

function safeJson(text: string): any {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
