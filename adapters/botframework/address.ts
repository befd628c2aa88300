// What one Bot Framework conversation is to the rest of the service: its key, the scope its message ids live in, the
// keys a client can be linked by, and the stored conversation reference every reply is sent to — hours later or
// after a restart, so it holds everything a proactive send needs (ARCHITECTURE: "Bot Framework replies hours later
// fail without the stored conversation reference and tenant").
export const CHANNEL = 'botframework';

/**
 * The stored conversation reference. `serviceUrl` is only ever taken from an activity whose token's `serviceurl`
 * claim matched it (auth.ts), so a reply never goes where an unauthenticated request pointed.
 */
export interface BotFrameworkAddress {
  serviceUrl: string;
  /** msteams, webchat, directline, ... */
  channelId: string;
  /** Teams wants the tenant on proactive messages, here and as channelData.tenant. */
  conversation: { id: string; conversationType?: string; tenantId?: string; isGroup?: boolean };
  bot: { id: string; name?: string };
  user?: { id: string; name?: string; aadObjectId?: string };
  locale?: string;
}

/** A Teams channel post's thread is `<channel id>;messageid=<id of the post that started it>`. */
export function threadOf(conversationId: string): { channel: string; rootId: string } | null {
  const m = /^(.+);messageid=([^;]+)$/.exec(conversationId);
  return m ? { channel: m[1], rootId: m[2] } : null;
}

/** One conversation, one key: a Teams chat, a Teams channel thread, a Web Chat or Direct Line conversation. */
export const conversationKey = (channelId: string, conversationId: string) => `${CHANNEL}:${channelId}:${conversationId}`;

/**
 * Where a platform message id is unique: the conversation. Inbound ids and the ids of our own sends are stored in it,
 * so a redelivery and an echo are recognised by one lookup.
 */
export const messageScope = (channelId: string, conversationId: string) => `${channelId}:${conversationId}`;

/**
 * Keys a client may be linked by (POST /api/v1/clients/:id/links), most specific first: the conversation, for a Teams
 * channel thread also the channel, then the tenant.
 */
export function linkKeysOf(conversationId: string, tenantId: string | undefined): string[] {
  const keys = [conversationId];
  const thread = threadOf(conversationId);
  if (thread) keys.push(thread.channel);
  if (tenantId) keys.push(tenantId);
  return keys;
}

/** A stored address read back for a send: anything else is a defect in stored data, not something a retry fixes. */
export function parseAddress(raw: unknown): BotFrameworkAddress | null {
  const a = raw as Partial<BotFrameworkAddress> | null;
  if (!a || typeof a !== 'object') return null;
  if (typeof a.serviceUrl !== 'string' || !/^https?:\/\//i.test(a.serviceUrl)) return null;
  if (typeof a.channelId !== 'string' || !a.channelId) return null;
  if (!a.conversation || typeof a.conversation.id !== 'string' || !a.conversation.id) return null;
  if (!a.bot || typeof a.bot.id !== 'string' || !a.bot.id) return null;
  return a as BotFrameworkAddress;
}
