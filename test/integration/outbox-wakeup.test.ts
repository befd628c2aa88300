// An acknowledgement or a manager's reply leaves as soon as the transaction that queued it commits, not at the next
// outbox poll: the committing instance wakes its own drainer, and PostgreSQL NOTIFY wakes the others. Real job loops
// on real timers, with the poll set to 30 s so that only a wake-up can deliver within the bound.
import { openTestDatabase, usingPostgres } from '../support/db';
import { inappMessage, startTestService, type TestService } from '../support/service';
import { CallbackServer } from '../support/callback-server';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function waitFor(what: string, ok: () => boolean, ms: number) {
  for (const until = Date.now() + ms; !ok(); await sleep(5)) if (Date.now() > until) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
}
const SLOW_POLL = { pollMs: 30_000, tickMs: 30_000 };

test('the acknowledgement leaves when the message commits, long before the next poll', async () => {
  const t = await startTestService({ jobs: SLOW_POLL });
  try {
    await t.startBackground();
    await sleep(50); // the first pass ran and the poll now sleeps 30 s
    const sent = Date.now();
    expect((await t.inapp(inappMessage({ account: { id: 'acct-wake' }, text: 'Is the export broken?' }))).status).toBe(200);
    await waitFor('the acknowledgement', () => t.callback.received.some((r) => r.body.account?.id === 'acct-wake' && r.body.kind === 'ack'), 2000);
    expect(Date.now() - sent).toBeLessThan(2000);
  } finally {
    await t.stopBackground();
    await t.close();
  }
});

(usingPostgres ? test : test.skip)('another instance is woken by NOTIFY: it delivers what this one queued', async () => {
  const db = await openTestDatabase();
  const callback = await new CallbackServer().start();
  // A takes the webhook and runs no background work; B only drains, woken by A's commits through PostgreSQL.
  const a = await startTestService({ db, callback, jobs: SLOW_POLL });
  const b: TestService = await startTestService({ db: Object.assign(await db.second(), { second: db.second, url: db.url }), callback, jobs: SLOW_POLL });
  try {
    await b.startBackground();
    await sleep(200); // B listens, ran its first pass and sleeps
    const sent = Date.now();
    expect((await a.inapp(inappMessage({ account: { id: 'acct-notify' }, text: 'Reports are empty' }))).status).toBe(200);
    await waitFor('the acknowledgement from B', () => callback.received.some((r) => r.body.account?.id === 'acct-notify'), 2000);
    expect(Date.now() - sent).toBeLessThan(2000);
  } finally {
    await b.stopBackground();
    await a.close();
    await b.close();
    await callback.stop();
    await db.close();
  }
});
