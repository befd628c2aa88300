// An authenticated Bot Framework activity → what core takes: a client message (text, files, a button press), a change
// to one (messageUpdate / messageDelete), the welcome when the bot joins a conversation, or nothing (typing and the
// rest). Deterministic and free of I/O; the activity's serviceUrl and channelId come from the verified request.
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { URGENCIES, type Urgency } from '../../src/core/model';
import type { InboundEnvelope } from '../../src/core/ports';
import type { Attachment } from '../../src/core/records';
import { isValidZone } from '../../src/core/zones';
import { CHANNEL, conversationKey, linkKeysOf, messageScope, type BotFrameworkAddress } from './address';
import { choiceOf } from './cards';

export class InvalidActivity extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidActivity';
  }
}

export type Normalized = { kind: 'envelope'; envelope: InboundEnvelope; welcome: boolean } | { kind: 'ignored'; reason: string };

const id = (max = 500) => z.string().min(1).max(max);
const account = z.object({ id: id(), name: z.string().max(500).optional(), aadObjectId: z.string().max(200).optional(), role: z.string().max(50).optional() });

// Only what we read; everything else in an activity is left alone.
const activitySchema = z.object({
  type: id(100),
  id: id().optional(),
  timestamp: z.string().max(100).optional(),
  channelId: id(100),
  from: account.optional(),
  recipient: account,
  conversation: z.object({
    id: id(1000),
    conversationType: z.string().max(100).optional(),
    tenantId: z.string().max(200).optional(),
    isGroup: z.boolean().optional(),
    name: z.string().max(500).optional(),
  }),
  text: z.string().max(100_000).optional(),
  locale: z.string().max(50).optional(),
  localTimezone: z.string().max(100).optional(),
  value: z.unknown().optional(),
  attachments: z
    .array(z.object({ contentType: z.string().max(300), contentUrl: z.string().optional(), name: z.string().max(1000).optional(), content: z.unknown().optional() }))
    .max(100)
    .optional(),
  entities: z.array(z.record(z.string(), z.unknown())).max(100).optional(),
  channelData: z
    .object({
      tenant: z.object({ id: z.string().max(200).optional() }).optional(),
      team: z.object({ id: z.string().max(500).optional(), name: z.string().max(500).optional() }).optional(),
      eventType: z.string().max(100).optional(),
    })
    .optional(),
  membersAdded: z.array(account).max(1000).optional(),
});

export type Activity = z.infer<typeof activitySchema>;

export interface Verified {
  channelId: string;
  serviceUrl: string;
}

export function parseActivity(body: unknown): Activity {
  const parsed = activitySchema.safeParse(body);
  if (!parsed.success) throw new InvalidActivity(parsed.error.issues.map((i) => `${i.path.join('.') || 'activity'}: ${i.message}`).join('; '));
  return parsed.data;
}

export function normalizeActivity(body: unknown, verified: Verified, now: Date): Normalized {
  const a = parseActivity(body);
  switch (a.type) {
    case 'message':
      return message(a, verified, now);
    case 'messageUpdate':
    case 'messageDelete':
      return change(a, verified, now);
    case 'conversationUpdate':
      return joined(a, verified, now);
    // typing, invoke, installationUpdate, messageReaction, event, endOfConversation: nothing a case needs.
    default:
      return { kind: 'ignored', reason: `${a.type} activity` };
  }
}

function message(a: Activity, v: Verified, now: Date): Normalized {
  if (!a.id) throw new InvalidActivity('id: a message needs an id');
  const press = choiceOf(a.value);
  if (a.value !== undefined && press === null && !a.text?.trim()) return { kind: 'ignored', reason: 'a card action that is not ours' };
  const text = press ?? withoutBotMention(a);
  const attachments = press ? [] : attachmentsOf(a);
  if (!text && !attachments.length) return { kind: 'ignored', reason: 'empty message' };
  const base = common(a, v, now, a.id);
  // `#high` in a message is the client's explicit choice, like an email's `[high]` subject tag; commands and button
  // presses say what they mean themselves.
  const urgency = press || text.trimStart().startsWith('/') ? undefined : urgencyTag(text);
  return { kind: 'envelope', welcome: false, envelope: { ...base, text, attachments, ...(urgency ? { urgency } : {}) } };
}

