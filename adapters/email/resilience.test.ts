// The receiver against what mailboxes and servers really do: a mail it can't read, a service restart, a Dovecot
// restart under a live IDLE, a connection that stops answering, a mailbox rebuilt with a new UIDVALIDITY, and
// processed mail moved to a folder. Each time nothing may be lost and nothing stored twice.
import fs from 'node:fs';
import path from 'node:path';
import { loadFixture } from './fixtures';
import { dovecotSkipReason } from '../../test/support/dovecot';
import { UNREADABLE_KEYWORD, type MailboxReceiver } from './receive';
import { rawMail, startEmailTest, SUPPORT, until, withImap, type EmailTest } from './test-support';

const skip = dovecotSkipReason();
const suite = skip ? describe.skip : describe;
const STEP_MS = 20_000;
const BOX = 'Support';

suite(`email receiver resilience${skip ? ` (skipped: ${skip})` : ''}`, () => {
  let e: EmailTest;
  beforeAll(async () => {
    e = await startEmailTest({ env: { IMAP_MAILBOX: BOX } });
    await withImap(e.dc, (c) => c.mailboxCreate(BOX));
    await e.client('Acme Ltd', ['acme.example']);
  }, 60_000);
  afterAll(async () => {
    await e?.stop();
  });

  const put = (raw: string) => e.dc.save(raw, SUPPORT, BOX);
  const mail = (subject: string) => rawMail({ from: 'ivan.petrov@acme.example', subject, body: `About: ${subject}` });
  const leadAlerts = () => e.t.notices.filter((n) => n.type === 'channel_alert' && n.toLead);

  /** The receiver as the service runs it, with timings a test can wait for. */
  function running(): { receiver: MailboxReceiver; stop(): Promise<void> } {
    const receiver = e.email().receiverWith({ idleDelayMs: 50, watchdogMs: 300, noopTimeoutMs: 300, connectTimeoutMs: 500, backoffBaseMs: 100, backoffMaxMs: 400 });
    const ac = new AbortController();
    const done = receiver.run(ac.signal);
    return { receiver, stop: async () => (ac.abort(), await done) };
  }

  test('a mail that cannot be read stays in the mailbox, is reported to the lead once, and the mail after it goes in', async () => {
    await put('To: support@example.test\r\nSubject: no sender\r\nMessage-ID: <nofrom.1@broken.example>\r\nDate: Mon, 23 Nov 2026 10:00:00 +0300\r\n\r\nwho am I?\r\n');
    const good = mail('Dashboard totals are off');
    await put(good.raw);
    const items = await e.pass();
    expect(items.map((i) => i.result.kind === 'ingested' ? i.result.outcome.status : i.result)).toEqual([
      { kind: 'unparseable', reason: 'it has no sender address (From)' },
      'stored',
    ]);
    await e.t.drain();
    expect(leadAlerts().map((n) => n.text)).toEqual([expect.stringMatching(/^email: A mail in Support \(UID 1, dated .*\) could not be read: it has no sender address/)]);
    const kept = await withImap(e.dc, async (c) => {
      await c.mailboxOpen(BOX);
      return c.fetchAll('1:*', { uid: true, flags: true });
    });
    expect(kept.map((m) => [m.uid, [...m.flags!].sort()])).toEqual([[1, [UNREADABLE_KEYWORD]], [2, ['\\Seen']]]);
    expect(await e.pass()).toEqual([]);
  }, STEP_MS);

  test('the service restarted: no mail is ingested twice, even with every \\Seen flag cleared', async () => {
    const a = mail('Export stuck at 99%');
    const b = mail('Export stuck again');
    await put(a.raw);
    await put(b.raw);
    expect((await e.pass()).map((i) => i.result.kind === 'ingested' && i.result.outcome.status)).toEqual(['stored', 'stored']);
    await withImap(e.dc, async (c) => {
      await c.mailboxOpen(BOX);
      await c.messageFlagsRemove('1:*', ['\\Seen']);
    });
    await e.restartService();
    const c = mail('And the PDF too');
    await put(c.raw);
    const items = await e.pass();
    expect(items.map((i) => i.result.kind === 'ingested' && i.result.messageId)).toEqual([c.messageId]);
    expect([await e.stored(a.messageId), await e.stored(b.messageId), await e.stored(c.messageId)]).toEqual([1, 1, 1]);
  }, STEP_MS);

  test('Dovecot restarted under a live IDLE: the receiver reconnects and nothing is lost or doubled', async () => {
    const r = running();
    try {
      const a = mail('Before the restart');
      await put(a.raw);
      await until('the first mail is stored', async () => (await e.stored(a.messageId)) === 1);
      await e.dc.restart();
      const b = mail('Right after the restart');
      await put(b.raw);
      await until('the second mail is stored', async () => (await e.stored(b.messageId)) === 1);
      expect(r.receiver.connections).toBeGreaterThanOrEqual(2);
      expect([await e.stored(a.messageId), await e.stored(b.messageId)]).toEqual([1, 1]);
      // Resumed from the cursor: the mail read before the restart was not even offered to core again.
      const outcomes = e.t.log.entries.filter((x) => x.msg === 'email: mail ingested').map((x) => (x.obj as { outcome: string }).outcome);
      expect(outcomes.filter((o) => o !== 'stored')).toEqual([]);
    } finally {
      await r.stop();
    }
  }, STEP_MS);

  test('a connection that stops answering is noticed by the watchdog and replaced; a long outage is told to the lead', async () => {
    const r = running();
    const master = Number(fs.readFileSync(path.join(e.dc.dir, 'run', 'master.pid'), 'utf8'));
    const told = async (text: string) => {
      await e.t.drain();
      return leadAlerts().some((n) => n.text.includes(text));
    };
    try {
      await until('the receiver is connected', () => r.receiver.connections >= 1);
      await new Promise((res) => setTimeout(res, 200));
      // Frozen, not closed: no FIN, no RST, the socket just goes quiet — a dead NAT entry, a hung server.
      process.kill(-master, 'SIGSTOP');
      await until('the watchdog gives up on the connection', () => e.t.log.text().includes('the mailbox connection stopped answering'), 5000);
      await until('the lead is told mail is not being read', () => told('Mail is not being read'), 10_000);
      process.kill(-master, 'SIGCONT');
      const c = mail('After the freeze');
      await put(c.raw);
      await until('the mail is stored', async () => (await e.stored(c.messageId)) === 1);
      expect(r.receiver.connections).toBeGreaterThanOrEqual(2);
      await until('the lead is told mail is read again', () => told('Mail is being read again'));
    } finally {
      process.kill(-master, 'SIGCONT');
      await r.stop();
    }
  }, STEP_MS);

  test('a mailbox rebuilt with a new UIDVALIDITY is read again and nothing is stored twice', async () => {
    const before = await withImap(e.dc, async (c) => {
      const box = await c.mailboxOpen(BOX);
      const all = await c.fetchAll('1:*', { source: true });
      await c.mailboxClose();
      // What a restore from backup or a server migration does: the same mail in a new mailbox.
      await c.mailboxDelete(BOX);
      await c.mailboxCreate(BOX);
      for (const m of all) await c.append(BOX, m.source!);
      return { validity: box.uidValidity, count: all.length };
    });
    const fresh = mail('Written after the restore');
    await put(fresh.raw);
    const alertsBefore = leadAlerts().length;
    const items = await e.pass();
    expect(items).toHaveLength(before.count + 1);
    const outcomes = items.map((i) => (i.result.kind === 'ingested' ? i.result.outcome.status : i.result.kind));
    expect(outcomes.filter((o) => o === 'stored')).toHaveLength(1);
    expect(outcomes.filter((o) => o === 'duplicate')).toHaveLength(before.count - 1);
    expect(outcomes.filter((o) => o === 'unparseable')).toHaveLength(1);
    expect(await e.stored(fresh.messageId)).toBe(1);
    await e.t.drain();
    // The lead hears about the rebuild; the unreadable mail is not reported a second time.
    expect(leadAlerts().slice(alertsBefore).map((n) => n.text)).toEqual([expect.stringContaining(`was rebuilt on the server (UIDVALIDITY ${before.validity} →`)]);
  }, STEP_MS);

  test('processed mail can be moved to a folder instead; its links still find it there', async () => {
    const counts = () => withImap(e.dc, async (c) => {
      const [support, processed] = [await c.status(BOX, { messages: true }), await c.status('Processed', { messages: true }).catch(() => false as const)];
      return { support: (support && support.messages) || 0, processed: (processed && processed.messages) || 0 };
    });
    const before = await counts();
    await e.restartService({ IMAP_PROCESSED_MAILBOX: 'Processed' });
    const f = loadFixture('gmail-reply', { TO: SUPPORT, IN_REPLY_TO: 'unknown.1@example.test' });
    await put(f.raw);
    const [item] = await e.pass();
    expect(item.result).toMatchObject({ kind: 'ingested', outcome: { status: 'stored' } });
    // The new mail left the watched mailbox for the folder (created on first use); nothing was deleted.
    expect(await counts()).toEqual({ support: before.support, processed: before.processed + 1 });
    const n = (item.result as { outcome: { caseNumber: number } }).outcome.caseNumber;
    const [msg] = (await e.caseView(n)).messages;
    const full = await e.t.app.inject({ method: 'GET', url: msg.attachments.at(-1).url.replace('https://switchboard.test', '') });
    expect(full.statusCode).toBe(200);
    expect(full.body).toContain('On Tue, 3 Mar 2026 at 14:05, Maria Petrova');
  }, STEP_MS);

  test('the running service reads the mailbox itself, under its receiver lease, and answers without anyone driving it', async () => {
    await e.t.startBackground();
    try {
      await until('the receiver lease is held', () => e.t.receivers.held.has('email:imap'));
      const m = rawMail({ from: 'zoe@acme.example', subject: 'Hello from a live mailbox', body: 'Anyone there?' });
      await put(m.raw);
      await until('the mail is stored', async () => (await e.stored(m.messageId)) === 1);
      await until('the acknowledgement is sent', () => e.mailsTo('zoe@acme.example').length === 1);
      expect(e.mailsTo('zoe@acme.example')[0].parsed.inReplyTo).toBe(`<${m.messageId}>`);
    } finally {
      await e.t.stopBackground();
    }
  }, STEP_MS);
});
