// A parsed mail and its thread → a channel-neutral envelope. The text core triages and the manager reads is the new
// text of the mail (quoted history and signature stripped). The full text is not lost: the mail stays in the
// mailbox (never deleted) and the message carries a link to it ("full-message.txt") whenever anything was stripped.
import { parseClientCommand } from '../../src/core/client-actions';
import { isUrgency, type Urgency } from '../../src/core/model';
import type { InboundEnvelope } from '../../src/core/ports';
import type { Attachment } from '../../src/core/records';
import { domainOf, linkKeysOf, type EmailAddress } from './address';
import type { LinkSigner, MailRef } from './files';
import type { Automation } from './loops';
import type { ParsedEmail } from './parse';
import { stripReply } from './strip';
import { CASE_TOKEN, type Thread } from './thread';

export interface NormalizeContext {
  scope: string;
  /** Our own addresses: never where a reply goes, whatever Reply-To says. */
  ours: ReadonlySet<string>;
  attachmentLimitBytes: number;
  maxMessageBytes: number;
  links: LinkSigner;
  now: Date;
}

const URGENCY_TAG = /\[(critical|high|medium|low|informational|info|feature)\]/i;
const REPLY_PREFIX = /^\s*((re|fwd?|aw|wg|sv|vs|tr|antw|ответ|отв|пер)(\s*\[\d+\])?\s*:\s*)+/i;

/** The subject without Re:/Fwd: prefixes, case tokens and urgency tags: what our replies' subjects are built on. */
export function baseSubject(subject: string): string {
  let s = subject.replace(new RegExp(CASE_TOKEN.source, 'g'), ' ').replace(new RegExp(URGENCY_TAG.source, 'gi'), ' ');
  for (let i = 0; i < 5 && REPLY_PREFIX.test(s); i++) s = s.replace(REPLY_PREFIX, '').trim();
  return s.replace(/\s+/g, ' ').trim().slice(0, 300);
}

export function urgencyTag(subject: string): Urgency | undefined {
  const tag = URGENCY_TAG.exec(subject)?.[1].toLowerCase();
  const u = tag === 'info' ? 'informational' : tag;
  return isUrgency(u) ? u : undefined;
}

const mb = (n: number) => `${Math.round((n / 1024 / 1024) * 10) / 10} MB`;

export function toEnvelope(
  p: ParsedEmail, thread: Thread, auto: Automation, ref: MailRef, ctx: NormalizeContext, extra: { cursor?: InboundEnvelope['cursor']; size?: number } = {},
): InboundEnvelope {
  const from = p.from!;
  const subject = baseSubject(p.subject);
  const stripped = stripReply(p.text);
  const firstLine = stripped.split('\n').find((l) => l.trim())?.trim() ?? '';
  // Core runs no commands for automated senders; their text stays whole.
  const command = !auto.automated && firstLine.startsWith('/') ? parseClientCommand(firstLine) : null;

  const files: Attachment[] = [];
  const full: Attachment[] = [];
  const notes: string[] = [];
  let text: string;
  if (command) {
    // SPEC §6 commands on the first line; /feature takes the rest of the mail as its text.
    text = command.name === 'feature' ? stripped : firstLine;
  } else {
    text = stripped;
    // A new thread's subject is often the summary ("Tracking is down"): it heads the text triage reads.
    if (thread.via === 'new' && subject && !text.toLowerCase().startsWith(subject.toLowerCase())) text = text ? `${subject}\n\n${text}` : subject;
    if (p.text && stripped !== p.text) full.push(ctx.links.fullText(ref, Buffer.byteLength(p.text)));
  }
  if (p.headersOnly)
    notes.push(`[This mail is ${mb(extra.size ?? 0)}, over the ${mb(ctx.maxMessageBytes)} import limit: only its headers were read. It stays in the mailbox.]`);
  for (const a of p.attachments) {
    if (a.size > ctx.attachmentLimitBytes) notes.push(`[Not imported: ${a.name} (${mb(a.size)}), over the ${mb(ctx.attachmentLimitBytes)} attachment limit. It stays in the mailbox.]`);
    else files.push(ctx.links.attachment(ref, a));
  }
  const attachments = [...files, ...full];
  if (notes.length) text = [text, ...notes].filter(Boolean).join('\n\n');
  if (!text && !attachments.length) text = subject || '(an empty mail)';

  const replyTo = p.replyTo && !ctx.ours.has(p.replyTo) && !ctx.ours.has(p.replyTo.replace(/\+[^@]*@/, '@')) ? p.replyTo : null;
  const address: EmailAddress = { to: replyTo ?? from.address, name: from.name, subject, thread: thread.thread };
  const domain = domainOf(from.address);
  return {
    channel: 'email',
    // An identity is the address itself: a colleague at the same domain is a contact of its own (a client's domain
    // is tied to it through a link key instead, so a gmail.com sender never joins another gmail.com sender's client).
    account: from.address,
    deliveryId: p.messageId,
    deliveryScope: ctx.scope,
    conversationKey: thread.conversationKey,
    address,
    sender: { externalId: from.address, name: from.name || from.address, email: from.address, timeZone: null, isSelf: auto.self, isAutomated: auto.automated },
    accountName: from.name ? `${from.name} (${domain})` : domain,
    linkKeys: linkKeysOf(from.address),
    cursor: extra.cursor,
    platformMessageIds: [{ scope: ctx.scope, externalId: p.messageId }],
    text,
    attachments,
    urgency: command ? undefined : urgencyTag(p.subject),
    receivedAt: ctx.now,
  };
}