function change(a: Activity, v: Verified, now: Date): Normalized {
  if (!a.id) throw new InvalidActivity(`id: a ${a.type} needs the id of the message it changes`);
  // Teams restores a soft-deleted message with a messageUpdate; the message is still stored as it was.
  if (a.type === 'messageUpdate' && a.channelData?.eventType === 'undeleteMessage') return { kind: 'ignored', reason: 'undelete' };
  const edit = a.type === 'messageUpdate';
  const text = edit ? withoutBotMention(a) : '';
  const attachments = edit ? attachmentsOf(a) : [];
  // An edit keeps the message's id: each version of the text is a delivery of its own, a redelivery of one is not.
  const deliveryId = edit ? `edit:${a.id}:${digest(`${a.timestamp ?? ''}\n${text}`)}` : `delete:${a.id}`;
  const base = common(a, v, now, deliveryId);
  return {
    kind: 'envelope',
    welcome: false,
    envelope: { ...base, platformMessageIds: [], text, attachments, change: { kind: edit ? 'edit' : 'delete', target: { scope: base.deliveryScope, externalId: a.id } } },
  };
}

/** The bot added to a chat, a team or a Web Chat: core answers `/start` with a short welcome and the commands. */
function joined(a: Activity, v: Verified, now: Date): Normalized {
  if (!a.membersAdded?.some((m) => m.id === a.recipient.id)) return { kind: 'ignored', reason: 'conversationUpdate without the bot joining' };
  if (!a.from) return { kind: 'ignored', reason: 'conversationUpdate with nobody to welcome' };
  // Without an id, one welcome per conversation.
  const deliveryId = a.id ?? `joined:${digest(a.conversation.id)}`;
  return { kind: 'envelope', welcome: true, envelope: { ...common(a, v, now, deliveryId), text: '/start', attachments: [] } };
}

function common(a: Activity, v: Verified, now: Date, deliveryId: string): Omit<InboundEnvelope, 'text' | 'attachments'> {
  const from = a.from;
  if (!from) throw new InvalidActivity(`from: a ${a.type} needs its sender`);
  const teams = v.channelId === 'msteams';
  const tenantId = a.conversation.tenantId ?? a.channelData?.tenant?.id ?? undefined;
  const scope = messageScope(v.channelId, a.conversation.id);
  const address: BotFrameworkAddress = {
    serviceUrl: v.serviceUrl,
    channelId: v.channelId,
    conversation: {
      id: a.conversation.id,
      ...(a.conversation.conversationType ? { conversationType: a.conversation.conversationType } : {}),
      ...(tenantId ? { tenantId } : {}),
      ...(a.conversation.isGroup !== undefined ? { isGroup: a.conversation.isGroup } : {}),
    },
    bot: { id: a.recipient.id, ...(a.recipient.name ? { name: a.recipient.name } : {}) },
    user: { id: from.id, ...(from.name ? { name: from.name } : {}), ...(from.aadObjectId ? { aadObjectId: from.aadObjectId } : {}) },
    ...(a.locale ? { locale: a.locale } : {}),
  };
  const isSelf = from.id === a.recipient.id;
  // In Teams a person is their Azure AD object id within their tenant. Elsewhere (Web Chat, Direct Line) the user id
  // is whatever the hosting page set, so it identifies a person but no company: no shared account.
  const externalId = (teams ? from.aadObjectId : undefined) ?? from.id;
  const name = from.name?.trim() || externalId;
  return {
    channel: CHANNEL,
    account: teams ? (tenantId ?? '') : '',
    deliveryId,
    deliveryScope: scope,
    conversationKey: conversationKey(v.channelId, a.conversation.id),
    address,
    sender: { externalId, name, timeZone: timeZoneOf(a), isSelf, isAutomated: !isSelf && from.role === 'bot' },
    accountName: accountNameOf(a, teams, name),
    linkKeys: linkKeysOf(a.conversation.id, teams ? tenantId : undefined),
    platformMessageIds: [{ scope, externalId: deliveryId }],
    receivedAt: now,
  };
}

