// The email channel's test peers work end to end on loopback: a real Dovecot fed over LMTP and read with imapflow
// (IDLE, UIDVALIDITY across a restart, the `N:*` trap), and the SMTP sink taken and refused by nodemailer.
// No product code here: this guards the ground the email adapter's tests stand on.
import { ImapFlow } from 'imapflow';
import { simpleParser } from 'mailparser';
import nodemailer from 'nodemailer';
import { fixtureNames, loadFixture } from '../../adapters/email/fixtures';
import { type Dovecot, dovecotSkipReason, startDovecot } from '../support/dovecot';
import { SmtpSink } from '../support/smtp-sink';

const skip = dovecotSkipReason();
const suite = skip ? describe.skip : describe;
const STEP_MS = 10_000;

suite(`email test peers${skip ? ` (skipped: ${skip})` : ''}`, () => {
  let dc: Dovecot;
  let sink: SmtpSink;
  const clients = new Set<ImapFlow>();
  let support: { user: string; password: string };

  function imap(opts: Partial<ConstructorParameters<typeof ImapFlow>[0]> = {}): ImapFlow {
    const c = new ImapFlow({
      host: dc.imap.host,
      port: dc.imap.port,
      secure: false,
      doSTARTTLS: false,
      auth: { user: support.user, pass: support.password },
      logger: false,
      connectionTimeout: 3000,
      greetingTimeout: 3000,
      ...opts,
    });
    // An unhandled 'error' would crash the worker; the tests look at 'close' instead.
    c.on('error', () => undefined);
    clients.add(c);
    return c;
  }

  async function uids(c: ImapFlow, after: number): Promise<number[]> {
    const out: number[] = [];
    for await (const m of c.fetch(`${after + 1}:*`, { uid: true }, { uid: true })) if (m.uid > after) out.push(m.uid);
    return out;
  }

  beforeAll(async () => {
    const started = await startDovecot();
    if (!started.available) throw new Error(started.skipReason);
    dc = started;
    support = dc.users[0];
    sink = await new SmtpSink().start();
  }, STEP_MS);

  afterAll(async () => {
    for (const c of clients) c.close();
    await Promise.all([dc?.stop(), sink?.stop()]);
  });

  test('fixtures delivered over LMTP come back through IMAP, parsed', async () => {
    const gmail = loadFixture('gmail-reply', { TO: support.user, IN_REPLY_TO: 'sb.1042.1@example.test' });
    const outlook = loadFixture('outlook-reply', { TO: support.user });
    await dc.deliver(gmail.raw, support.user);
    await dc.deliver(outlook.raw, support.user);

    const c = imap();
    await c.connect();
    const box = await c.mailboxOpen('INBOX');
    expect(typeof box.uidValidity).toBe('bigint');
    expect(box.exists).toBe(2);
    const got = await c.fetchAll('1:*', { uid: true, source: true });
    const [g, o] = await Promise.all(got.map((m) => simpleParser(m.source!)));

    expect(g.messageId).toBe(`<${gmail.messageId}>`);
    expect(g.inReplyTo).toBe('<sb.1042.1@example.test>');
    expect(g.references).toEqual([expect.stringContaining('@mail.gmail.com>'), '<sb.1042.1@example.test>']);
    expect(g.text).toContain('On Tue, 3 Mar 2026 at 14:05, Maria Petrova');
    // Dovecot writes the LMTP envelope sender as Return-Path.
    expect(g.headers.get('return-path')).toMatchObject({ value: [{ address: 'ivan.petrov@acme.example' }] });

    expect(o.inReplyTo).toBeUndefined();
    expect(o.references).toBeUndefined();
    expect(o.subject).toBe('RE: [#1042] Не работает трекинг');
    expect(o.from?.value[0]).toMatchObject({ name: 'Ольга Смирнова', address: 'o.smirnova@client-corp.example' });
    expect(o.text).toContain('Проблема повторилась сегодня в 9:40');
    expect(o.text).toMatch(/From: Switchboard Support <support@example\.test>\r?\nSent: /);
    await c.logout();
  }, STEP_MS);

  test('IDLE notices a new message within two seconds; fetch past the last uid must still be filtered', async () => {
    const c = imap({ autoIdleDelay: 100 });
    await c.connect();
    await c.mailboxOpen('INBOX');
    const last = Math.max(...(await uids(c, 0)));
    // `N:*` with N above every uid still answers the highest message (RFC 3501 ranges are unordered).
    const past: number[] = [];
    for await (const m of c.fetch(`${last + 1}:*`, { uid: true }, { uid: true })) past.push(m.uid);
    expect(past).toEqual([last]);
    expect(await uids(c, last)).toEqual([]);

    const exists = new Promise<number>((resolve) => c.once('exists', () => resolve(Date.now())));
    await new Promise((r) => setTimeout(r, 300)); // let auto-IDLE start, so the server pushes rather than a poll
    const sent = Date.now();
    await dc.deliver(loadFixture('apple-mail-reply', { TO: support.user }).raw, support.user);
    expect((await exists) - sent).toBeLessThan(2000);
    const fresh = await uids(c, last);
    expect(fresh).toEqual([last + 1]);

    const [apple] = await c.fetchAll(String(fresh[0]), { source: true }, { uid: true });
    const parsed = await simpleParser(apple.source!);
    expect(parsed.html).toContain('<blockquote type="cite">');
    expect(parsed.text).toContain('Confirmed — events are arriving again');
    await c.logout();
  }, STEP_MS);

  test('doveadm save files a bounce into another folder with its empty Return-Path', async () => {
    await dc.save(loadFixture('bounce', { TO: support.user }).raw, support.user, 'Junk');
    const c = imap();
    await c.connect();
    await c.mailboxOpen('Junk');
    const [m] = await c.fetchAll('1:*', { source: true });
    const parsed = await simpleParser(m.source!);
    expect(parsed.headers.get('content-type')).toMatchObject({ value: 'multipart/report' });
    expect(String(m.source).match(/^Return-Path: <>$/m)).not.toBeNull();
    await c.logout();
  }, STEP_MS);

  test('a Dovecot restart closes the client; a new ImapFlow sees the same UIDVALIDITY and mail', async () => {
    const c = imap({ autoIdleDelay: 100 });
    await c.connect();
    const before = await c.mailboxOpen('INBOX');
    const closed = new Promise<void>((r) => c.once('close', () => r()));
    await dc.restart();
    await closed;
    expect(c.usable).toBe(false);

    // An ImapFlow instance cannot reconnect: the adapter makes a new one on 'close'.
    const again = imap();
    await again.connect();
    const after = await again.mailboxOpen('INBOX');
    expect(after.uidValidity).toBe(before.uidValidity);
    expect(after.uidNext).toBe(before.uidNext);
    expect(after.exists).toBe(before.exists);
    await again.logout();
  }, STEP_MS);

  test('the SMTP sink records and parses what nodemailer sends, and refuses 4xx then 5xx when told', async () => {
    const smtp = nodemailer.createTransport({ host: sink.host, port: sink.port, secure: false, ignoreTLS: true, auth: { user: 'sb', pass: 'x' } });
    const mail = (n: number) => ({
      from: 'Switchboard Support <support@example.test>',
      to: 'ivan.petrov@acme.example',
      subject: `[#1042] Reply ${n}`,
      text: 'We deployed a fix.',
      messageId: `<sb.1042.${n}@example.test>`,
      inReplyTo: '<client.1@acme.example>',
      references: ['<client.1@acme.example>'],
      headers: { 'Auto-Submitted': 'auto-replied' },
    });
    try {
      await smtp.sendMail(mail(1));
      const [m] = await sink.waitFor(1);
      expect(m).toMatchObject({ from: 'support@example.test', to: ['ivan.petrov@acme.example'], user: 'sb' });
      expect(m.parsed.messageId).toBe('<sb.1042.1@example.test>');
      expect(m.parsed.inReplyTo).toBe('<client.1@acme.example>');
      expect(m.parsed.headers.get('auto-submitted')).toBe('auto-replied');

      sink.refuseNext(1, 451);
      sink.refuseNext(1, 550);
      await expect(smtp.sendMail(mail(2))).rejects.toMatchObject({ responseCode: 451 });
      await expect(smtp.sendMail(mail(3))).rejects.toMatchObject({ responseCode: 550 });
      sink.refuseNext(1, 450, { stage: 'rcpt' });
      await expect(smtp.sendMail(mail(4))).rejects.toMatchObject({ responseCode: 450 });
      await smtp.sendMail(mail(5));
      await sink.waitFor(2);
      expect(sink.messages.map((x) => x.parsed.subject)).toEqual(['[#1042] Reply 1', '[#1042] Reply 5']);
      expect(sink.refused.map((r) => `${r.stage} ${r.code}`)).toEqual(['data 451', 'data 550', 'rcpt 450']);
    } finally {
      smtp.close();
    }
  }, STEP_MS);
});

