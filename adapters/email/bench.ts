// Email ingest rate for the lead's bench: N raw mails through the receiver's own path (parse → loop signals →
// thread lookup → envelope → core ingest), without IMAP, on whatever database the service runs. Mails are a mix the
// way a support mailbox sees them: new threads from a few hundred clients, and replies that thread by In-Reply-To.
//
//   const svc = await createService({ ..., channelEnv: { IMAP_HOST: 'x', IMAP_USER: 'support@bench.test', ... } });
//   const r = await benchEmailIngest(svc, { mails: 2000 });   // { mails, seconds, perSecond, outcomes }
import type { Service } from '../../src/services';
import type { EmailInstance } from './index';

export interface EmailBenchResult {
  mails: number;
  seconds: number;
  perSecond: number;
  /** Ingest outcomes by status ('stored', 'duplicate', ...). */
  outcomes: Record<string, number>;
}

/** The environment that enables the channel for a bench (nothing is contacted: no receiver runs, nothing is sent). */
export const BENCH_EMAIL_ENV = {
  IMAP_HOST: '127.0.0.1', IMAP_PORT: '1', IMAP_USER: 'support@bench.test', IMAP_PASSWORD: 'unused', IMAP_TLS: 'false',
  SMTP_HOST: '127.0.0.1', SMTP_PORT: '1', SMTP_TLS: 'false', EMAIL_FROM: 'Bench Support <support@bench.test>',
};

/** The i-th mail of a bench run: a new thread, or (every other mail) a reply to the sender's previous one. */
export function benchMail(i: number, run: string, clients = 200): { raw: Buffer; messageId: string } {
  const c = i % clients;
  const messageId = `bench.${run}.${i}@client${c}.bench.test`;
  const previous = i >= clients ? `bench.${run}.${i - clients}@client${c}.bench.test` : null;
  const reply = previous && i % 2 === 1;
  const head = [
    `From: Client ${c} <user${c}@client${c}.bench.test>`,
    'To: Bench Support <support@bench.test>',
    `Subject: ${reply ? 'Re: ' : ''}The dashboard numbers look wrong since this morning`,
    'Date: Mon, 23 Nov 2026 11:00:00 +0300',
    `Message-ID: <${messageId}>`,
    ...(reply ? [`In-Reply-To: <${previous}>`, `References: <${previous}>`] : []),
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=utf-8',
    'Content-Transfer-Encoding: quoted-printable',
  ];
  const body = 'Hello,\r\n\r\nThe dashboard numbers look wrong since this morning, can you check?\r\n\r\nBest regards,\r\nClient\r\n\r\n' +
    (reply ? `On Mon, 23 Nov 2026 at 10:00, Bench Support <support@bench.test> wrote:\r\n> We are looking into it.\r\n` : '');
  return { raw: Buffer.from(`${head.join('\r\n')}\r\n\r\n${body}`), messageId };
}

export async function benchEmailIngest(service: Service, opts: { mails: number; clients?: number; concurrency?: number }): Promise<EmailBenchResult> {
  const found = service.channelInstances.find((c) => c.name === 'email');
  if (!found) throw new Error('the email channel is not enabled in this service (give it BENCH_EMAIL_ENV)');
  const email = found.instance as EmailInstance;
  const run = Math.random().toString(36).slice(2, 8);
  const mails = Array.from({ length: opts.mails }, (_, i) => benchMail(i, run, opts.clients));
  const outcomes: Record<string, number> = {};
  let next = 0;
  // The receiver ingests one mail at a time, in UID order; concurrency > 1 measures what the database allows.
  const worker = async () => {
    for (let i = next++; i < mails.length; i = next++) {
      const r = await email.ingestRaw(mails[i].raw, i + 1);
      const key = r.kind === 'ingested' ? r.outcome.status : r.kind;
      outcomes[key] = (outcomes[key] ?? 0) + 1;
    }
  };
  const started = process.hrtime.bigint();
  await Promise.all(Array.from({ length: Math.max(1, opts.concurrency ?? 1) }, worker));
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return { mails: opts.mails, seconds, perSecond: opts.mails / seconds, outcomes };
}
