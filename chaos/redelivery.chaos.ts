// Issue 12, faults: every inbound delivery on every channel redelivered 3 times, some of the copies at the same moment
// (Promise.all) — each message is stored once and each acknowledgement sent once.
//
// One service with every registered channel, on the machine's PostgreSQL. Per channel, CONVERSATIONS clients each
// send ROUNDS messages (the first opens a case, the others follow up on it); every message is delivered 4 times as
// its platform would redeliver it (the same update / activity / event / mail), in one of a few interleavings chosen by
// a seeded generator, conversations side by side. A delivery answered with anything but a 2xx is delivered again
// later, as the platforms do. Then the outbox is drained and what each platform's fake took is decoded.
import { channelDrivers, isAcknowledgement, storedInbound, type ChannelDriver, type ClientMessage, type Conversation } from './support/platform-channels';
import { seeded, sleep, table, tally } from './support/platforms';
import { startTestService, type TestService } from '../test/support/service';

const SEED = Number(process.env.CHAOS_SEED ?? 20261212);
const CONVERSATIONS = 6;
const ROUNDS = 3;
const COPIES = 4;
/** How the 4 copies of one message go out: groups in sequence, the copies within a group at the same moment. */
const PATTERNS: number[][][] = [
  [[0], [1, 2], [3]],
  [[0, 1], [2], [3]],
  [[0], [1], [2, 3]],
  [[0, 1, 2, 3]],
  [[0, 1], [2, 3]],
];
/** A platform that got no 2xx delivers again; how often before the case gives up on it (a failure). */
const PLATFORM_RETRIES = 5;

interface ChannelRun {
  driver: ChannelDriver;
  conversations: Conversation[];
  sent: { conversation: Conversation; text: string }[];
  deliveries: number;
  statuses: number[];
  /** Our outcomes ('stored', 'duplicate', ...) where the channel reports them. */
  outcomes: string[];
  gaveUp: string[];
}

let t: TestService;
const drivers = channelDrivers({ proxied: false });

beforeAll(async () => {
  const env = Object.assign({}, ...(await Promise.all(drivers.map((d) => d.prepare()))));
  t = await startTestService({ env });
  for (const d of drivers) d.start(t);
}, 120_000);
afterAll(async () => {
  await t?.close();
  for (const d of drivers) await d.stop();
});

/** Delivers one copy; a non-2xx is delivered again after a moment, as the platform would. */
async function deliverCopy(run: ChannelRun, send: ClientMessage['deliver'], copy: number, text: string): Promise<void> {
  for (let attempt = 0; attempt <= PLATFORM_RETRIES; attempt++) {
    run.deliveries++;
    const { status, outcome } = await send(copy + attempt).catch(() => ({ status: 599, outcome: null }));
    run.statuses.push(status);
    if (outcome) run.outcomes.push(outcome);
    if (status >= 200 && status < 300) return;
    await sleep(100 * (attempt + 1));
  }
  run.gaveUp.push(text);
}

test('every delivery on every channel redelivered 3 times, some at once: each message stored once, each acknowledgement sent once', async () => {
  const random = seeded(SEED);
  const manager = await t.admin('POST', '/api/v1/managers', { name: 'Maria Petrova', timeZone: 'Europe/Moscow', isDefault: true });
  expect(manager.status).toBe(201);

  const runs: ChannelRun[] = [];
  for (const driver of drivers) {
    const conversations: Conversation[] = [];
    for (let i = 0; i < CONVERSATIONS; i++) conversations.push(await driver.open(manager.json.id, `c${i}`));
    runs.push({ driver, conversations, sent: [], deliveries: 0, statuses: [], outcomes: [], gaveUp: [] });
  }

  for (let round = 0; round < ROUNDS; round++) {
    // Channels and their conversations at the same time; within a conversation, one message after another.
    await Promise.all(runs.map(async (run) => {
      await Promise.all(run.conversations.map(async (c) => {
        const text = round === 0
          ? `Redelivery check ${run.driver.name} ${c.label}: exports fail since this morning`
          : `Follow-up ${round} from ${run.driver.name} ${c.label}: still failing`;
        const msg = c.next(text);
        run.sent.push({ conversation: c, text });
        const pattern = PATTERNS[Math.floor(random() * PATTERNS.length)];
        for (const group of pattern) await Promise.all(group.map((copy) => deliverCopy(run, msg.deliver, copy, text)));
      }));
      run.outcomes.push(...(await run.driver.settle()));
    }));
  }
  // What the deliveries queued (acknowledgements, console notices) goes out.
  for (let i = 0; i < 5; i++) if (!(await t.drain()).sent) break;

  const rows: (string | number)[][] = [];
  const problems: string[] = [];
  for (const run of runs) {
    let stored = 0;
    let acks = 0;
    let other = 0;
    for (const c of run.conversations) {
      const texts = await storedInbound(t, c.clientId);
      stored += texts.length;
      const counts = tally(texts);
      for (const s of run.sent.filter((x) => x.conversation === c)) {
        const n = counts.get(s.text) ?? 0;
        if (n !== 1) problems.push(`${run.driver.name} ${c.label}: "${s.text}" stored ${n} times`);
      }
      if (texts.length !== ROUNDS) problems.push(`${run.driver.name} ${c.label}: ${texts.length} inbound messages stored, ${ROUNDS} sent`);
      const got = c.received();
      const a = got.filter((g) => isAcknowledgement(g.text));
      acks += a.length;
      other += got.length - a.length;
      // One case per conversation: one acknowledgement, and nothing else for a follow-up on an open case.
      if (a.length !== 1) problems.push(`${run.driver.name} ${c.label}: ${a.length} acknowledgements: ${JSON.stringify(a)}`);
      if (got.length !== a.length) problems.push(`${run.driver.name} ${c.label}: unexpected messages: ${JSON.stringify(got.filter((g) => !isAcknowledgement(g.text)))}`);
      if (new Set(got.map((g) => g.key)).size !== got.length) problems.push(`${run.driver.name} ${c.label}: a platform id taken twice: ${JSON.stringify(got)}`);
    }
    for (const text of run.gaveUp) problems.push(`${run.driver.name}: "${text}" never got a 2xx`);
    const statuses = [...tally(run.statuses)].sort(([a], [b]) => a - b).map(([s, n]) => `${s}×${n}`).join(' ');
    const outcomes = [...tally(run.outcomes)].map(([o, n]) => `${o}×${n}`).join(' ') || '(the answers carry none)';
    rows.push([run.driver.name, run.sent.length, run.sent.length * COPIES, run.deliveries, statuses, outcomes, stored, acks, other]);
  }
  process.stdout.write(
    `\nchaos redelivery (seed ${SEED}): ${CONVERSATIONS} conversations × ${ROUNDS} messages per channel, each delivered ${COPIES} times\n` +
      `${table(['channel', 'messages', 'copies', 'deliveries sent', 'answers', 'outcomes', 'stored', 'acknowledgements', 'other sent'], rows)}\n` +
      (problems.length ? `problems:\n  ${problems.join('\n  ')}\n` : 'every message stored once, every acknowledgement sent once\n'),
  );
  // Every channel in the registry took part: channelDrivers() throws for a registered channel without a driver.
  expect(problems).toEqual([]);
});
