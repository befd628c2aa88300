// Three instances on one PostgreSQL: a load spread across them, SLA warnings and breaches coming due in real time
// (a client policy with a 1-minute 24x7 critical target, a warning at half of it), and not one alert or delivery
// sent twice. The single-instance receivers, Telegram long polling and the IMAP mailbox (a real Dovecot), enabled on
// all three, each run on exactly one at a time; their holders are killed with SIGKILL, another instance takes each
// over within the lease (15 s, renewed every 5 s), and no update or mail is lost or handled twice across the takeover.
import { bare, rawMail, SUPPORT } from '../adapters/email/test-support';
import { messageUpdate, textMessage } from '../adapters/telegram/fixtures';
import { CallbackServer } from '../test/support/callback-server';
import { openTestDatabase, type TestDatabase } from '../test/support/db';
import { startDovecot, type Dovecot } from '../test/support/dovecot';
import { FakeTelegram } from '../test/support/fake-telegram';
import { SmtpSink } from '../test/support/smtp-sink';
import {
  backendsGone, clientDeliveries, consoleNotices, drained, inFlight, notOnce, outboxByStatus, report, rows, storedInapp, type InFlightRow,
} from './support/checks';
import { is2xx, messages, Sender } from './support/load';
import { ADMIN_TOKEN, INAPP_SECRET, killAll, sleep, startService, waitFor, type ServiceProcess } from './support/service';
import { TaggingProxy, type ProxiedCall } from './support/tagging-proxy';

const ACCOUNTS = 60;
const MESSAGES = 600;
const RECEIVER = 'telegram:telegram-long-polling';
const IMAP_RECEIVER = 'email:imap';
const MAIL_DOMAIN = 'three-chaos.example';
/** Lease 15 s, renewed (and tried by the others) every 5 s: a dead holder's receiver is silent at most ~20 s. */
const TAKEOVER_BOUND_MS = 25_000;

let db: TestDatabase;
let callback: CallbackServer;
let fake: FakeTelegram;
let dc: Dovecot;
let sink: SmtpSink;
const proxies: TaggingProxy[] = [];
const calls: ProxiedCall[] = [];

beforeAll(async () => {
  db = await openTestDatabase();
  callback = await new CallbackServer().start();
  fake = await new FakeTelegram().start();
  const started = await startDovecot({ users: [SUPPORT] });
  if (!started.available) throw new Error(started.skipReason);
  dc = started;
  sink = await new SmtpSink().start();
});
afterAll(async () => {
  await killAll();
  for (const p of proxies) await p.stop();
  await fake?.stop();
  await dc?.stop();
  await sink?.stop();
  await callback?.stop();
  await db?.close();
});

