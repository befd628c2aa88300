// How a Telegram conversation is named. Chat ids are unique per Telegram, message ids per chat, update ids per bot;
// every key carries the bot id so a second bot (or a new token for another bot) never collides with the first.

export type ChatType = 'private' | 'group' | 'supergroup';

/** The opaque reply address core stores with a case: enough to write into the chat (and topic) later. */
export interface TelegramAddress {
  botId: string;
  chatId: number;
  chatType: ChatType;
  /** Forum topic: every send into it must name it (PLATFORMS.md), or it lands in the General topic. */
  threadId?: number;
}

/** Scope of message ids: a chat of a bot. Also the chat's link key and the account its members' identities live in. */
export const chatScope = (botId: string, chatId: number) => `${botId}:${chatId}`;

/** One conversation per private chat or group; per topic in a forum supergroup (SPEC §6). */
export function conversationKey(botId: string, chatId: number, threadId?: number): string {
  return threadId === undefined ? `telegram:${botId}:${chatId}` : `telegram:${botId}:${chatId}:${threadId}`;
}

export const isGroup = (a: Pick<TelegramAddress, 'chatType'>) => a.chatType !== 'private';

export function parseAddress(v: unknown): TelegramAddress | null {
  const a = v as Partial<TelegramAddress> | null;
  if (!a || typeof a !== 'object' || typeof a.botId !== 'string' || !Number.isSafeInteger(a.chatId)) return null;
  if (a.chatType !== 'private' && a.chatType !== 'group' && a.chatType !== 'supergroup') return null;
  if (a.threadId !== undefined && !Number.isSafeInteger(a.threadId)) return null;
  return { botId: a.botId, chatId: a.chatId!, chatType: a.chatType, ...(a.threadId !== undefined ? { threadId: a.threadId } : {}) };
}

/** A group that became a supergroup: core moves its conversation (case, link) to the new chat. */
export interface ConversationMove {
  from: { conversationKey: string; linkKey: string };
  to: { conversationKey: string; linkKey: string; address: TelegramAddress };
}

export function migration(botId: string, fromChatId: number, toChatId: number): ConversationMove {
  return {
    from: { conversationKey: conversationKey(botId, fromChatId), linkKey: chatScope(botId, fromChatId) },
    to: { conversationKey: conversationKey(botId, toChatId), linkKey: chatScope(botId, toChatId), address: { botId, chatId: toChatId, chatType: 'supergroup' } },
  };
}

/** Deep-link payloads: up to 64 of A-Z, a-z, 0-9, _ and - (Bot API, "Deep linking"). */
export const LINK_CODE = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * The link a manager sends a client: opening it starts the bot in a private chat with `/start <code>`. With `group`,
 * Telegram asks which group to add the bot to and posts `/start@<bot> <code>` there.
 */
export function deepLink(botUsername: string, code: string, opts: { group?: boolean } = {}): string {
  if (!LINK_CODE.test(code)) throw new Error('a Telegram link code is 1-64 characters of A-Z, a-z, 0-9, _ and -');
  return `https://t.me/${encodeURIComponent(botUsername)}?${opts.group ? 'startgroup' : 'start'}=${code}`;
}
