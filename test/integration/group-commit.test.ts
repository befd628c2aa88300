// Concurrent follow-up messages are written together (src/db/group-commit.ts): what clients see must not change.
// Every message is stored once and answered once, redeliveries that land in one batch with their original are still
// stored once, and a batch broken by one member still stores the others. PostgreSQL only: PGlite serves one
// connection, so nothing is ever concurrent there and the committer is off.
import { sql } from 'drizzle-orm';
import { usingPostgres } from '../support/db';
import { inappMessage, startTestService, type TestService } from '../support/service';

const ACCOUNTS = 6;
let t: TestService;

beforeAll(async () => {
  t = await startTestService();
  const m = await t.admin('POST', '/api/v1/managers', { name: 'Maria Petrova' });
  for (let i = 0; i < ACCOUNTS; i++) {
    await t.admin('POST', '/api/v1/clients', { name: `Batch client ${i}`, tier: 'premium', managerId: m.json.id, inappAccountId: `batch-${i}` });
    // An open case, so what follows are plain follow-ups: the appends that are batched.
    expect((await t.inapp(from(i, 'The export fails'))).status).toBe(200);
  }
});
afterAll(() => t.close());

function from(i: number, text: string, id?: string) {
  return inappMessage({ ...(id ? { id } : {}), account: { id: `batch-${i}` }, user: { id: `batch-user-${i}`, name: `User ${i}` }, text });
}

async function histogram(name: string) {
  const text = await t.metrics.registry.metrics();
  const value = (suffix: string) => Number(new RegExp(`^${name}_${suffix} (\\S+)$`, 'm').exec(text)?.[1] ?? 0);
  return { count: value('count'), sum: value('sum'), retried: Number(/^switchboard_ingest_batch_retried_total (\S+)$/m.exec(text)?.[1] ?? 0) };
}

async function inboundTexts(i: number): Promise<string[]> {
  const res = await t.db.db.execute(
    sql`SELECT text FROM messages WHERE conversation_key = ${`inapp:batch-${i}`} AND direction = 'inbound' ORDER BY pos`,
  );
  return (res as unknown as { rows: { text: string }[] }).rows.map((r) => r.text);
}

(usingPostgres ? test : test.skip)('a burst of follow-ups is written in batches, each message stored once', async () => {
  const before = await histogram('switchboard_ingest_batch_size');
  const burst = Array.from({ length: 120 }, (_, n) => from(n % ACCOUNTS, `follow-up ${n}`));
  const results = await Promise.all(burst.map((b) => t.inapp(b)));
  expect(results.map((r) => r.status)).toEqual(burst.map(() => 200));

  const after = await histogram('switchboard_ingest_batch_size');
  const batches = after.count - before.count;
  const written = after.sum - before.sum;
  // Every follow-up went through the committer, and fewer statements than messages were needed.
  expect(written).toBe(120);
  expect(batches).toBeLessThan(120);
  for (let i = 0; i < ACCOUNTS; i++) {
    const texts = await inboundTexts(i);
    const expected = burst.filter((_, n) => n % ACCOUNTS === i).map((b) => b.text);
    expect(texts.slice(1).sort()).toEqual([...expected].sort());
  }
});

(usingPostgres ? test : test.skip)('copies of one message in a batch are stored once; the batch\'s other messages are kept', async () => {
  const before = await histogram('switchboard_ingest_batch_size');
  const copies = Array.from({ length: 8 }, () => from(0, 'Sent once, delivered eight times', 'batch-redelivered-1'));
  const others = Array.from({ length: 16 }, (_, n) => from(1 + (n % (ACCOUNTS - 1)), `alongside ${n}`));
  // Interleaved, so copies and distinct messages queue for the same batches.
  const all = copies.flatMap((c, n) => [c, others[2 * n], others[2 * n + 1]]);
  const results = await Promise.all(all.map((b) => t.inapp(b)));
  expect(results.map((r) => r.status)).toEqual(all.map(() => 200));
  const after = await histogram('switchboard_ingest_batch_size');
  // A batch holding two copies failed on the delivery key as a whole and was written member by member.
  expect(after.retried - before.retried).toBeGreaterThan(0);

  expect((await inboundTexts(0)).filter((x) => x === 'Sent once, delivered eight times')).toHaveLength(1);
  for (let n = 0; n < others.length; n++) {
    expect(await inboundTexts(1 + (n % (ACCOUNTS - 1)))).toContain(`alongside ${n}`);
  }
});
