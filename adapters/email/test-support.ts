// What the email channel's tests share: a real Dovecot and the SMTP sink on loopback, the service built with the
// channel pointed at them, and a few readers of what a client and a manager would notice.
import { and, eq } from 'drizzle-orm';
import { ImapFlow } from 'imapflow';
import * as s from '../../src/db/schema';
import { type Dovecot, startDovecot } from '../../test/support/dovecot';
import { SmtpSink } from '../../test/support/smtp-sink';
import { startTestService, type TestService } from '../../test/support/service';
import { openTestDatabase } from '../../test/support/db';
import type { EmailInstance } from './index';
import type { PassItem } from './receive';

export const SUPPORT = 'support@example.test';

/** The email channel enabled but pointed nowhere: its routes exist; nothing reads a mailbox or sends a mail. */
export const EMAIL_ENV_NOWHERE = {
  IMAP_HOST: '127.0.0.1', IMAP_PORT: '1', IMAP_USER: SUPPORT, IMAP_PASSWORD: 'unused', IMAP_TLS: 'false',
  SMTP_HOST: '127.0.0.1', SMTP_PORT: '1', SMTP_TLS: 'false', EMAIL_FROM: `Support <${SUPPORT}>`,
};

export interface EmailTest {
  dc: Dovecot;
  sink: SmtpSink;
  t: TestService;
  env: Record<string, string>;
  managerId: string;
  email(): EmailInstance;
  /** Delivers a raw mail into the support mailbox over LMTP. */
  deliver(raw: string | Buffer): Promise<void>;
  /** One receive pass; the items it handled. */
  pass(): Promise<PassItem[]>;
  /** A premium client of the manager, tied to these mail link keys (addresses or domains). */
  client(name: string, keys: string[]): Promise<string>;
  caseView(number: number): Promise<any>;
  /** Stored messages of a case as rows (with isAutomated, which the API leaves out). */
  messages(caseNumber: number): Promise<(typeof s.messages.$inferSelect)[]>;
  /** How many stored messages carry this Message-ID (1 once ingested, never 2). */
  stored(messageId: string): Promise<number>;
  /** The mails the sink took for one recipient, oldest first. */
  mailsTo(address: string): SmtpSink['messages'];
  /** Stops the service and starts another on the same database (a deploy, a crash), with the same mailbox. */
  restartService(env?: Record<string, string>): Promise<void>;
  stop(): Promise<void>;
}

export async function startEmailTest(opts: { env?: Record<string, string>; start?: string } = {}): Promise<EmailTest> {
  const started = await startDovecot({ users: [SUPPORT] });
  if (!started.available) throw new Error(started.skipReason);
  const dc = started;
  const sink = await new SmtpSink().start();
  const env = {
    IMAP_HOST: dc.imap.host, IMAP_PORT: String(dc.imap.port), IMAP_USER: SUPPORT, IMAP_PASSWORD: dc.users[0].password, IMAP_TLS: 'false',
    SMTP_HOST: sink.host, SMTP_PORT: String(sink.port), SMTP_TLS: 'false', EMAIL_FROM: `Switchboard Support <${SUPPORT}>`,
    PUBLIC_URL: 'https://switchboard.test',
    ...opts.env,
  };
  // Ours, not the service's: a restarted service opens the same database.
  const db = await openTestDatabase();
  let t = await startTestService({ env, db, start: opts.start });
  const managerId = (await t.admin('POST', '/api/v1/managers', { name: 'Maria Petrova', timeZone: 'Europe/Moscow' })).json.id as string;
  const email = () => t.channelInstances.find((c) => c.name === 'email')!.instance as EmailInstance;
  const x: EmailTest = {
    dc, sink, env, managerId,
    get t() {
      return t;
    },
    email,
    deliver: (raw) => dc.deliver(raw, SUPPORT),
    pass: () => email().receiveOnce(),
    async client(name, keys) {
      const c = await t.admin('POST', '/api/v1/clients', { name, tier: 'premium', managerId });
      if (c.status !== 201) throw new Error(`client: ${c.status} ${c.text}`);
      for (const key of keys) {
        const l = await t.admin('POST', `/api/v1/clients/${c.json.id}/links`, { channel: 'email', key });
        if (l.status !== 201 && l.status !== 200) throw new Error(`link ${key}: ${l.status} ${l.text}`);
      }
      return c.json.id as string;
    },
    caseView: async (n) => (await t.admin('GET', `/api/v1/cases/${n}`)).json,
    async messages(n) {
      const [c] = await t.db.db.select().from(s.cases).where(eq(s.cases.number, n));
      return t.db.db.select().from(s.messages).where(eq(s.messages.caseId, c.id)).orderBy(s.messages.seq);
    },
    async stored(messageId) {
      const rows = await t.db.db.select().from(s.messagePlatformIds)
        .where(and(eq(s.messagePlatformIds.channel, 'email'), eq(s.messagePlatformIds.externalId, messageId), eq(s.messagePlatformIds.direction, 'inbound')));
      return rows.length;
    },
    mailsTo: (address) => sink.messages.filter((m) => m.to.includes(address)),
    async restartService(more = {}) {
      const at = t.clock.now();
      await t.close();
      t = await startTestService({ env: { ...env, ...more }, db, start: at.toISOString() });
    },
    async stop() {
      await t?.close();
      await db.close();
      await Promise.all([dc.stop(), sink.stop()]);
    },
  };
  return x;
}

let seq = 0;

/** A plain-text mail as a client's mail program writes it. */
export function rawMail(o: {
  from: string; name?: string; to?: string; subject: string; body: string; messageId?: string; inReplyTo?: string; references?: string[];
  headers?: Record<string, string>;
}): { raw: string; messageId: string } {
  const messageId = o.messageId ?? `t${process.pid}.${++seq}.${Math.random().toString(36).slice(2, 8)}@${o.from.split('@')[1]}`;
  const head = [
    `From: ${o.name ? `${o.name} <${o.from}>` : o.from}`,
    `To: ${o.to ?? SUPPORT}`,
    `Subject: ${o.subject}`,
    'Date: Mon, 23 Nov 2026 11:00:00 +0300',
    `Message-ID: <${messageId}>`,
    ...(o.inReplyTo ? [`In-Reply-To: <${o.inReplyTo}>`] : []),
    ...(o.references?.length ? [`References: ${o.references.map((r) => `<${r}>`).join(' ')}`] : []),
    ...Object.entries(o.headers ?? {}).map(([k, v]) => `${k}: ${v}`),
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=utf-8',
    'Content-Transfer-Encoding: 8bit',
  ];
  return { raw: `${head.join('\r\n')}\r\n\r\n${o.body.replace(/\r?\n/g, '\r\n')}\r\n`, messageId };
}

/** A Message-ID header value without its angle brackets. */
export const bare = (id: string | undefined) => (id ?? '').replace(/^<|>$/g, '');

/** A connection of our own to the support mailbox, as a person's mail program would have. */
export async function withImap<T>(dc: Dovecot, fn: (c: ImapFlow) => Promise<T>): Promise<T> {
  const c = new ImapFlow({ host: dc.imap.host, port: dc.imap.port, secure: false, doSTARTTLS: false, auth: { user: SUPPORT, pass: dc.users[0].password }, logger: false });
  c.on('error', () => undefined);
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.logout().catch(() => c.close());
  }
}

/** Polls until `check` holds (bounded): for the receiver running on its own, on real IDLE. */
export async function until(what: string, check: () => Promise<boolean> | boolean, timeoutMs = 8000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
