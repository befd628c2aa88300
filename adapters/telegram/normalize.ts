// A verified Update → what core should hear: a client's message (or its edit, or a button press as the command it
// stands for), a group's move to a supergroup, or nothing. Pure: no I/O, the same answer for the same update.
import type { InboundEnvelope, InboundSender } from '../../src/core/ports';
import type { Attachment } from '../../src/core/records';
import { isUrgency, type Urgency } from '../../src/core/model';
import { chatScope, conversationKey, migration, type ChatType, type ConversationMove, type TelegramAddress } from './address';
import type { TgCallbackQuery, TgChat, TgEntity, TgMessage, TgUpdate, TgUser } from './update';

export interface BotIdentity {
  id: string;
  username: string;
}

/** A file the client sent, as Telegram describes it; shown to managers as a link to our download route. */
export interface FileRef {
  fileId: string;
  name: string;
  mimeType?: string;
  size?: number;
}

export interface NormalizeContext {
  bot: BotIdentity;
  now: Date;
  fileLink(ref: FileRef): Attachment;
}

/** A button press to acknowledge once core has it: answer the query, take the keyboard off the message. */
export interface Press {
  callbackQueryId: string;
  chatId?: number;
  messageId?: number;
}

export type Normalized =
  | { kind: 'envelope'; envelope: InboundEnvelope; press?: Press }
  | { kind: 'move'; move: ConversationMove }
  | { kind: 'ignored'; reason: string; press?: Press };

const ignored = (reason: string, press?: Press): Normalized => ({ kind: 'ignored', reason, press });

export function normalize(u: TgUpdate, ctx: NormalizeContext): Normalized {
  if (u.callback_query) return fromPress(u, u.callback_query, ctx);
  const edited = !u.message && !!u.edited_message;
  const m = u.message ?? u.edited_message;
  if (!m) return ignored('update kind not handled');
  if (!isConversationChat(m.chat)) return ignored(`${m.chat.type} chat`);
  if (m.migrate_to_chat_id !== undefined) return { kind: 'move', move: migration(ctx.bot.id, m.chat.id, m.migrate_to_chat_id) };
  if (m.migrate_from_chat_id !== undefined) return { kind: 'move', move: migration(ctx.bot.id, m.migrate_from_chat_id, m.chat.id) };
  const sender = senderOf(m);
  if (!sender) return ignored('message without a sender');

  let text = m.text ?? m.caption ?? '';
  const entities = (m.text !== undefined ? m.entities : m.caption_entities) ?? [];
  const command = entities.find((e) => e.type === 'bot_command' && e.offset === 0);
  if (command) {
    const [, name, addressee] = /^\/([^@\s]+)(?:@(\S+))?$/.exec(text.slice(0, command.length)) ?? [];
    // In a group every bot sees `/status@other_bot`; only commands without an addressee or addressed to us are ours.
    if (addressee && addressee.toLowerCase() !== ctx.bot.username.toLowerCase()) return ignored('command for another bot');
    if (name) text = `/${name}${text.slice(command.length)}`;
  } else {
    text = withoutOwnMention(text, entities, ctx.bot.username);
  }
  const attachments = attachmentsOf(m).map(ctx.fileLink);
  if (!text.trim() && !attachments.length) text = placeholder(m);
  if (!text.trim() && !attachments.length) return ignored('service message or content we do not relay');

  const scope = chatScope(ctx.bot.id, m.chat.id);
  const env = envelope(u, m.chat, threadOf(m), sender, ctx, {
    text,
    attachments,
    urgency: command ? undefined : urgencyTag(m.text ?? m.caption ?? '', entities),
    platformMessageIds: edited ? [] : [{ scope, externalId: String(m.message_id) }],
    ...(edited ? { change: { kind: 'edit' as const, target: { scope, externalId: String(m.message_id) } } } : {}),
  });
  return { kind: 'envelope', envelope: env };
}

function fromPress(u: TgUpdate, q: TgCallbackQuery, ctx: NormalizeContext): Normalized {
  const press: Press = { callbackQueryId: q.id, chatId: q.message?.chat.id, messageId: q.message?.message_id };
  // Buttons on inline-mode messages have no chat to attribute them to; ours always sit on a message in a chat.
  if (!q.message || !isConversationChat(q.message.chat)) return ignored('button press outside a chat', press);
  // Our buttons carry the command a client could type (`/urgency high`); anything else isn't from us.
  if (!q.data?.startsWith('/')) return ignored('button press without a command', press);
  const sender = userSender(q.from);
  const env = envelope(u, q.message.chat, threadOf(q.message), sender, ctx, {
    text: q.data,
    attachments: [],
    // A press is no message of the chat: nothing to quote or to recognise later (its update_id dedupes it), and a
    // manager's reply should quote what the client wrote, not the button.
    platformMessageIds: [],
  });
  return { kind: 'envelope', envelope: env, press };
}

