// Issue 12, faults: the platform APIs answer 429 (with the platform's retry hint) and 5xx for 30 seconds, then
// recover — every outbound message is delivered exactly once, in order per conversation.
//
// One service with every registered channel, its background jobs running as in production (outbox drainer, SLA
// ticker, the mailbox receiver) on a clock that runs in real time, on the machine's PostgreSQL. Each platform sits
// behind an outage proxy (support/platforms.ts): for OUTAGE_MS every request to it is answered with its own "too many
// requests" (Retry-After / parameters.retry_after) and server errors in turn, email's SMTP with "421 try again later"
// and dropped connections. Meanwhile clients write (each opens a case, so an acknowledgement is owed) and managers
// reply several times per conversation through the admin API. After the recovery, what each fake took is decoded
// per conversation and compared with what was owed: each message once, in the order it was written.
import { channelDrivers, isAcknowledgement, storedInbound, type ChannelDriver, type Conversation, type Taken } from './support/platform-channels';
import { runClockInRealTime, sleep, table, tally, waitUntil } from './support/platforms';
import { startTestService, type TestService } from '../test/support/service';

const OUTAGE_MS = Number(process.env.CHAOS_OUTAGE_MS ?? 30_000);
const CONVERSATIONS = 3;
const REPLIES = 4;
/** After the recovery: how long everything owed may take to arrive (retries back off to at most 5 s). */
const CATCH_UP_MS = 45_000;
/** After everything arrived: how long to keep watching for a late second copy. */
const WATCH_MS = 4_000;

let t: TestService;
let clock: { stop(): void } | undefined;
const drivers = channelDrivers({ proxied: true });

beforeAll(async () => {
  const env = Object.assign({}, ...(await Promise.all(drivers.map((d) => d.prepare()))));
  t = await startTestService({ env, jobs: { pollMs: 50, tickMs: 200 }, delivery: { retryBaseMs: 500, retryMaxMs: 5000, sendTimeoutMs: 2000 } });
  for (const d of drivers) d.start(t);
  clock = runClockInRealTime(t);
  await t.startBackground();
}, 120_000);
afterAll(async () => {
  clock?.stop();
  await t?.close();
  for (const d of drivers) await d.stop();
});

interface Owed {
  driver: ChannelDriver;
  conversation: Conversation;
  caseNumber: number;
  /** Reply texts in the order the manager sent them (the acknowledgement comes first). */
  replies: string[];
}

/** A client message delivered until the platform gets a 2xx (inbound webhooks are not what is failing here). */
async function clientWrites(c: Conversation, text: string): Promise<void> {
  const msg = c.next(text);
  for (let i = 0; i < 10; i++) {
    const res = await msg.deliver(i);
    if (res.status >= 200 && res.status < 300) return;
    await sleep(500);
  }
  throw new Error(`${c.channel} ${c.label}: the webhook never took "${text}"`);
}

/** The conversation's open case, once the client's message is stored (email: once the receiver has read it). */
async function caseOf(c: Conversation): Promise<number> {
  let n = 0;
  await waitUntil(`${c.channel} ${c.label}'s case`, async () => {
    const list = await t.admin('GET', `/api/v1/cases?clientId=${c.clientId}&status=open`);
    n = list.json?.cases?.[0]?.number ?? 0;
    return n > 0;
  }, 20_000);
  return n;
}

/** What arrived, compared with what was owed: repeats, and messages out of the order they were written in. */
function judge(got: Taken[], owed: Owed) {
  const expected = [null, ...owed.replies]; // null: the acknowledgement
  const which = (g: Taken) => (isAcknowledgement(g.text) ? 0 : owed.replies.findIndex((r) => g.text.includes(r)) + 1 || -1);
  const order = got.map(which);
  const counts = tally(order);
  const keys = tally(got.map((g) => g.key));
  const duplicates = [...counts.values()].reduce((s, n) => s + Math.max(0, n - 1), 0) + [...keys.values()].reduce((s, n) => s + Math.max(0, n - 1), 0);
  const firsts = order.filter((o, i) => o >= 0 && order.indexOf(o) === i);
  let outOfOrder = 0;
  for (let i = 1; i < firsts.length; i++) if (firsts[i] < firsts[i - 1]) outOfOrder++;
  const missing = expected.map((_, i) => i).filter((i) => !counts.has(i));
  const unexpected = got.filter((_, i) => order[i] < 0);
  return { delivered: firsts.length, duplicates, outOfOrder, missing, unexpected, complete: missing.length === 0 };
}

