// Parity harness for email: a client's mail is a raw message delivered into a real Dovecot over LMTP, then one
// receive pass reads it over IMAP (deterministic and bounded: no waiting on IDLE). A reply answers the last mail the
// client got (In-Reply-To, References, "Re: [#N] …"), as a mail client's Reply does. What we send is read from an
// SMTP sink and decoded: the signature (the manager's name) and the numbered-choice list undone.
// Where Dovecot is not installed (and CI doesn't require it), mails go through the same parse → thread → ingest path
// without IMAP, and the harness says so.
import { randomBytes } from 'node:crypto';
import type { ParsedMail } from 'mailparser';
import type { ChannelHarness, DeliveryAnswer, NeutralOutbound } from '../../test/parity/harness';
import { type Dovecot, dovecotSkipReason, startDovecot } from '../../test/support/dovecot';
import { SmtpSink } from '../../test/support/smtp-sink';
import type { TestService } from '../../test/support/service';
import { SIGNATURE } from './compose';
import { EMAIL_CAPABILITIES, type EmailInstance } from './index';
import { SUPPORT } from './test-support';


export interface EmailHarness extends ChannelHarness {
  readonly client: string;
  readonly sink: SmtpSink;
  /** Builds the client's next mail (a reply to the last mail it got, if any) without sending it. */
  mail(text: string, opts?: { urgency?: string; subject?: string }): { raw: string; messageId: string };
  /** Delivers a raw mail and runs one receive pass; the outcome of that mail. */
  deliver(raw: string, messageId: string): Promise<DeliveryAnswer>;
}

/** One mail the sink took, as the client reads it. */
export function decodeMail(parsed: ParsedMail): NeutralOutbound {
  let text = (parsed.text ?? '').replace(/\r\n/g, '\n').trimEnd();
  let author: string | null = null;
  const sig = text.lastIndexOf(SIGNATURE);
  if (sig >= 0) {
    author = text.slice(sig + SIGNATURE.length).split('\n')[0].trim() || null;
    text = text.slice(0, sig);
  }
  const choices: string[] = [];
  const lines = text.split('\n');
  // core's numbered fallback for buttons: "1. Set urgency: critical — send /urgency critical"
  while (lines.length) {
    const m = /^\d+\. .* — send (\/.+)$/.exec(lines[lines.length - 1]);
    if (!m) break;
    choices.unshift(m[1]);
    lines.pop();
  }
  return { text: lines.join('\n'), author, choices };
}

export default function emailHarness(): EmailHarness {
  const tag = randomBytes(4).toString('hex');
  const client = `pat.${tag}@parity-${tag}.example`;
  const sink = new SmtpSink();
  let dc: Dovecot | null = null;
  let t: TestService;
  let last: { raw: string; messageId: string } | null = null;
  let sent = 0;

  const instance = () => t.channelInstances.find((c) => c.name === 'email')!.instance as EmailInstance;
  const mine = () => sink.messages.filter((m) => m.to.includes(client));

  const deliver = async (raw: string, messageId: string): Promise<DeliveryAnswer> => {
    last = { raw, messageId };
    if (!dc) {
      const r = await instance().ingestRaw(Buffer.from(raw));
      return { status: 200, outcome: r.kind === 'ingested' ? r.outcome.status : 'unreadable' };
    }
    await dc.deliver(raw, SUPPORT);
    const items = await instance().receiveOnce();
    const item = items.find((i) => i.result.kind === 'ingested' && i.result.messageId === messageId);
    if (!item || item.result.kind !== 'ingested') throw new Error(`the receive pass did not ingest ${messageId}: ${JSON.stringify(items)}`);
    return { status: 200, outcome: item.result.outcome.status };
  };

  function mail(text: string, opts: { urgency?: string; subject?: string } = {}) {
    const messageId = `parity.${tag}.${++sent}.${randomBytes(4).toString('hex')}@parity-${tag}.example`;
    const answered = mine().at(-1)?.parsed;
    const refs = answered ? [...[answered.references ?? []].flat(), answered.messageId!].filter(Boolean) : [];
    const base = opts.subject ?? (answered ? `Re: ${answered.subject!.replace(/^Re:\s*/i, '')}` : text.split('\n')[0]);
    const subject = opts.urgency ? `[${opts.urgency}] ${base}` : base;
    const head = [
      `From: Pat Client <${client}>`,
      `To: Switchboard Support <${SUPPORT}>`,
      `Subject: ${subject}`,
      `Date: ${new Date().toUTCString()}`,
      `Message-ID: <${messageId}>`,
      ...(answered ? [`In-Reply-To: ${answered.messageId}`, `References: ${refs.join(' ')}`] : []),
      'MIME-Version: 1.0',
      'Content-Type: text/plain; charset=utf-8',
      'Content-Transfer-Encoding: 8bit',
    ];
    return { raw: `${head.join('\r\n')}\r\n\r\n${text.replace(/\r?\n/g, '\r\n')}\r\n`, messageId };
  }

  return {
    channel: 'email',
    capabilities: EMAIL_CAPABILITIES,
    client,
    sink,
    mail,
    deliver,
    async prepare() {
      await sink.start();
      const skip = dovecotSkipReason();
      let imap = { IMAP_HOST: '127.0.0.1', IMAP_PORT: '1', IMAP_USER: SUPPORT, IMAP_PASSWORD: 'unused' };
      if (skip) process.stdout.write(`\nemail parity: ${skip}; mails go through the adapter's parse → thread → ingest path without IMAP\n`);
      else {
        const started = await startDovecot({ users: [SUPPORT] });
        if (!started.available) throw new Error(started.skipReason);
        dc = started;
        imap = { IMAP_HOST: dc.imap.host, IMAP_PORT: String(dc.imap.port), IMAP_USER: SUPPORT, IMAP_PASSWORD: dc.users[0].password };
      }
      return {
        ...imap, IMAP_TLS: 'false',
        SMTP_HOST: sink.host, SMTP_PORT: String(sink.port), SMTP_TLS: 'false',
        EMAIL_FROM: `Switchboard Support <${SUPPORT}>`,
      };
    },
    start: async (service) => void (t = service),
    async link(svc, clientId) {
      const res = await svc.admin('POST', `/api/v1/clients/${clientId}/links`, { channel: 'email', key: client });
      expect([200, 201]).toContain(res.status);
    },
    clientSays: (text, opts = {}) => {
      const m = mail(text, opts);
      return deliver(m.raw, m.messageId);
    },
    choose: (value) => {
      const m = mail(value);
      return deliver(m.raw, m.messageId);
    },
    redeliverLast: () => deliver(last!.raw, last!.messageId),
    received: () => mine().map((m) => decodeMail(m.parsed)),
    async stop() {
      await Promise.all([dc?.stop(), sink.stop()]);
    },
  };
}
