// A raw mail → the facts the channel works with (mailparser decodes MIME, transfer encodings and any charset it
// knows). No I/O and no decisions here: threading, loops and the envelope are built from this.
import { simpleParser, type ParsedMail } from 'mailparser';
import { messageIds, normalizeAddress, sha256, unique } from './address';
import { tidy } from './strip';

export interface MailAttachment {
  index: number;
  name: string;
  mimeType: string;
  size: number;
  checksum: string;
}

export interface ParsedEmail {
  /** Without angle brackets; `sha256:<hex>` of the content when the mail has none. */
  messageId: string;
  inReplyTo: string[];
  references: string[];
  /** Message-IDs named inside a delivery report's returned headers: the mail of ours that bounced. */
  reportedIds: string[];
  subject: string;
  from: { address: string; name: string } | null;
  replyTo: string | null;
  /** To, Cc, Delivered-To and X-Original-To addresses. */
  recipients: string[];
  /** The whole body as text (the plain part, else the HTML part as text), tidied. */
  text: string;
  attachments: MailAttachment[];
  /** Raw header values by lowercase name, unfolded, in order. */
  headers: Map<string, string[]>;
  contentType: string;
  /** Only the headers were read (the mail is over the size limit). */
  headersOnly: boolean;
}

export class UnparseableMail extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UnparseableMail';
  }
}

function headerMap(parsed: ParsedMail): Map<string, string[]> {
  const map = new Map<string, string[]>();
  for (const { key, line } of parsed.headerLines ?? []) {
    const colon = line.indexOf(':');
    const value = (colon < 0 ? '' : line.slice(colon + 1)).replace(/\r?\n[ \t]+/g, ' ').trim();
    const k = key.toLowerCase();
    map.set(k, [...(map.get(k) ?? []), value]);
  }
  return map;
}

const addressesOf = (field: ParsedMail['to']): string[] =>
  (Array.isArray(field) ? field : field ? [field] : []).flatMap((a) => a.value.flatMap((v) => [v.address, ...(v.group ?? []).map((g) => g.address)]))
    .filter((x): x is string => !!x)
    .map(normalizeAddress);

// The parts of a delivery report are the report, not files the client sent.
const REPORT_PARTS = /^(message\/(delivery-status|disposition-notification|rfc822|global-headers|global-delivery-status)|text\/rfc822-headers)$/i;

const INLINE_DECORATION_BYTES = 16 * 1024;

export async function parseMail(raw: Buffer, opts: { headersOnly?: boolean } = {}): Promise<ParsedEmail> {
  let parsed: ParsedMail;
  try {
    parsed = await simpleParser(raw, { skipImageLinks: true, skipTextToHtml: true, maxHtmlLengthToParse: 2 * 1024 * 1024 });
  } catch (err) {
    throw new UnparseableMail(`MIME could not be decoded (${(err as Error).message})`);
  }
  const headers = headerMap(parsed);
  const fromValue = parsed.from?.value.find((v) => v.address);
  const from = fromValue?.address ? { address: normalizeAddress(fromValue.address), name: (fromValue.name ?? '').trim() } : null;
  const contentType = (headers.get('content-type')?.[0] ?? 'text/plain').split(';')[0].trim().toLowerCase();
  const isReport = contentType === 'multipart/report';
  const text = tidy(parsed.text ?? '');

  const reportedIds: string[] = [];
  const attachments: MailAttachment[] = [];
  for (const a of parsed.attachments ?? []) {
    if (isReport && REPORT_PARTS.test(a.contentType)) {
      const head = a.content.subarray(0, 64 * 1024).toString('latin1');
      reportedIds.push(...messageIds(/^message-id:\s*(.+)$/im.exec(head)?.[1]));
      continue;
    }
    // Small inline images (cid:) are signature logos and layout; a pasted screenshot is inline too, but larger.
    if (a.related && (a.size ?? a.content.length) < INLINE_DECORATION_BYTES) continue;
    attachments.push({
      index: attachments.length, name: safeName(a.filename, attachments.length, a.contentType), mimeType: a.contentType || 'application/octet-stream',
      size: a.size ?? a.content.length, checksum: a.checksum ?? sha256(a.content),
    });
  }

  const ownId = messageIds(parsed.messageId)[0];
  return {
    // Without a Message-ID, what a redelivery or a rescan of the same mail keeps the same: its origin and content.
    messageId: ownId ?? `sha256:${sha256([from?.address ?? '', headers.get('date')?.[0] ?? '', parsed.subject ?? '', text, ...attachments.map((a) => a.checksum)].join('\n'))}`,
    inReplyTo: messageIds(parsed.inReplyTo),
    references: messageIds(parsed.references),
    reportedIds: unique(reportedIds),
    subject: tidy(parsed.subject ?? '').replace(/\s+/g, ' '),
    from,
    replyTo: addressesOf(parsed.replyTo)[0] ?? null,
    recipients: unique([
      ...addressesOf(parsed.to), ...addressesOf(parsed.cc),
      ...[...(headers.get('delivered-to') ?? []), ...(headers.get('x-original-to') ?? [])].map(normalizeAddress),
    ]),
    text,
    attachments,
    headers,
    contentType,
    headersOnly: !!opts.headersOnly,
  };
}

function safeName(filename: string | undefined, index: number, mimeType: string): string {
  const clean = (filename ?? '').replace(/[\u0000-\u001f\u007f/\\]/g, '_').trim().slice(0, 200);
  if (clean) return clean;
  const ext = /^image\/(png|jpeg|gif)$/.exec(mimeType)?.[1] ?? (mimeType === 'application/pdf' ? 'pdf' : 'bin');
  return `attachment-${index + 1}.${ext === 'jpeg' ? 'jpg' : ext}`;
}
