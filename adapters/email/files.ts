// Attachments and full texts stay in the mailbox (processed mail is never deleted): a message carries signed links
// to our route, which fetches the mail from IMAP only when someone opens one — by UID when the mailbox still has it
// there, else by Message-ID (the mail was moved to the processed folder, or the mailbox was rebuilt).
import { createHmac } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { describeError } from '../../src/core/errors';
import { sameSecret } from '../../src/http/compare';
import type { Logger } from '../../src/core/ports';
import type { Attachment } from '../../src/core/records';
import type { EmailConfig } from './config';
import type { KeyRing } from './keys';
import { closeImap, newImap } from './imap';
import { simpleParser } from 'mailparser';
import { parseMail, type MailAttachment } from './parse';

export const FILES_PATH = '/files/email';

/** Where a mail was read: enough to find it again. */
export interface MailRef {
  messageId: string;
  mailbox: string;
  uidValidity?: string;
  uid?: number;
}

interface LinkRef {
  m: string;
  b: string;
  v?: string;
  u?: number;
  /** An attachment's index and checksum, or 'full' for the whole text. */
  i: number | 'full';
  c?: string;
}

const SAFE_TYPES = /^(image\/(jpeg|png|gif|webp)|application\/pdf|text\/plain)$/;

/** Signs links with one key (the current one, for one mail). */
export class LinkSigner {
  constructor(private readonly key: Buffer, private readonly baseUrl: string) {}

  sign(token: string): string {
    return createHmac('sha256', this.key).update(token).digest('base64url').slice(0, 32);
  }

  verify(token: string, sig: unknown): LinkRef | null {
    if (typeof sig !== 'string' || !sameSecret(this.sign(token), sig)) return null;
    try {
      return JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as LinkRef;
    } catch {
      return null;
    }
  }

  private url(ref: LinkRef, name: string): string {
    const token = Buffer.from(JSON.stringify(ref)).toString('base64url');
    // In the query, not the path: a Message-ID can be long, and path parameters are capped at 100 characters.
    return `${this.baseUrl}${FILES_PATH}?${new URLSearchParams({ name, ref: token, sig: this.sign(token) })}`;
  }

  private base(r: MailRef) {
    return { m: r.messageId, b: r.mailbox, ...(r.uidValidity ? { v: r.uidValidity } : {}), ...(r.uid ? { u: r.uid } : {}) };
  }

  attachment(r: MailRef, a: MailAttachment): Attachment {
    return { name: a.name, url: this.url({ ...this.base(r), i: a.index, c: a.checksum }, a.name), mimeType: a.mimeType, size: a.size };
  }

  fullText(r: MailRef, size: number): Attachment {
    return { name: 'full-message.txt', url: this.url({ ...this.base(r), i: 'full' }, 'full-message.txt'), mimeType: 'text/plain', size };
  }
}

/** Links signed with the channel's stored key (see keys.ts). */
export class FileLinks {
  constructor(private readonly ring: KeyRing, private readonly baseUrl: string) {}

  async signer(): Promise<LinkSigner> {
    return new LinkSigner((await this.ring.current()).linkKey, this.baseUrl);
  }

  async verify(token: string, sig: unknown): Promise<LinkRef | null> {
    // Every instance signs with the one stored key (KeyRing reads it before the channel serves anything).
    return (await this.signer()).verify(token, sig);
  }
}

/** The raw mail a link refers to, or null when the mailbox no longer has it. */
export async function fetchMail(cfg: EmailConfig, ref: LinkRef): Promise<Buffer | null> {
  const client = newImap(cfg.imap, { connectTimeoutMs: 10_000 });
  try {
    await client.connect();
    for (const mailbox of [...new Set([ref.b, cfg.imap.mailbox, ...(cfg.processedMailbox ? [cfg.processedMailbox] : [])])]) {
      const box = await client.mailboxOpen(mailbox, { readOnly: true }).catch(() => null);
      if (!box) continue;
      const uids: number[] = [];
      if (ref.u && ref.v === String(box.uidValidity)) uids.push(ref.u);
      if (!ref.m.startsWith('sha256:')) uids.push(...((await client.search({ header: { 'message-id': ref.m } }, { uid: true })) || []));
      for (const uid of uids) {
        const msg = await client.fetchOne(String(uid), { source: true }, { uid: true });
        if (msg && msg.source && (await sameMail(msg.source, ref.m))) return msg.source;
      }
    }
    return null;
  } finally {
    await closeImap(client);
  }
}

async function sameMail(source: Buffer, messageId: string): Promise<boolean> {
  if (messageId.startsWith('sha256:')) return true;
  const head = await simpleParser(source.subarray(0, Math.min(source.length, 256 * 1024)).toString('latin1').split(/\r?\n\r?\n/)[0] + '\r\n\r\n');
  return head.messageId === `<${messageId}>`;
}

export async function fileRoutes(app: FastifyInstance, d: { cfg: EmailConfig; links: FileLinks; log: Logger }): Promise<void> {
  app.get<{ Querystring: { ref?: string; sig?: string; name?: string } }>(FILES_PATH, async (req, reply) => {
    const ref = typeof req.query.ref === 'string' ? await d.links.verify(req.query.ref, req.query.sig) : null;
    if (!ref) return reply.code(403).send({ error: 'this file link is not valid' });
    let raw: Buffer | null;
    try {
      raw = await fetchMail(d.cfg, ref);
    } catch (err) {
      d.log.warn({ channel: 'email', err: describeError(err) }, 'email: could not fetch a mail for a file link');
      return reply.code(502).send({ error: 'the mailbox did not answer; try again later' });
    }
    if (!raw) return reply.code(404).send({ error: 'the mail is no longer in the mailbox' });
    reply.header('cache-control', 'private, max-age=300').header('x-content-type-options', 'nosniff');
    if (ref.i === 'full') return reply.type('text/plain; charset=utf-8').send((await parseMail(raw)).text);
    const found = (await simpleParser(raw)).attachments.find((a) => a.checksum === ref.c);
    if (!found) return reply.code(404).send({ error: 'the attachment is no longer in the mail' });
    if (found.content.length > d.cfg.attachmentLimitBytes) return reply.code(413).send({ error: 'the attachment is over the size limit' });
    const name = String(req.query.name ?? found.filename ?? 'attachment').replace(/[\u0000-\u001f\u007f]/g, '_');
    return reply
      .type(SAFE_TYPES.test(found.contentType) ? found.contentType : 'application/octet-stream')
      .header('content-disposition', `attachment; filename*=UTF-8''${encodeURIComponent(name)}`)
      .send(found.content);
  });
}