/**
 * Teams puts `<at>Name</at>` in the text for every mention. The bot's own is how a channel or group chat addresses it,
 * not part of what the client says: removed. Anyone else's stays as their name.
 */
export function withoutBotMention(a: Pick<Activity, 'text' | 'entities' | 'recipient'>): string {
  let text = a.text ?? '';
  for (const e of a.entities ?? []) {
    const mentioned = e.mentioned as { id?: unknown } | undefined;
    if (e.type !== 'mention' || mentioned?.id !== a.recipient.id || typeof e.text !== 'string' || !e.text) continue;
    const at = text.indexOf(e.text);
    if (at >= 0) text = text.slice(0, at) + text.slice(at + e.text.length).replace(/^ /, '');
  }
  return text.replace(/<at>([^<]*)<\/at>/g, '$1').trim();
}

const TEAMS_FILE = 'application/vnd.microsoft.teams.file.download.info';
const MIME: Record<string, string> = {
  pdf: 'application/pdf', png: 'image/png', jpg: 'image/jpeg', jpeg: 'image/jpeg', gif: 'image/gif', txt: 'text/plain', csv: 'text/csv',
  zip: 'application/zip', json: 'application/json', log: 'text/plain',
  docx: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  pptx: 'application/vnd.openxmlformats-officedocument.presentationml.presentation',
};

/**
 * Files as references (name, type, content URL), never downloaded: Teams' own HTML rendering of the message and cards
 * are not files; a URL that isn't a web link isn't kept (it would not open in Slack either).
 */
export function attachmentsOf(a: Pick<Activity, 'attachments'>): Attachment[] {
  const out: Attachment[] = [];
  for (const x of a.attachments ?? []) {
    const type = x.contentType.toLowerCase();
    if (type === 'text/html' || type.startsWith('application/vnd.microsoft.card.')) continue;
    const content = (x.content ?? {}) as { downloadUrl?: unknown; fileType?: unknown };
    const url = x.contentUrl ?? (typeof content.downloadUrl === 'string' ? content.downloadUrl : undefined);
    if (!url || url.length > 2000 || !/^https?:\/\/[^\s]+$/i.test(url) || !URL.canParse(url)) continue;
    const name = (x.name?.trim() || decodeURIComponent(new URL(url).pathname.split('/').pop() || '') || 'file').slice(0, 500);
    const ext = typeof content.fileType === 'string' ? content.fileType.toLowerCase() : (name.split('.').pop() ?? '').toLowerCase();
    const mimeType = type === TEAMS_FILE ? MIME[ext] : x.contentType.slice(0, 200);
    out.push({ name, url, ...(mimeType ? { mimeType } : {}) });
  }
  return out;
}

const TAG = new RegExp(`(?:^|\\s)#(${URGENCIES.join('|')})(?![\\w-])`, 'i');

function urgencyTag(text: string): Urgency | undefined {
  const m = TAG.exec(text);
  return m ? (m[1].toLowerCase() as Urgency) : undefined;
}

function timeZoneOf(a: Activity): string | null {
  const info = a.entities?.find((e) => e.type === 'clientInfo');
  for (const zone of [info?.timezone, a.localTimezone]) if (isValidZone(zone)) return zone;
  return null;
}

/** What a client onboarded from this conversation is called until a manager renames it (SPEC §8). */
function accountNameOf(a: Activity, teams: boolean, sender: string): string {
  if (teams) return a.channelData?.team?.name?.trim() || a.conversation.name?.trim() || `${sender} (Microsoft Teams)`;
  const where = a.channelId === 'webchat' ? 'Web Chat' : a.channelId === 'directline' ? 'Direct Line' : a.channelId;
  return `${sender} (${where})`;
}

const digest = (s: string) => createHash('sha256').update(s).digest('base64url').slice(0, 22);
