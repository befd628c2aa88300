// One composed part → sendMessage. The Bot API's refusals become DeliveryErrors the outbox understands: rate limits
// and outages retry (a 429's retry_after honoured), refusals that no retry can fix ("bot was blocked by the user",
// "chat not found") fail at once and are reported to the manager on the case.
import { TelegramError } from 'telegraf';
import { describeError } from '../../src/core/errors';
import { DeliveryError, type Logger, type OutboundMessage, type SendResult } from '../../src/core/ports';
import { chatScope, isGroup, migration, parseAddress, type ConversationMove, type TelegramAddress } from './address';
import type { BotApi } from './bot';
import { render } from './format';
import type { Pacer } from './pace';

export interface SendDeps {
  api: BotApi;
  botId: string;
  pacer: Pacer;
  log: Logger;
  /** A group turned out to be a supergroup now: core moves the conversation, later sends go there. */
  onMove(move: ConversationMove): Promise<void>;
}

type Opts = { idempotencyKey: string; signal: AbortSignal };

export function createSend(d: SendDeps) {
  return async function send(address: unknown, msg: OutboundMessage, opts: Opts): Promise<SendResult> {
    const to = parseAddress(address);
    if (!to) throw new DeliveryError('the case has no valid Telegram chat address', false);
    if (to.botId !== d.botId)
      throw new DeliveryError(`the conversation belongs to Telegram bot ${to.botId}, but TELEGRAM_BOT_TOKEN is bot ${d.botId}'s`, false);
    try {
      return await sendTo(d, to, msg, opts);
    } catch (err) {
      const newChat = err instanceof TelegramError ? err.parameters?.migrate_to_chat_id : undefined;
      if (newChat === undefined) throw deliveryError(err, opts.signal, d.pacer, to);
      // Sending into a group that became a supergroup fails with the new chat's id; follow it.
      const move = migration(d.botId, to.chatId, newChat);
      await d.onMove(move).catch((e) => d.log.warn({ channel: 'telegram', err: describeError(e) }, 'could not move a migrated group\'s conversation'));
      try {
        // Message ids don't carry over to the supergroup: nothing to quote there.
        return await sendTo(d, move.to.address, { ...msg, replyTo: undefined }, opts);
      } catch (again) {
        throw deliveryError(again, opts.signal, d.pacer, move.to.address);
      }
    }
  };
}

async function sendTo(d: SendDeps, to: TelegramAddress, msg: OutboundMessage, opts: Opts): Promise<SendResult> {
  const scope = chatScope(d.botId, to.chatId);
  // Core sends the parts of a message it split as `<key>-<n>`: those follow the first part quietly.
  const continuation = /^outbox-\d+-\d+$/.test(opts.idempotencyKey);
  const { parts, keyboard } = render(msg, { continuation });
  const quote = msg.replyTo && msg.replyTo.scope === scope && /^\d+$/.test(msg.replyTo.externalId) ? Number(msg.replyTo.externalId) : null;
  const ids: string[] = [];
  for (const [i, text] of parts.entries()) {
    await pace(d.pacer, to, opts.signal);
    const sent = await d.api.call<{ message_id: number }>('sendMessage', {
      chat_id: to.chatId,
      ...(to.threadId !== undefined ? { message_thread_id: to.threadId } : {}),
      text,
      parse_mode: 'HTML',
      // A quoted message the client deleted since must not turn the reply into a failure.
      ...(i === 0 && quote !== null ? { reply_parameters: { message_id: quote, allow_sending_without_reply: true } } : {}),
      ...(i === parts.length - 1 && keyboard ? { reply_markup: keyboard } : {}),
      ...(continuation || i > 0 ? { disable_notification: true } : {}),
    }, { signal: opts.signal });
    ids.push(String(sent.message_id));
  }
  return { externalIds: ids, scope };
}

async function pace(pacer: Pacer, to: TelegramAddress, signal: AbortSignal): Promise<void> {
  const slot = pacer.reserve(to.chatId, isGroup(to));
  if (!slot.ok) throw new DeliveryError(`paced: too many messages into this chat, next one in ${Math.ceil(slot.retryAfterMs / 1000)} s`, true, slot.retryAfterMs);
  if (slot.waitMs > 0) await sleep(slot.waitMs, signal);
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const t = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(signal.reason);
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/** What a refusal means for the manager reading it on the case. */
const REFUSALS: [RegExp, string][] = [
  [/bot was blocked by the user/i, 'the client blocked the bot'],
  [/user is deactivated/i, "the client's Telegram account was deleted"],
  [/bot can't initiate conversation/i, 'the client has not started a chat with the bot'],
  [/bot was kicked|bot is not a member|not a member of the/i, 'the bot was removed from the group'],
  [/group chat was deactivated/i, 'the group was deleted'],
  [/chat not found/i, 'the chat does not exist (deleted, or the bot was never started in it)'],
  [/message thread not found|topic_closed|topic_deleted/i, 'the forum topic was closed or deleted'],
  [/not enough rights|have no rights|chat_write_forbidden|chat_restricted/i, 'the bot is not allowed to write in this chat'],
];

export function deliveryError(err: unknown, signal: AbortSignal | undefined, pacer?: Pacer, to?: TelegramAddress): DeliveryError {
  if (err instanceof DeliveryError) return err;
  if (err instanceof TelegramError) {
    const what = `${err.code} ${err.description}`;
    if (err.code === 429) {
      const ms = (err.parameters?.retry_after ?? 1) * 1000;
      if (pacer && to) pacer.block(to.chatId, ms);
      return new DeliveryError(`Telegram rate limit: retry after ${ms / 1000} s`, true, ms);
    }
    if (err.code >= 500) return new DeliveryError(`Telegram is unavailable (${what})`, true);
    // A revoked or mistyped token stops every send alike: retried until the operator fixes it, not failed per message.
    if (err.code === 401 || err.code === 404) return new DeliveryError(`Telegram rejected the bot token (${what}); check TELEGRAM_BOT_TOKEN`, true);
    const why = REFUSALS.find(([re]) => re.test(err.description ?? ''))?.[1];
    return new DeliveryError(`Telegram refused the message${why ? `: ${why}` : ''} (${what})`, false);
  }
  if (signal?.aborted) return new DeliveryError('Telegram did not answer in time', true);
  return new DeliveryError(`Telegram unreachable: ${describeError(err)}`, true);
}
