// One composed message → one mail over SMTP (nodemailer, a connection per mail: the outbox drainer is the only place
// that retries, so no pooled connection may resend on its own). SMTP answers become DeliveryErrors the drainer
// understands: 4xx and network failures retry with backoff; a permanent refusal (5xx) fails at once and core reports
// it to the manager on the case. A login the server refuses is our configuration, retried until it is fixed or the
// deadline passes.
import nodemailer, { type SendMailOptions, type Transporter } from 'nodemailer';
import { DeliveryError, type Logger, type OutboundMessage, type SendResult } from '../../src/core/ports';
import { domainOf, parseAddress, type EmailAddress } from './address';
import { composeMail, isAutomatic, ourMessageId } from './compose';
import type { EmailConfig } from './config';
import type { KeyRing } from './keys';
import type { AutoReplyThrottle } from './throttle';

export interface SendDeps {
  cfg: EmailConfig;
  scope: string;
  /** The salt of our Message-IDs (see keys.ts). */
  keys: KeyRing;
  throttle: AutoReplyThrottle;
  log: Logger;
}

export function smtpTransport(cfg: EmailConfig['smtp']): Transporter {
  return nodemailer.createTransport({
    host: cfg.host,
    port: cfg.port,
    secure: cfg.tls === 'tls',
    requireTLS: cfg.tls === 'starttls',
    ignoreTLS: cfg.tls === 'none',
    ...(cfg.user ? { auth: { user: cfg.user, pass: cfg.password ?? '' } } : {}),
    connectionTimeout: 8000,
    greetingTimeout: 8000,
    socketTimeout: 20_000,
  });
}

/** Addresses' local parts stay out of what is logged and shown; the domain says enough. */
const redact = (s: string) => s.replace(/[^\s<>"'(),;:]+@([^\s<>"'(),;:]+)/g, '…@$1');

export function toDeliveryError(err: unknown, signal: AbortSignal): DeliveryError {
  if (err instanceof DeliveryError) return err;
  if (signal.aborted) return new DeliveryError('the SMTP server did not answer in time', true);
  const e = err as { responseCode?: number; code?: string; response?: string; message?: string };
  const said = redact(String(e.response ?? e.message ?? err)).slice(0, 300);
  const code = e.responseCode;
  if (e.code === 'EAUTH' || code === 530 || code === 535 || code === 534)
    return new DeliveryError(`the SMTP server refused our login (${said}); check SMTP_USER and SMTP_PASSWORD`, true);
  if (typeof code === 'number' && code >= 500) return new DeliveryError(`the SMTP server refused the mail permanently: ${said}`, false);
  if (typeof code === 'number' && code >= 400) return new DeliveryError(`the SMTP server deferred the mail: ${said}`, true);
  if (e.code === 'EENVELOPE' || e.code === 'EMESSAGE') return new DeliveryError(`the mail can't be sent: ${said}`, false);
  return new DeliveryError(`the SMTP server is unreachable: ${said}`, true);
}

type Opts = { idempotencyKey: string; signal: AbortSignal };

export function createSend(d: SendDeps, transport: Transporter) {
  return async function send(address: unknown, msg: OutboundMessage, opts: Opts): Promise<SendResult> {
    const to = parseAddress(address);
    if (!to) throw new DeliveryError('the case has no valid email address to reply to', false);
    const messageId = ourMessageId((await d.keys.current()).idSalt, opts.idempotencyKey, msg.caseNumber, d.cfg.from.address);
    const mail = composeMail(d.cfg.from, to, msg, messageId);
    const go = () => deliver(d, transport, mail, to, msg, opts);
    if (isAutomatic(msg)) await d.throttle.exclusive(to.to, () => throttled(d, to, go));
    else await go();
    // Inbound Message-IDs live in the mailbox's scope: a reply naming this one in In-Reply-To finds its thread.
    return { externalIds: [messageId], scope: d.scope };
  };
}

async function throttled(d: SendDeps, to: EmailAddress, go: () => Promise<void>): Promise<void> {
  if (!(await d.throttle.allows(to.to)))
    throw new DeliveryError(`automatic mail to this address held back: ${d.throttle.limit} went out within the last hour (mail loop protection)`, false);
  await go();
  // The mail went out: a count that can't be written must not make the drainer send it again.
  await d.throttle.record(to.to).catch((err) => d.log.warn({ channel: 'email', err: String(err) }, 'email: could not count an automatic mail'));
}

async function deliver(d: SendDeps, transport: Transporter, mail: SendMailOptions, to: EmailAddress, msg: OutboundMessage, opts: Opts): Promise<void> {
  // nodemailer can't be cancelled: the drainer's deadline (or a lost lease) stops the wait, and the outbox retries.
  const aborted = new Promise<never>((_, reject) => {
    if (opts.signal.aborted) reject(opts.signal.reason);
    opts.signal.addEventListener('abort', () => reject(opts.signal.reason), { once: true });
  });
  // The deadline may fire after the mail went out: nobody waits on it then.
  aborted.catch(() => undefined);
  try {
    await Promise.race([transport.sendMail(mail), aborted]);
  } catch (err) {
    const failure = toDeliveryError(err, opts.signal);
    d.log.warn({ channel: 'email', toDomain: domainOf(to.to), caseNumber: msg.caseNumber, retryable: failure.retryable, err: failure.message }, 'email: send failed');
    throw failure;
  }
}