// Runs without Dovecot: the fixtures are what they claim to be, as mailparser (the adapter's parser) reads them.
describe('email fixtures', () => {
  test.each(fixtureNames)('%s loads with every placeholder filled and parses', async (name) => {
    const f = loadFixture(name, { TO: 'inbox@example.test', IN_REPLY_TO: '<ours.1@example.test>', SUBJECT_TOKEN: '[#77]' });
    expect(f.raw).not.toMatch(/\{\{|\}\}/);
    expect(f.raw).not.toMatch(/[^\r]\n/);
    const p = await simpleParser(f.raw);
    expect(p.messageId).toBe(`<${f.messageId}>`);
    expect(p.text?.length).toBeGreaterThan(20);
    expect(p.subject).not.toContain('[#1042]');
  });

  test('the loop signals sit where the adapter will look for them', async () => {
    const [auto, bounce, list, pdf] = await Promise.all(
      (['auto-reply', 'bounce', 'mailing-list', 'thunderbird-attachment'] as const).map((n) => simpleParser(loadFixture(n).raw)),
    );
    expect(auto.headers.get('auto-submitted')).toBe('auto-replied');
    expect(auto.inReplyTo).toBe('<sb.1042.3f9a2c@example.test>');
    expect(bounce.headers.get('content-type')).toMatchObject({ value: 'multipart/report', params: { 'report-type': 'delivery-status' } });
    expect(bounce.from?.value[0].address).toMatch(/^MAILER-DAEMON@/);
    // The bounced mail's id is only inside the text/rfc822-headers part, which mailparser hands over as an attachment.
    expect(bounce.attachments[0].content.toString()).toContain('Message-ID: <sb.1042.3f9a2c@example.test>');
    // mailparser folds every List-* header into one `list` entry; there is no 'list-id' key.
    expect(list.headers.get('list')).toMatchObject({ id: { id: 'dev.lists.acme.example' }, unsubscribe: { mail: 'dev-leave@lists.acme.example' } });
    expect(list.headers.get('precedence')).toBe('list');
    expect(pdf.attachments).toMatchObject([{ filename: 'export-2026-03-04.pdf', contentType: 'application/pdf', size: 218 }]);
  });
});
