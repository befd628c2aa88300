// An SMTP server on loopback for outbound email tests (PLATFORMS.md §Email): plaintext (STARTTLS off), any or no
// AUTH, records every accepted message with its envelope and a mailparser parse, and answers the next N messages
// with a scripted 4xx (try later) or 5xx (give up) before accepting again.
//
//   const sink = await new SmtpSink().start();   // sink.host, sink.port → nodemailer { host, port, secure: false, ignoreTLS: true }
//   sink.refuseNext(2, 451);                    // two temporary failures, then messages are taken
//   await sink.waitFor(1);                      // sink.messages[0].parsed.subject ...
//   await sink.stop();
import type { AddressInfo } from 'node:net';
import { type ParsedMail, simpleParser } from 'mailparser';
import { SMTPServer, type SMTPServerSession } from 'smtp-server';

export interface SunkMessage {
  /** '' for a null sender (`MAIL FROM:<>`). */
  from: string;
  to: string[];
  /** The AUTH user, if the client logged in. */
  user?: string;
  raw: Buffer;
  parsed: ParsedMail;
  at: number;
}

export interface Refusal { code: number; message: string; stage: 'rcpt' | 'data' }
export interface Refused extends Refusal { from: string; to: string[]; at: number }

function smtpError(r: Refusal): Error {
  return Object.assign(new Error(r.message), { responseCode: r.code });
}

export class SmtpSink {
  readonly host = '127.0.0.1';
  port = 0;
  readonly messages: SunkMessage[] = [];
  readonly refused: Refused[] = [];
  private script: Refusal[] = [];
  private waiters = new Set<() => void>();
  private server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    hideSTARTTLS: true,
    logger: false,
    // A reverse DNS lookup of 127.0.0.1 per connection; no resolver may be reachable here.
    disableReverseLookup: true,
    // Without it close() waits 30 s for a pooled client to hang up.
    closeTimeout: 500,
    onAuth: (auth, _session, cb) => cb(null, { user: auth.username ?? 'anonymous' }),
    onRcptTo: (_address, session, cb) => {
      const next = this.script[0];
      if (next?.stage !== 'rcpt') return cb();
      this.script.shift();
      this.note(next, session, [_address.address]);
      cb(smtpError(next));
    },
    onData: (stream, session, cb) => {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('error', cb);
      // The whole message must be read before answering, or the connection stalls.
      stream.on('end', () => {
        const next = this.script[0]?.stage === 'data' ? this.script.shift() : undefined;
        const to = session.envelope.rcptTo.map((a) => a.address);
        if (next) {
          this.note(next, session, to);
          return cb(smtpError(next));
        }
        const raw = Buffer.concat(chunks);
        simpleParser(raw).then((parsed) => {
          const from = session.envelope.mailFrom ? session.envelope.mailFrom.address : '';
          this.messages.push({ from, to, user: session.user as string | undefined, raw, parsed, at: Date.now() });
          this.wake();
          cb();
        }, cb);
      });
    },
  });

  async start(): Promise<this> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(0, this.host, () => resolve());
    });
    this.port = (this.server.server.address() as AddressInfo).port;
    return this;
  }

  /** The next `n` messages get `code` (4xx temporary, 5xx permanent) at the end of DATA, or per recipient at RCPT. */
  refuseNext(n: number, code: number, opts: { message?: string; stage?: 'rcpt' | 'data' } = {}): void {
    const message = opts.message ?? (code >= 500 ? 'Mailbox unavailable (scripted)' : 'Try again later (scripted)');
    for (let i = 0; i < n; i++) this.script.push({ code, message, stage: opts.stage ?? 'data' });
  }

  /** Resolves when at least `n` messages have been accepted. */
  waitFor(n: number, timeoutMs = 3000): Promise<SunkMessage[]> {
    return new Promise((resolve, reject) => {
      const check = () => {
        if (this.messages.length < n) return;
        this.waiters.delete(check);
        clearTimeout(timer);
        resolve(this.messages.slice(0, n));
      };
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        reject(new Error(`SMTP sink: ${this.messages.length} of ${n} messages after ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiters.add(check);
      check();
    });
  }

  async stop(): Promise<void> {
    if (!this.server.server.listening) return;
    await new Promise<void>((r) => this.server.close(() => r()));
  }

  private note(r: Refusal, session: SMTPServerSession, to: string[]): void {
    const from = session.envelope.mailFrom ? session.envelope.mailFrom.address : '';
    this.refused.push({ ...r, from, to, at: Date.now() });
  }

  private wake(): void {
    for (const w of [...this.waiters]) w();
  }
}