test('platforms answer 429 and 5xx for 30 s, then recover: every outbound message arrives exactly once, in order per conversation', async () => {
  const manager = await t.admin('POST', '/api/v1/managers', { name: 'Maria Petrova', timeZone: 'Europe/Moscow', isDefault: true });
  expect(manager.status).toBe(201);
  const managerId = manager.json.id as string;
  const owed: Owed[] = [];
  for (const d of drivers) for (let i = 0; i < CONVERSATIONS; i++) owed.push({ driver: d, conversation: await d.open(managerId, `o${i}`), caseNumber: 0, replies: [] });
  // Let what the set-up queued (console channels for the new clients) go out before the platforms fail.
  await waitUntil('the set-up to be sent', async () => (await t.drain()).sent === 0, 20_000, 200);

  const started = Date.now();
  for (const d of drivers) d.proxy!.fail(OUTAGE_MS);
  // Clients write during the outage: each message opens a case whose acknowledgement is owed.
  await Promise.all(owed.map(async (o) => {
    await clientWrites(o.conversation, `Outage check ${o.driver.name} ${o.conversation.label}: reports are empty today`);
    o.caseNumber = await caseOf(o.conversation);
  }));
  // Managers reply several times per conversation, spread over the outage.
  for (let r = 1; r <= REPLIES; r++) {
    await Promise.all(owed.map(async (o) => {
      const text = `Reply ${r} of ${REPLIES} on ${o.driver.name} ${o.conversation.label}: step ${r} done`;
      const res = await t.admin('POST', `/api/v1/cases/${o.caseNumber}/reply`, { text, managerId });
      if (res.status !== 200) throw new Error(`reply ${r} on #${o.caseNumber}: ${res.status} ${res.text}`);
      o.replies.push(text);
    }));
    const nextAt = started + (r * OUTAGE_MS) / (REPLIES + 1);
    if (r < REPLIES) await sleep(Math.max(0, nextAt - Date.now()));
  }
  const sentDuringOutage = owed.map((o) => o.conversation.received().length).reduce((a, b) => a + b, 0);
  await sleep(Math.max(0, started + OUTAGE_MS - Date.now()));

  // -1: not within CATCH_UP_MS (the problems below then say what is missing).
  const caughtUpMs = await waitUntil('every owed message to arrive', () => owed.every((o) => judge(o.conversation.received(), o).complete), CATCH_UP_MS, 200).catch(() => -1);
  await sleep(WATCH_MS);

  const rows: (string | number)[][] = [];
  const problems: string[] = [];
  for (const d of drivers) {
    let delivered = 0;
    let duplicates = 0;
    let outOfOrder = 0;
    let owedCount = 0;
    for (const o of owed.filter((x) => x.driver === d)) {
      owedCount += 1 + o.replies.length;
      const j = judge(o.conversation.received(), o);
      delivered += j.delivered;
      duplicates += j.duplicates;
      outOfOrder += j.outOfOrder;
      const where = `${d.name} ${o.conversation.label} (#${o.caseNumber})`;
      if (j.missing.length) problems.push(`${where}: never arrived: ${j.missing.map((i) => (i ? `reply ${i}` : 'the acknowledgement')).join(', ')}`);
      if (j.duplicates) problems.push(`${where}: ${j.duplicates} repeated: ${JSON.stringify(o.conversation.received())}`);
      if (j.outOfOrder) problems.push(`${where}: out of order: ${JSON.stringify(o.conversation.received().map((g) => g.text.slice(0, 30)))}`);
      if (j.unexpected.length) problems.push(`${where}: unexpected: ${JSON.stringify(j.unexpected)}`);
      // The client's own message was stored once, whatever the platform did to our answers.
      const stored = await storedInbound(t, o.conversation.clientId);
      if (stored.length !== 1) problems.push(`${where}: ${stored.length} inbound messages stored`);
    }
    rows.push([d.name, d.proxy!.refused, d.proxy!.forwarded, `${delivered}/${owedCount}`, duplicates, outOfOrder]);
  }
  const failedRows = (await t.admin('GET', '/metrics')).text.match(/^switchboard_outbox_total\{.*result="(failed|expired)".*$/gm) ?? [];
  process.stdout.write(
    `\nchaos platform outage: every platform failing for ${OUTAGE_MS / 1000} s (429 with its retry hint, 5xx; SMTP 421 and dropped connections), ` +
      `${CONVERSATIONS} conversations per channel, an acknowledgement and ${REPLIES} replies owed to each\n` +
      `${table(['channel', 'attempts refused', 'requests passed', 'delivered', 'duplicates', 'out of order'], rows)}\n` +
      `taken by the platforms during the outage: ${sentDuringOutage}; everything owed arrived ${caughtUpMs >= 0 ? `${(caughtUpMs / 1000).toFixed(1)} s` : `NOT within ${CATCH_UP_MS / 1000} s`} after the recovery; ` +
      `watched ${WATCH_MS / 1000} s more for late copies\n` +
      (failedRows.length ? `deliveries given up: ${failedRows.join('; ')}\n` : 'no delivery given up\n') +
      (problems.length ? `problems:\n  ${problems.join('\n  ')}\n` : 'every outbound message delivered exactly once, in order per conversation\n'),
  );
  expect(problems).toEqual([]);
  expect(sentDuringOutage).toBe(0);
  // Every platform really was failing and was really asked during it.
  for (const d of drivers) expect({ channel: d.name, refused: d.proxy!.refused > 0 }).toEqual({ channel: d.name, refused: true });
  expect(failedRows).toEqual([]);
});
