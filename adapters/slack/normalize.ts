// A Slack event in a linked shared channel → what it is to us: a client's message (or an edit or deletion of one), a
// staff member answering in a client's thread, or nothing. People whose organisation (`user_team`, else `team`)
// is not the vendor's are the client's; the vendor's own people are staff. Our bot's posts coming back are echoes,
// other apps' posts automated. Pure: the listener has already looked up the link, the vendor identity, the
// sender's name and the shared files' details.
import { fromSlackMarkup } from '../../src/console/slack/app';
import { isUrgency, type Urgency } from '../../src/core/model';
import type { InboundEnvelope } from '../../src/core/ports';
import type { Attachment } from '../../src/core/records';
import { conversationKey, type SlackAddress } from './address';
import { isVendor, type VendorIdentity } from './identity';

export interface SlackMessage {
  type: 'message';
  subtype?: string;
  channel: string;
  ts: string;
  thread_ts?: string;
  user?: string;
  text?: string | null;
  bot_id?: string | null;
  username?: string;
  bot_profile?: { name?: string; team_id?: string };
  team?: string;
  user_team?: string;
  files?: SlackFile[];
  message?: Omit<SlackMessage, 'channel' | 'type'> & { type?: string };
  previous_message?: Omit<SlackMessage, 'channel' | 'type'> & { type?: string };
  deleted_ts?: string;
}

export interface SlackFile {
  id: string;
  name?: string | null;
  title?: string | null;
  permalink?: string | null;
  url_private?: string | null;
  mimetype?: string | null;
  size?: number | null;
  file_access?: string;
}

export interface EventBody {
  event_id: string;
  team_id?: string;
  authorizations?: { team_id?: string | null }[];
  is_ext_shared_channel?: boolean;
  event: SlackMessage;
}

export type Classified =
  | { kind: 'client'; envelope: InboundEnvelope }
  | { kind: 'staff'; user: string; channel: string; ts: string; rootTs: string; conversationKey: string; text: string }
  | { kind: 'ignore'; reason: string };

/** Subtypes that are a person's message; everything else (joins, topics, pins…) is the channel's housekeeping. */
const SPOKEN = new Set([undefined, 'file_share', 'thread_broadcast', 'me_message']);
export const isSpoken = (subtype: string | undefined) => SPOKEN.has(subtype);

export interface Context {
  me: VendorIdentity;
  now: Date;
  /** The sender's display name (from the event's user_profile, else users.info). */
  name: string;
  /** The message's files as links, details completed where Slack withheld them. */
  attachments: Attachment[];
}

export function classify(body: EventBody, ctx: Context): Classified {
  const e = body.event;
  if (e.subtype === 'message_changed') return change(body, ctx, 'edit');
  if (e.subtype === 'message_deleted') return change(body, ctx, 'delete');
  const bot = e.subtype === 'bot_message' || !!e.bot_id;
  if (!bot && !isSpoken(e.subtype)) return { kind: 'ignore', reason: `${e.subtype} is not a message` };
  const rootTs = e.thread_ts ?? e.ts;
  const key = conversationKey(ctx.me.teamId, e.channel, rootTs);
  const text = fromSlackMarkup(e.text ?? '');
  if (bot) {
    const ours = (!!e.bot_id && e.bot_id === ctx.me.botId) || (!!e.user && e.user === ctx.me.botUserId);
    const team = e.team ?? e.bot_profile?.team_id;
    // Another app of the vendor's posting in the channel is neither the client nor a manager.
    if (!ours && isVendor(ctx.me, team)) return { kind: 'ignore', reason: "another of the vendor's apps" };
    return client(body, ctx, { key, rootTs, text, account: team ?? '', sender: { externalId: e.bot_id ?? e.user ?? 'bot', name: e.username ?? e.bot_profile?.name ?? 'bot', isSelf: ours, isAutomated: !ours } });
  }
  if (!e.user) return { kind: 'ignore', reason: 'no author' };
  const team = e.user_team ?? e.team;
  if (!team) return { kind: 'ignore', reason: "no author's organisation" };
  if (isVendor(ctx.me, team)) {
    // Staff write top-level posts to the client as they like; only an answer in a client's thread is a case's.
    if (rootTs === e.ts) return { kind: 'ignore', reason: 'a staff post outside a thread' };
    return { kind: 'staff', user: e.user, channel: e.channel, ts: e.ts, rootTs, conversationKey: key, text };
  }
  if (!text.trim() && !ctx.attachments.length) return { kind: 'ignore', reason: 'nothing said' };
  return client(body, ctx, { key, rootTs, text, account: team, sender: { externalId: e.user, name: ctx.name, isSelf: false, isAutomated: false }, urgency: urgencyTag(text) });
}

