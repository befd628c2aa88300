// The email client channel (SPEC §6, §7): a mailbox read over IMAP (IDLE, one instance at a time) and replies sent
// over SMTP. A conversation is a mail thread; a client is found by the sender's address or a linked mail domain.
import { defineChannel, type ChannelDeps, type ChannelInstance } from '../../src/channels/module';
import type { ChannelCapabilities } from '../../src/core/ports';
import { scopeOf } from './address';
import { EMAIL_OPTIONAL, EMAIL_REQUIRED, emailSchema, type EmailConfig } from './config';
import { FileLinks, fileRoutes } from './files';
import { processMail, type InboundDeps, type Processed } from './inbound';
import { KeyRing } from './keys';
import { DEFAULT_RECEIVE, MailboxReceiver, type PassItem, type ReceiveOptions } from './receive';
import { createSend, smtpTransport } from './send';
import { AutoReplyThrottle } from './throttle';

export type { EmailConfig } from './config';
export type { EmailAddress } from './address';

export const EMAIL_CAPABILITIES: ChannelCapabilities = {
  // Choices become a numbered list of commands the client can reply with.
  buttons: false,
  threads: true,
  // Files from managers go out as links in the text (core composes them).
  attachments: false,
  maxTextLength: 50_000,
  // We render the HTML part from plain text ourselves.
  markup: 'none',
  proactive: true,
  echoesOwnSends: false,
};

export interface EmailInstance extends ChannelInstance {
  /** A receiver on the same mailbox with other timings (tests: a fast watchdog and backoff). */
  receiverWith(opts: Partial<ReceiveOptions>): MailboxReceiver;
  /** One pass over the mailbox, then logout: deterministic, for the parity harness and tests. */
  receiveOnce(): Promise<PassItem[]>;
  /** A raw mail through the same path as the receiver's, without IMAP (the ingest benchmark). */
  ingestRaw(raw: Buffer, uid?: number): Promise<Processed>;
}

export default defineChannel<EmailConfig>({
  name: 'email',
  env: { required: EMAIL_REQUIRED, optional: EMAIL_OPTIONAL, schema: emailSchema },
  capabilities: EMAIL_CAPABILITIES,
  create: (deps) => createEmail(deps),
});

export async function createEmail(deps: ChannelDeps<EmailConfig>): Promise<EmailInstance> {
  const { config: cfg, log } = deps;
  const keys = new KeyRing(deps.state);
  // Made (or read) before anything is received or sent, so a start-up against an unreachable database fails here.
  await keys.current();
  const scope = scopeOf(cfg.imap.user);
  const ours = new Set([cfg.from.address, ...(scope.includes('@') ? [scope] : [])]);
  const links = new FileLinks(keys, (deps.publicUrl ?? '').replace(/\/+$/, ''));
  const inbound: InboundDeps = { cfg, scope, ours, links, channel: deps };
  const receiverWith = (opts: Partial<ReceiveOptions>) =>
    new MailboxReceiver({ ...inbound, state: deps.state, alertLead: deps.alertLead }, { ...DEFAULT_RECEIVE, watchdogMs: cfg.watchdogMs, ...opts });
  const receiver = receiverWith({});
  const transport = smtpTransport(cfg.smtp);
  const throttle = new AutoReplyThrottle(deps.state, cfg.autoReplyLimit, () => deps.clock.now());
  if (cfg.imap.tls === 'none' || cfg.smtp.tls === 'none')
    log.warn({ channel: 'email', imapTls: cfg.imap.tls, smtpTls: cfg.smtp.tls }, 'email: a mail server is reached without TLS; passwords cross the network in the clear');

  return {
    adapter: { kind: 'email', capabilities: EMAIL_CAPABILITIES, send: createSend({ cfg, scope, keys, throttle, log }, transport) },
    routes: (app) => fileRoutes(app, { cfg, links, log }),
    receivers: [receiver],
    receiverWith,
    receiveOnce: () => receiver.receiveOnce(),
    ingestRaw: (raw, uid) => processMail(inbound, raw, { mailbox: cfg.imap.mailbox, uid }),
    async close() {
      transport.close();
    },
    normalizeLinkKey: (key) => key.trim().toLowerCase(),
    describe: () =>
      `email (IMAP ${cfg.imap.host}:${cfg.imap.port} ${cfg.imap.mailbox}${cfg.processedMailbox ? ` → ${cfg.processedMailbox}` : ''}; SMTP ${cfg.smtp.host}:${cfg.smtp.port})`,
  };
}
