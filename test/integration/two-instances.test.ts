// Several instances on one database are normal (ARCHITECTURE §8): two app objects run the SLA ticker and the outbox
// drainer at the same time, and no alert or delivery happens twice. On PostgreSQL each instance has its own pool,
// so the claims really race; on PGlite (one connection) they interleave.
import { CallbackServer } from '../support/callback-server';
import { openTestDatabase, type TestDatabase } from '../support/db';
import { inappMessage, startTestService, type TestService } from '../support/service';

let db: TestDatabase;
let callback: CallbackServer;
let a: TestService;
let b: TestService;
const CASES = 40;

beforeAll(async () => {
  db = await openTestDatabase();
  callback = await new CallbackServer().start();
  a = await startTestService({ db, callback });
  b = await startTestService({ db: Object.assign(await db.second(), { second: db.second, url: db.url }), callback });
  b.clock.set(a.clock.now());
  // Both instances read one clock, as two machines would read one wall clock.
  b.core.clock = a.core.clock;
  const m = await a.admin('POST', '/api/v1/managers', { name: 'Maria Petrova' });
  const backup = await a.admin('POST', '/api/v1/managers', { name: 'Boris Backup' });
  for (let i = 0; i < CASES; i++) {
    await a.admin('POST', '/api/v1/clients', { name: `Client ${i}`, tier: 'premium', managerId: m.json.id, backupManagerId: backup.json.id, inappAccountId: `acct-${i}` });
    // Half the messages arrive through each instance.
    const via = i % 2 ? b : a;
    const res = await via.inapp(inappMessage({ account: { id: `acct-${i}` }, user: { id: `u-${i}`, name: `User ${i}` }, text: `Question ${i}` }));
    expect(res.status).toBe(200);
  }
});
afterAll(async () => {
  await a.close();
  await b.close();
  await callback.stop();
  await db.close();
});

async function together<T>(fa: () => Promise<T>, fb: () => Promise<T>, rounds = 5) {
  for (let i = 0; i < rounds; i++) await Promise.all([fa(), fb()]);
}

test('acknowledgements are delivered once each', async () => {
  await together(() => a.drain(), () => b.drain());
  const ids = callback.received.map((r) => r.body.id);
  expect(ids).toHaveLength(CASES);
  expect(new Set(ids).size).toBe(CASES);
  expect(new Set(callback.received.map((r) => r.body.account.id)).size).toBe(CASES);
});

test('warnings and breaches fire once each across both instances', async () => {
  const notices = () => [...a.notices, ...b.notices];
  const countOf = (type: string) => notices().filter((n) => n.type === type).length;
  // 11:00 Moscow start, 1 business hour target: 50 % at 11:30, 80 % at 11:48, breach at 12:00.
  for (const at of ['2026-11-23T08:30:00Z', '2026-11-23T08:48:00Z', '2026-11-23T09:00:00Z']) {
    a.clock.set(at);
    await together(() => a.tick(), () => b.tick());
    await together(() => a.drain(), () => b.drain());
  }
  expect(countOf('sla_warning')).toBe(2 * CASES);
  expect(countOf('sla_breach')).toBe(CASES);
  const perCase = new Map<string, number>();
  for (const n of notices().filter((n) => n.type === 'sla_breach')) perCase.set(n.caseId!, (perCase.get(n.caseId!) ?? 0) + 1);
  expect(perCase.size).toBe(CASES);
  expect([...perCase.values()].every((c) => c === 1)).toBe(true);
});