function client(
  body: EventBody, ctx: Context,
  m: { key: string; rootTs: string; text: string; account: string; sender: InboundEnvelope['sender']; urgency?: Urgency },
): Classified {
  const e = body.event;
  const address: SlackAddress = { channel: e.channel, thread_ts: m.rootTs };
  return {
    kind: 'client',
    envelope: {
      channel: 'slack',
      account: m.account,
      // event_ids are unique within the workspace the app is installed in.
      deliveryId: body.event_id,
      deliveryScope: ctx.me.teamId,
      conversationKey: m.key,
      address,
      sender: m.sender,
      linkKeys: [e.channel],
      platformMessageIds: [{ scope: e.channel, externalId: e.ts }],
      text: m.text,
      attachments: ctx.attachments,
      ...(m.urgency ? { urgency: m.urgency } : {}),
      receivedAt: ctx.now,
    },
  };
}

/**
 * An edit (`message_changed`) or a deletion (`message_deleted`; a thread root with replies is instead replaced by a
 * "tombstone", which Slack reports as a change) of a message. Only a client's own are passed on: core changes
 * only messages it stored as a client's.
 */
function change(body: EventBody, ctx: Context, kind: 'edit' | 'delete'): Classified {
  const e = body.event;
  const m = kind === 'edit' ? e.message : e.previous_message;
  const target = kind === 'edit' ? m?.ts : e.deleted_ts;
  if (!m || !target) return { kind: 'ignore', reason: `a ${e.subtype} without its message` };
  const tombstone = kind === 'edit' && m.subtype === 'tombstone';
  const author = tombstone ? e.previous_message : m;
  if (author?.bot_id) return { kind: 'ignore', reason: 'a bot changed its post' };
  const team = author?.user_team ?? author?.team;
  if (isVendor(ctx.me, team)) return { kind: 'ignore', reason: 'staff changed their post' };
  const rootTs = m.thread_ts ?? target;
  const text = tombstone || kind === 'delete' ? '' : fromSlackMarkup(m.text ?? '');
  return {
    kind: 'client',
    envelope: {
      channel: 'slack',
      account: team ?? '',
      deliveryId: body.event_id,
      deliveryScope: ctx.me.teamId,
      conversationKey: conversationKey(ctx.me.teamId, e.channel, rootTs),
      address: { channel: e.channel, thread_ts: rootTs } satisfies SlackAddress,
      sender: { externalId: author?.user ?? 'unknown', name: ctx.name, isSelf: false, isAutomated: false },
      linkKeys: [e.channel],
      change: { kind: tombstone ? 'delete' : kind, target: { scope: e.channel, externalId: target } },
      platformMessageIds: [],
      text,
      attachments: ctx.attachments,
      receivedAt: ctx.now,
    },
  };
}

/** `#critical` … `#feature` in the text is the client's explicit urgency, like an email's `[critical]` subject tag. */
export function urgencyTag(text: string): Urgency | undefined {
  const m = /(?:^|\s)#([a-z]+)(?=[\s.,!?;:]|$)/gi;
  for (const hit of text.matchAll(m)) {
    const u = hit[1].toLowerCase();
    if (isUrgency(u)) return u;
  }
  return undefined;
}

/** The message whose author, files and subtype an event is about (the changed one for an edit). */
export function subjectOf(e: SlackMessage): { user?: string; files?: SlackFile[] } {
  if (e.subtype === 'message_changed') return { user: e.message?.user, files: e.message?.files };
  if (e.subtype === 'message_deleted') return { user: e.previous_message?.user };
  return { user: e.user, files: e.files };
}