function envelope(
  u: TgUpdate, chat: TgChat, threadId: number | undefined, sender: InboundSender, ctx: NormalizeContext,
  content: Pick<InboundEnvelope, 'text' | 'attachments' | 'platformMessageIds' | 'change'> & { urgency?: Urgency },
): InboundEnvelope {
  const botId = ctx.bot.id;
  const address: TelegramAddress = { botId, chatId: chat.id, chatType: chat.type as ChatType, ...(threadId !== undefined ? { threadId } : {}) };
  const { urgency, change, ...rest } = content;
  return {
    channel: 'telegram',
    // Identities are per chat: the same person in two clients' groups is two contacts, one per client.
    account: chatScope(botId, chat.id),
    deliveryId: String(u.update_id),
    deliveryScope: botId,
    conversationKey: conversationKey(botId, chat.id, threadId),
    address,
    sender,
    accountName: chat.type === 'private' ? fullName(chat.first_name, chat.last_name) || chat.username || sender.name : chat.title || sender.name,
    linkKeys: [chatScope(botId, chat.id)],
    ...rest,
    ...(change ? { change } : {}),
    ...(urgency ? { urgency } : {}),
    receivedAt: ctx.now,
  };
}

const isConversationChat = (c: TgChat) => c.type === 'private' || c.type === 'group' || c.type === 'supergroup';

/** Forum topics are conversations of their own; `message_thread_id` outside a forum is a reply chain, not a topic. */
function threadOf(m: { message_thread_id?: number; is_topic_message?: boolean }): number | undefined {
  return m.is_topic_message && m.message_thread_id !== undefined ? m.message_thread_id : undefined;
}

const fullName = (first?: string, last?: string) => [first, last].filter(Boolean).join(' ');

function userSender(from: TgUser): InboundSender {
  return { externalId: String(from.id), name: fullName(from.first_name, from.last_name) || from.username || String(from.id), isSelf: false, isAutomated: from.is_bot };
}

function senderOf(m: TgMessage): InboundSender | null {
  const sc = m.sender_chat;
  if (sc) {
    // A linked channel's posts copied into its discussion group are broadcasts, not someone asking for help.
    if (m.is_automatic_forward) return { externalId: `chat:${sc.id}`, name: sc.title ?? String(sc.id), isSelf: false, isAutomated: true };
    // An anonymous admin writes as the group itself (`from` is then the GroupAnonymousBot stand-in, a bot): a person.
    // So does a member posting as one of their channels.
    const name = sc.id === m.chat.id ? (m.author_signature ?? sc.title) : sc.title;
    return { externalId: `chat:${sc.id}`, name: name ?? String(sc.id), isSelf: false, isAutomated: false };
  }
  return m.from ? userSender(m.from) : null;
}

/** "@our_bot please help" (how a group with privacy mode on reaches the bot) is stored as "please help". */
function withoutOwnMention(text: string, entities: TgEntity[], username: string): string {
  const own = (e: TgEntity) => e.type === 'mention' && text.slice(e.offset, e.offset + e.length).toLowerCase() === `@${username.toLowerCase()}`;
  const lead = entities.find((e) => own(e) && e.offset === 0);
  const trail = entities.find((e) => own(e) && e.offset > 0 && e.offset + e.length === text.length);
  if (!lead && !trail) return text;
  return text.slice(lead?.length ?? 0, trail?.offset ?? text.length).replace(/^[\s,:]+/, '').trimEnd();
}

/** `#critical` … `#feature` as a hashtag is the client's explicit urgency, like an email's `[critical]` subject tag. */
function urgencyTag(text: string, entities: TgEntity[]): Urgency | undefined {
  for (const e of entities) {
    if (e.type !== 'hashtag') continue;
    const tag = text.slice(e.offset + 1, e.offset + e.length).toLowerCase();
    if (isUrgency(tag)) return tag;
  }
  return undefined;
}

function attachmentsOf(m: TgMessage): FileRef[] {
  const out: FileRef[] = [];
  if (m.photo?.length) {
    // Sizes come smallest first; the last is the original resolution.
    const p = m.photo[m.photo.length - 1];
    out.push({ fileId: p.file_id, name: `photo-${p.file_unique_id}.jpg`, mimeType: 'image/jpeg', size: p.file_size });
  }
  const file = (f: { file_id: string; file_unique_id: string; file_size?: number; file_name?: string; mime_type?: string } | undefined, kind: string, ext: string, mime: string) => {
    if (f) out.push({ fileId: f.file_id, name: f.file_name || `${kind}-${f.file_unique_id}.${ext}`, mimeType: f.mime_type ?? mime, size: f.file_size });
  };
  file(m.document, 'document', 'bin', 'application/octet-stream');
  file(m.video, 'video', 'mp4', 'video/mp4');
  file(m.audio, 'audio', 'mp3', 'audio/mpeg');
  file(m.voice, 'voice', 'ogg', 'audio/ogg');
  file(m.video_note, 'video-note', 'mp4', 'video/mp4');
  return out;
}

/** Content with no text of its own still tells the manager something happened. */
function placeholder(m: TgMessage): string {
  if (m.sticker) return `[sticker${m.sticker.emoji ? ` ${m.sticker.emoji}` : ''}]`;
  if (m.location) return `[location ${m.location.latitude}, ${m.location.longitude}]`;
  if (m.contact) return `[contact ${fullName(m.contact.first_name, m.contact.last_name)} ${m.contact.phone_number}]`;
  return '';
}
