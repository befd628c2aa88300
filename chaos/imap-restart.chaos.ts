// Issue 12, faults: the IMAP server restarted while email keeps landing — the receiver reconnects, nothing is lost or
// doubled. adapters/email/resilience.test.ts covers one restart in `npm test`; this is the repeated version, under
// load, on the machine's PostgreSQL.
//
// A real Dovecot; two "mail servers" deliver a new client mail over LMTP every MAIL_EVERY_MS each, and, as a mail
// server does, keep a mail they could not hand over (Dovecot down, or the connection cut before the answer) and try it
// again until Dovecot takes it — so a mail may land twice, with the same Message-ID. The adapter's receiver runs on
// its own (IDLE, watchdog, backed-off reconnects) while Dovecot is restarted RESTARTS times. Then: every mail Dovecot
// took is stored exactly once, and each (a new thread from its own sender) got exactly one acknowledgement.
import { rawMail, startEmailTest, type EmailTest } from '../adapters/email/test-support';
import type { MailboxReceiver } from '../adapters/email/receive';
import { sleep, table, tally, waitUntil } from './support/platforms';

const RESTARTS = Number(process.env.CHAOS_IMAP_RESTARTS ?? 6);
const MAIL_EVERY_MS = 120;
/** Mail flowing between two restarts. */
const BETWEEN_MS = 2500;
const DOMAIN = 'imap-chaos.example';
/** The receiver's timings: resilience.test.ts's, with a little more room (a loaded machine, PostgreSQL). */
const RECEIVER = { idleDelayMs: 50, watchdogMs: 1000, noopTimeoutMs: 1000, connectTimeoutMs: 1000, backoffBaseMs: 100, backoffMaxMs: 1000 };

let e: EmailTest;
beforeAll(async () => {
  e = await startEmailTest();
  await e.client('IMAP Chaos Ltd', [DOMAIN]);
}, 60_000);
afterAll(async () => {
  await e?.stop();
});

interface Sent {
  messageId: string;
  from: string;
  /** LMTP attempts it took (more than one: Dovecot was down, or the answer was lost). */
  attempts: number;
  /** Handed over twice on purpose (a mail server that did not hear the answer). */
  twice: boolean;
}

