// A composed message → a mail: our own Message-ID, In-Reply-To and References chained onto the thread, the case
// token in the subject (how a reply that lost its headers still finds its case), the manager's name as the sender's
// display name and as a signature, a text part and an HTML part. Automatic mail says so (RFC 3834).
import { createHmac } from 'node:crypto';
import type { SendMailOptions } from 'nodemailer';
import type { OutboundMessage } from '../../src/core/ports';
import { domainOf, MAX_THREAD_IDS, unique, type EmailAddress } from './address';

/** The RFC 3676 signature separator: mail clients dim what follows and leave it out of quotes. */
export const SIGNATURE = '\n\n-- \n';

/** Mail a person didn't write (acknowledgements, notices, status lists): no author. */
export const isAutomatic = (msg: OutboundMessage) => !msg.author;

/** The same outbox row always gets the same id, so a retry after an unknown outcome reads as the same mail. */
export function ourMessageId(salt: string, idempotencyKey: string, caseNumber: number | undefined, fromAddress: string): string {
  const h = createHmac('sha256', salt).update(idempotencyKey).digest('base64url').replace(/[-_]/g, '').slice(0, 22);
  return `sb.${caseNumber ?? 0}.${h}@${domainOf(fromAddress) || 'switchboard.invalid'}`;
}

export function subjectFor(to: EmailAddress, caseNumber: number | undefined): string {
  const base = to.subject || (caseNumber ? 'Your support request' : 'Support');
  return `${to.thread.length ? 'Re: ' : ''}${caseNumber ? `[#${caseNumber}] ` : ''}${base}`;
}

export function composeMail(from: { name: string; address: string }, to: EmailAddress, msg: OutboundMessage, messageId: string): SendMailOptions {
  const author = msg.author?.name.trim() || null;
  const inReplyTo = msg.replyTo?.externalId ?? to.thread[to.thread.length - 1];
  const references = unique([...to.thread.slice(0, 1), ...to.thread.slice(1 - MAX_THREAD_IDS), ...(inReplyTo ? [inReplyTo] : [])]);
  const signature = author ? [author, from.name].filter(Boolean).join('\n') : null;
  const text = signature ? `${msg.text}${SIGNATURE}${signature}` : msg.text;
  return {
    messageId: `<${messageId}>`,
    from: { name: author ? (from.name ? `${author} (${from.name})` : author) : from.name, address: from.address },
    to: { name: to.name, address: to.to },
    subject: subjectFor(to, msg.caseNumber),
    ...(inReplyTo ? { inReplyTo: `<${inReplyTo}>`, references: references.map((r) => `<${r}>`) } : {}),
    text,
    html: html(msg.text, signature),
    headers: isAutomatic(msg)
      ? {
        'Auto-Submitted': 'auto-replied',
        // Exchange and Outlook: no out-of-office answers to this; bounces (NDRs) still come, they matter.
        'X-Auto-Response-Suppress': 'OOF, AutoReply',
      }
      : {},
  };
}

const escape = (s: string) => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

function linkify(escaped: string): string {
  return escaped.replace(/\bhttps?:\/\/[^\s<>"']+[^\s<>"'.,;:!?)]/g, (u) => `<a href="${u}">${u}</a>`);
}

function html(text: string, signature: string | null): string {
  const paragraphs = text.split(/\n{2,}/).map((p) => `<p style="margin:0 0 1em">${linkify(escape(p)).replace(/\n/g, '<br>\n')}</p>`);
  const sig = signature ? `<p style="margin:1.5em 0 0;color:#555">-- <br>\n${escape(signature).replace(/\n/g, '<br>\n')}</p>` : '';
  return `<!doctype html><html><body><div style="font-family:Arial,Helvetica,sans-serif;font-size:14px;line-height:1.45">\n${paragraphs.join('\n')}\n${sig}</div></body></html>`;
}