const api = async (base: string, method: string, path: string, body?: unknown): Promise<any> => {
  const res = await fetch(`${base}/api/v1${path}`, {
    method, headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = await res.json();
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
  return json;
};

async function held(s: ServiceProcess, receiver = RECEIVER): Promise<number | null> {
  const text = await fetch(`${s.url}/metrics`).then((r) => r.text(), () => null);
  const m = text && new RegExp(`switchboard_receiver_held\\{receiver="${receiver}"\\} (\\d+)`).exec(text);
  return m ? Number(m[1]) : text ? 0 : null;
}

const polls = () => calls.filter((c) => c.method === 'getUpdates');

/** Long polls of different instances that were open at the same moment. */
function overlaps(): string[] {
  const p = polls();
  const out: string[] = [];
  for (const x of p)
    for (const y of p)
      if (x.instance < y.instance && x.start < (y.end || Infinity) && y.start < (x.end || Infinity)) out.push(`${x.instance}@${x.start} & ${y.instance}@${y.start}`);
  return out;
}

let chat = 733_000_000 + Math.floor(Math.random() * 1_000_000);
const telegramChats: number[] = [];
function pushTelegram(n: number) {
  for (let i = 0; i < n; i++) {
    const user = { id: ++chat, is_bot: false, first_name: `Tg${chat}` };
    telegramChats.push(user.id);
    fake.pushUpdates(messageUpdate(textMessage(user, 'Hello from Telegram, a question about postbacks')));
  }
}

let mailNo = 0;
const mails: { from: string; messageId: string }[] = [];
async function deliverMail(n: number) {
  for (let i = 0; i < n; i++) {
    const from = `sender${++mailNo}@${MAIL_DOMAIN}`;
    const m = rawMail({ from, to: SUPPORT, subject: `Export question ${mailNo}`, body: `Mail ${mailNo}: the nightly export did not arrive.` });
    await dc.deliver(m.raw, SUPPORT);
    mails.push({ from, messageId: m.messageId });
  }
}
const storedMails = async () => rows<{ n: string }>(db, `SELECT count(*) AS n FROM messages WHERE channel = 'email' AND direction = 'inbound'`).then((r) => Number(r[0].n));

test('three instances: no alert or delivery twice; the Telegram poller and the IMAP receiver each run on one and move within seconds when it dies', async () => {
  const names = ['i1', 'i2', 'i3'];
  for (const n of names) proxies.push(await new TaggingProxy(n, fake.url, calls).start());
  const env = (i: number) => ({
    DATABASE_URL: db.url!, INAPP_SECRET, INAPP_CALLBACK_URL: callback.url, OUTBOX_POLL_MS: '100', SLA_TICK_MS: '200',
    TELEGRAM_BOT_TOKEN: fake.token, TELEGRAM_WEBHOOK_SECRET: 'chaos-telegram-secret-0123456789', TELEGRAM_API_ROOT: proxies[i].url,
    IMAP_HOST: dc.imap.host, IMAP_PORT: String(dc.imap.port), IMAP_USER: SUPPORT, IMAP_PASSWORD: dc.users[0].password, IMAP_TLS: 'false',
    SMTP_HOST: sink.host, SMTP_PORT: String(sink.port), SMTP_TLS: 'false', EMAIL_FROM: `Switchboard Support <${SUPPORT}>`,
  });
  const started = Date.now();
  const svcs = await Promise.all(names.map((n, i) => startService(n, env(i))));
  const startMs = Date.now() - started;

  const manager = await api(svcs[0].url, 'POST', '/managers', { name: 'Maria Petrova' });
  const policy = { targets: { critical: { minutes: 1, hours: '24x7' } }, warnAt: [0.5] };
  for (let i = 0; i < ACCOUNTS; i++)
    await api(svcs[i % 3].url, 'POST', '/clients', { name: `Client ${i}`, tier: 'premium', managerId: manager.id, inappAccountId: `s-acct-${i}`, policy });
  const mailClient = await api(svcs[0].url, 'POST', '/clients', { name: 'Mail Client', tier: 'premium', managerId: manager.id });
  await api(svcs[0].url, 'POST', `/clients/${mailClient.id}/links`, { channel: 'email', key: MAIL_DOMAIN });

  // The load, round-robin over the three instances.
  let turn = 0;
  const sender = new Sender(() => svcs[turn++ % 3].url);
  const loadAt = Date.now();
  await sender.run(messages('s', MESSAGES, ACCOUNTS, { urgency: 'critical' }, ACCOUNTS), 9);
  const loadMs = Date.now() - loadAt;
  pushTelegram(5);
  await deliverMail(5);

  // One poller among three, from start-up on; one IMAP receiver among three.
  await waitFor('a getUpdates call', () => polls().length > 0, 30_000);
  const holder = svcs.find((s) => s.name === polls()[0].instance)!;
  const heldBefore = await Promise.all(svcs.map((s) => held(s)));
  await waitFor('an instance holding the mailbox', async () => (await Promise.all(svcs.map((s) => held(s, IMAP_RECEIVER)))).includes(1), 30_000, 250);
  const imapHeldBefore = await Promise.all(svcs.map((s) => held(s, IMAP_RECEIVER)));
  const imapHolder = svcs[imapHeldBefore.indexOf(1)];
  // Both holders die (one instance or two): each receiver must move to a survivor.
  const victims = [...new Set([holder, imapHolder])];

  // Warnings come due 30 s after the cases opened; once they are out and the outbox is quiet, the holder dies.
  await waitFor('every case\'s SLA warning', async () => (await rows(db, `SELECT 1 FROM outbox WHERE payload->>'type' = 'sla_warning' AND status = 'sent'`)).length >= ACCOUNTS, 90_000, 250);
  await waitFor('the first Telegram updates stored', async () => (await rows(db, `SELECT 1 FROM messages WHERE channel = 'telegram' AND direction = 'inbound'`)).length >= 5, 30_000, 250);
  await waitFor('the first mails stored', async () => (await storedMails()) >= 5, 30_000, 250);
  await drained(db, 30_000);
  const pollersBeforeKill = new Set(polls().map((c) => c.instance));
  const killAt = Date.now();
  await Promise.all(victims.map((v) => v.kill9()));
  for (const v of victims) await backendsGone(db, v);
  const flying: InFlightRow[] = await inFlight(db);
  const survivors = svcs.filter((s) => !victims.includes(s));
  // Updates and mail that arrive while nobody receives wait at Telegram and in the mailbox for the next holder.
  pushTelegram(5);
  await deliverMail(5);
  let imapTakeoverMs = -1;
  const imapTakeover = waitFor('another instance holding the mailbox', async () => {
    if ((await Promise.all(survivors.map((s) => held(s, IMAP_RECEIVER)))).includes(1)) imapTakeoverMs = Date.now() - killAt;
    return imapTakeoverMs >= 0;
  }, TAKEOVER_BOUND_MS + 15_000, 50);
  await waitFor('another instance polling', () => polls().some((c) => c.start > killAt), TAKEOVER_BOUND_MS + 15_000, 50);
  await imapTakeover;
  const next = polls().find((c) => c.start > killAt)!;
  const takeoverMs = next.start - killAt;
  const heldAfter = await Promise.all(survivors.map((s) => held(s)));
  const imapHeldAfter = await Promise.all(survivors.map((s) => held(s, IMAP_RECEIVER)));

  // Breaches come due at a minute; then everything drains.
  await waitFor('every case\'s SLA breach', async () => (await rows(db, `SELECT 1 FROM outbox WHERE payload->>'type' = 'sla_breach' AND status = 'sent'`)).length >= ACCOUNTS, 90_000, 250);
  await waitFor('the later Telegram updates stored', async () => (await rows(db, `SELECT 1 FROM messages WHERE channel = 'telegram' AND direction = 'inbound'`)).length >= 10, 30_000, 250);
  await waitFor('the later mails stored', async () => (await storedMails()) >= 10, 30_000, 250);
  const drainMs = await drained(db, 60_000);
  await sleep(500);

  const stored = await storedInapp(db);
  const once = notOnce(stored.byId, sender.messages.keys());
  const deliveries = await clientDeliveries(db, callback, new Set(flying.map((r) => r.id)));
  const notices = await consoleNotices(db, svcs, flying);
  const alertLines = (type: string) => svcs.flatMap((s) => s.notices()).filter((n) => n.notice === type);
  const perCase = (type: string) => {
    const m = new Map<number, number>();
    for (const n of alertLines(type)) m.set(n.caseNumber!, (m.get(n.caseNumber!) ?? 0) + 1);
    return m;
  };
  const warnings = perCase('sla_warning');
  const breaches = perCase('sla_breach');
  const tg = await rows<{ n: string; convs: string }>(db, `SELECT count(*) AS n, count(DISTINCT conversation_key) AS convs FROM messages WHERE channel = 'telegram' AND direction = 'inbound'`);
  const tgAcks = telegramChats.map((c) => fake.sentTo(c).length);
  const mailRows = await rows<{ id: string; n: string }>(db, `SELECT external_id AS id, count(*) AS n FROM message_platform_ids WHERE channel = 'email' AND direction = 'inbound' GROUP BY 1`);
  // A Message-ID maps to one stored message (the key); a second copy would be another inbound email message.
  const mailTotal = await storedMails();
  const mailOnce = { ...notOnce(new Map(mailRows.map((r) => [bare(r.id), Number(r.n)])), mails.map((m) => m.messageId)), extra: mailTotal - mailRows.length };
  const mailAcks = mails.map((m) => sink.messages.filter((x) => x.to.includes(m.from)).length);
  const status = await outboxByStatus(db);
  const pollers = [...new Set(polls().map((c) => c.instance))];

  report('Three instances on one PostgreSQL', {
    'instances': `${names.join(', ')} (started in ${startMs} ms, in parallel)`,
    'load': `${MESSAGES} critical in-app messages from ${ACCOUNTS} premium clients, round-robin, 9 at a time, in ${loadMs} ms: ${JSON.stringify(sender.tally())}`,
    'stored': `${stored.total} inbound; lost ${once.lost.length}, doubled ${once.doubled.length}`,
    'SLA warnings (logged per case)': `${alertLines('sla_warning').length} lines for ${warnings.size} cases; cases with more than one: ${[...warnings.values()].filter((n) => n > 1).length}`,
    'SLA breaches (logged per case)': `${alertLines('sla_breach').length} lines for ${breaches.size} cases; cases with more than one: ${[...breaches.values()].filter((n) => n > 1).length}`,
    'console notices': `rows sent ${notices.rows}, logged ${notices.logged}, repeats ${notices.repeats.length}, missing ${notices.missing.length}; ${JSON.stringify(notices.byType)}`,
    'client deliveries': `expected ${deliveries.expected}, received ${deliveries.received}, missing ${deliveries.missing.length}, repeated ${deliveries.repeated.length}`,
    'poller before the kill': `${holder.name} (instances that called getUpdates: ${[...pollersBeforeKill].join(', ')}; receiver_held per instance ${JSON.stringify(heldBefore)})`,
    'mailbox before the kill': `${imapHolder.name} (receiver_held per instance ${JSON.stringify(imapHeldBefore)})`,
    'killed': victims.map((v) => v.name).join(' and '),
    'in flight at the kill': flying.length,
    'takeover': `${next.instance} polled ${takeoverMs} ms after ${holder.name} was killed (bound ${TAKEOVER_BOUND_MS} ms); receiver_held on the survivors ${JSON.stringify(heldAfter)}`,
    'overlapping polls': overlaps().length,
    'getUpdates calls per instance': Object.fromEntries(pollers.map((p) => [p, polls().filter((c) => c.instance === p).length])),
    'telegram updates': `${telegramChats.length} pushed (5 before, 5 during the takeover); stored ${tg[0].n} in ${tg[0].convs} chats; acks per chat ${JSON.stringify(tgAcks)}`,
    'mailbox takeover': `held by a survivor ${imapTakeoverMs} ms after the kill (bound ${TAKEOVER_BOUND_MS} ms); receiver_held on the survivors ${JSON.stringify(imapHeldAfter)}`,
    'mails': `${mails.length} delivered (5 before, 5 during the takeover); stored ${mailTotal}: lost ${mailOnce.lost.length}, doubled ${mailOnce.doubled.length + mailOnce.extra}; acks per sender ${JSON.stringify(mailAcks)}`,
    'drained': `${drainMs} ms after the breaches`,
    'outbox at end': status,
  });

  expect(Object.keys(sender.tally()).every((o) => is2xx(Number(o)))).toBe(true);
  expect(once).toEqual({ lost: [], doubled: [] });
  expect(warnings.size).toBe(ACCOUNTS);
  expect(breaches.size).toBe(ACCOUNTS);
  expect([...warnings.values(), ...breaches.values()].every((n) => n === 1)).toBe(true);
  expect(notices.missing).toEqual([]);
  expect(notices.repeats.filter((r) => r.extra > r.allowed)).toEqual([]);
  expect(deliveries.missing).toEqual([]);
  expect(deliveries.repeatedNotInFlight).toEqual([]);
  // The receiver: one instance at a time, taken over within the lease's bound, never on two at once.
  expect([...pollersBeforeKill]).toEqual([holder.name]);
  expect(heldBefore.filter((h) => h === 1)).toHaveLength(1);
  expect(next.instance).not.toBe(holder.name);
  expect(takeoverMs).toBeLessThan(TAKEOVER_BOUND_MS);
  expect(heldAfter.filter((h) => h === 1)).toHaveLength(1);
  expect(overlaps()).toEqual([]);
  expect(Number(tg[0].n)).toBe(10);
  expect(Number(tg[0].convs)).toBe(10);
  expect(tgAcks.every((n) => n === 1)).toBe(true);
  // The mailbox: one holder before and after, taken over within the bound, each mail stored and acknowledged once.
  expect(imapHeldBefore.filter((h) => h === 1)).toHaveLength(1);
  expect(imapTakeoverMs).toBeLessThan(TAKEOVER_BOUND_MS);
  expect(imapHeldAfter.filter((h) => h === 1)).toHaveLength(1);
  expect(mailOnce).toEqual({ lost: [], doubled: [], extra: 0 });
  expect(mailTotal).toBe(mails.length);
  expect(mailAcks).toEqual(mails.map(() => 1));
  expect(Object.keys(status).every((k) => k.endsWith(':sent'))).toBe(true);
});
