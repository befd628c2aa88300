// IMAP_*, SMTP_* and EMAIL_* environment → the email channel's configuration. Ports default from the TLS mode, the
// way providers document them (993 / 143 for IMAP, 465 / 587 for SMTP).
import addressparser from 'nodemailer/lib/addressparser';
import { z } from 'zod';

export type TlsMode = 'tls' | 'starttls' | 'none';

export interface EmailConfig {
  imap: { host: string; port: number; tls: TlsMode; user: string; password: string; mailbox: string };
  /** Where processed mail is moved; unset: it stays in the mailbox, flagged \Seen. */
  processedMailbox: string | null;
  smtp: { host: string; port: number; tls: TlsMode; user: string | null; password: string | null };
  from: { name: string; address: string };
  /** Mails larger than this are imported from their headers only (with a note); the mail stays in the mailbox. */
  maxMessageBytes: number;
  /** Attachments up to this size get a link; larger ones are named in the text and stay in the mailbox. */
  attachmentLimitBytes: number;
  /** Automatic mails (acknowledgements, notices) one address gets per hour at most: the last guard against loops. */
  autoReplyLimit: number;
  watchdogMs: number;
}

export const EMAIL_REQUIRED = ['IMAP_HOST', 'IMAP_USER', 'IMAP_PASSWORD', 'SMTP_HOST', 'EMAIL_FROM'] as const;
export const EMAIL_OPTIONAL = [
  'IMAP_PORT', 'IMAP_TLS', 'IMAP_MAILBOX', 'IMAP_PROCESSED_MAILBOX', 'IMAP_WATCHDOG_SECONDS',
  'SMTP_PORT', 'SMTP_TLS', 'SMTP_USER', 'SMTP_PASSWORD',
  'EMAIL_MAX_MESSAGE_BYTES', 'EMAIL_ATTACHMENT_LIMIT_BYTES', 'EMAIL_AUTO_REPLY_LIMIT',
] as const;

const MB = 1024 * 1024;

const tls = (name: string) =>
  z
    .string()
    .transform((v) => v.trim().toLowerCase())
    .refine((v) => ['true', 'false', 'starttls', '1', '0', 'yes', 'no'].includes(v), `${name} must be true (TLS from the start), starttls, or false (plaintext, for a local test server)`)
    .transform((v): TlsMode => (v === 'starttls' ? 'starttls' : ['true', '1', 'yes'].includes(v) ? 'tls' : 'none'));

const port = (name: string) => z.coerce.number({ message: `${name} must be a port number` }).int().min(1, `${name} must be 1 to 65535`).max(65535, `${name} must be 1 to 65535`);
const positive = (name: string, max: number) => z.coerce.number({ message: `${name} must be a number` }).int().positive(`${name} must be positive`).max(max, `${name} must be at most ${max}`);

export function parseFrom(v: string): { name: string; address: string } | null {
  const [first] = addressparser(v);
  if (!first || first.group) return null;
  const address = first.address.trim().toLowerCase();
  return /^[^\s@]+@[^\s@]+$/.test(address) ? { name: first.name.trim(), address } : null;
}

export const emailSchema = z
  .object({
    IMAP_HOST: z.string().min(1),
    IMAP_USER: z.string().min(1),
    IMAP_PASSWORD: z.string().min(1),
    IMAP_PORT: port('IMAP_PORT').optional(),
    IMAP_TLS: tls('IMAP_TLS').optional(),
    IMAP_MAILBOX: z.string().min(1).max(200).optional(),
    IMAP_PROCESSED_MAILBOX: z.string().min(1).max(200).optional(),
    IMAP_WATCHDOG_SECONDS: positive('IMAP_WATCHDOG_SECONDS', 3600).optional(),
    SMTP_HOST: z.string().min(1),
    SMTP_PORT: port('SMTP_PORT').optional(),
    SMTP_TLS: tls('SMTP_TLS').optional(),
    SMTP_USER: z.string().min(1).optional(),
    SMTP_PASSWORD: z.string().min(1).optional(),
    EMAIL_FROM: z.string().min(3),
    EMAIL_MAX_MESSAGE_BYTES: positive('EMAIL_MAX_MESSAGE_BYTES', 200 * MB).optional(),
    EMAIL_ATTACHMENT_LIMIT_BYTES: positive('EMAIL_ATTACHMENT_LIMIT_BYTES', 200 * MB).optional(),
    EMAIL_AUTO_REPLY_LIMIT: positive('EMAIL_AUTO_REPLY_LIMIT', 1000).optional(),
  })
  .superRefine((e, ctx) => {
    if (!parseFrom(e.EMAIL_FROM)) ctx.addIssue({ code: 'custom', path: ['EMAIL_FROM'], message: 'EMAIL_FROM must be an address, e.g. "Acme Support <support@acme.com>"' });
    if (!!e.SMTP_USER !== !!e.SMTP_PASSWORD)
      ctx.addIssue({ code: 'custom', path: [e.SMTP_USER ? 'SMTP_PASSWORD' : 'SMTP_USER'], message: 'SMTP_USER and SMTP_PASSWORD go together (neither: send without logging in, to a local relay)' });
    if (e.IMAP_PROCESSED_MAILBOX && e.IMAP_PROCESSED_MAILBOX === (e.IMAP_MAILBOX ?? 'INBOX'))
      ctx.addIssue({ code: 'custom', path: ['IMAP_PROCESSED_MAILBOX'], message: 'IMAP_PROCESSED_MAILBOX must differ from IMAP_MAILBOX' });
  })
  .transform((e): EmailConfig => {
    const imapTls = e.IMAP_TLS ?? 'tls';
    const smtpTls = e.SMTP_TLS ?? 'starttls';
    return {
      imap: {
        host: e.IMAP_HOST, port: e.IMAP_PORT ?? (imapTls === 'tls' ? 993 : 143), tls: imapTls,
        user: e.IMAP_USER, password: e.IMAP_PASSWORD, mailbox: e.IMAP_MAILBOX ?? 'INBOX',
      },
      processedMailbox: e.IMAP_PROCESSED_MAILBOX ?? null,
      smtp: {
        host: e.SMTP_HOST, port: e.SMTP_PORT ?? (smtpTls === 'tls' ? 465 : smtpTls === 'starttls' ? 587 : 25), tls: smtpTls,
        user: e.SMTP_USER ?? null, password: e.SMTP_PASSWORD ?? null,
      },
      from: parseFrom(e.EMAIL_FROM)!,
      maxMessageBytes: e.EMAIL_MAX_MESSAGE_BYTES ?? 25 * MB,
      attachmentLimitBytes: e.EMAIL_ATTACHMENT_LIMIT_BYTES ?? 10 * MB,
      autoReplyLimit: e.EMAIL_AUTO_REPLY_LIMIT ?? 5,
      watchdogMs: (e.IMAP_WATCHDOG_SECONDS ?? 60) * 1000,
    };
  });