test('Dovecot restarted again and again while mail keeps landing: the receiver reconnects each time, every mail is stored once', async () => {
  const receiver: MailboxReceiver = e.email().receiverWith(RECEIVER);
  const ac = new AbortController();
  const running = receiver.run(ac.signal);

  // Connection times, as the receiver makes them.
  const connectedAt: number[] = [];
  let seen = 0;
  const watcher = setInterval(() => {
    while (seen < receiver.connections) {
      seen++;
      connectedAt.push(Date.now());
    }
  }, 5);

  const sent: Sent[] = [];
  let deferred = 0;
  let stop = false;
  let n = 0;
  const mta = async (name: string) => {
    while (!stop) {
      const i = ++n;
      const from = `sender${i}.${name}@${DOMAIN}`;
      const m = rawMail({ from, name: `Sender ${i}`, subject: `Mail ${i} from ${name}`, body: `Mail ${i} from ${name}: the nightly export did not arrive.` });
      let attempts = 0;
      // Every tenth mail the mail server hands over twice: it did not hear Dovecot's answer the first time.
      for (let copies = i % 10 === 0 ? 2 : 1; copies > 0; copies--) {
        for (;;) {
          attempts++;
          try {
            await e.deliver(m.raw);
            break;
          } catch {
            deferred++;
            await sleep(200);
          }
        }
      }
      sent.push({ messageId: m.messageId, from, attempts, twice: i % 10 === 0 });
      await sleep(MAIL_EVERY_MS);
    }
  };
  const mtas = Promise.all([mta('a'), mta('b')]);

  const restarts: { began: number; up: number }[] = [];
  try {
    await waitUntil('the receiver to connect', () => receiver.connections >= 1, 10_000, 10);
    for (let r = 0; r < RESTARTS; r++) {
      await sleep(BETWEEN_MS);
      const began = Date.now();
      await e.dc.restart();
      restarts.push({ began, up: Date.now() });
    }
    await sleep(BETWEEN_MS);
  } finally {
    stop = true;
    await mtas;
  }

  // Everything Dovecot took is read (bounded), then nothing more is expected to change.
  const ids = [...new Set(sent.map((s) => s.messageId))];
  const storedCounts = async () => Promise.all(ids.map((id) => e.stored(id)));
  const readAllMs = await waitUntil('every mail to be stored', async () => (await storedCounts()).every((c) => c >= 1), 30_000, 200).catch(() => -1);
  await sleep(1500);
  ac.abort();
  await running;
  clearInterval(watcher);
  const counts = await storedCounts();

  // The acknowledgements: one new thread per sender, so exactly one each.
  for (let i = 0; i < 50 && (await e.t.drain()).sent; i++);
  const acks = tally(e.sink.messages.filter((m) => m.to.some((to) => to.endsWith(`@${DOMAIN}`))).flatMap((m) => m.to));

  const lost = ids.filter((_, i) => counts[i] === 0);
  const doubled = ids.filter((_, i) => counts[i] > 1);
  const landedTwice = sent.filter((s) => s.twice).length;
  const outcomes = tally(e.t.log.entries.filter((x) => x.msg === 'email: mail ingested').map((x) => (x.obj as { outcome: string }).outcome));
  const badAcks = sent.filter((s) => acks.get(s.from) !== 1).map((s) => `${s.from}: ${acks.get(s.from) ?? 0}`);

  const rows = restarts.map((r, i) => {
    const back = connectedAt.find((at) => at > r.began);
    return [i + 1, `${r.up - r.began} ms`, back ? `${Math.max(0, back - r.up)} ms` : 'never', back ? `${back - r.began} ms` : '-'];
  });
  const reconnects = rows.map((r) => r[2]).filter((x) => x !== 'never').map((x) => Number(String(x).replace(' ms', '')));
  process.stdout.write(
    `\nchaos IMAP restart: Dovecot restarted ${RESTARTS} times, ${BETWEEN_MS / 1000} s of mail between restarts (two LMTP senders, one mail each per ${MAIL_EVERY_MS} ms)\n` +
      `${table(['restart', 'Dovecot down for', 'receiver back after it was up', 'receiver disconnected for'], rows)}\n` +
      `mails Dovecot took: ${ids.length} (LMTP attempts refused or cut, and retried: ${deferred}; mails handed over twice on purpose: ${landedTwice}); ` +
      `stored: ${counts.filter((c) => c === 1).length} once, ${lost.length} lost, ${doubled.length} doubled; all read ${readAllMs >= 0 ? `${readAllMs} ms after the last mail` : 'NOT within 30 s'}\n` +
      `receiver connections: ${receiver.connections}; reconnect after Dovecot was up: max ${Math.max(...reconnects)} ms, mean ${Math.round(reconnects.reduce((a, b) => a + b, 0) / Math.max(1, reconnects.length))} ms\n` +
      `mails handed to core: ${[...outcomes].map(([o, c]) => `${o}×${c}`).join(' ')}; acknowledgements: ${[...acks.values()].reduce((a, b) => a + b, 0)} to ${acks.size} senders\n`,
  );
  expect({ lost, doubled }).toEqual({ lost: [], doubled: [] });
  expect(readAllMs).toBeGreaterThanOrEqual(0);
  // Each restart was followed by a new connection.
  expect(rows.filter((r) => r[2] === 'never')).toEqual([]);
  expect(receiver.connections).toBeGreaterThan(RESTARTS);
  expect(badAcks).toEqual([]);
  expect(ids.length).toBeGreaterThan(RESTARTS * 10);
  // The copies handed over twice reached core and were recognised there.
  expect(outcomes.get('duplicate') ?? 0).toBeGreaterThanOrEqual(landedTwice);
});
