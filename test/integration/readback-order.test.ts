// SPEC §7 read-back (`GET .../messages?after=`): a poller's cursor must never pass a message whose transaction
// commits later. Two writers are held open on their own connections, committing out of seq order; every message
// reaches the poller exactly once. Only PostgreSQL has concurrent writers (PGlite serves one connection).
import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { signedHeaders } from '../../adapters/inapp';
import { usingPostgres } from '../support/db';
import { INAPP_SECRET, inappMessage, startTestService, type TestService } from '../support/service';

let t: TestService;
beforeAll(async () => {
  t = await startTestService();
});
afterAll(() => t.close());

async function poll(account: string, after: number) {
  const url = `/api/v1/inapp/accounts/${account}/messages?after=${after}`;
  const res = await t.app.inject({ method: 'GET', url, headers: signedHeaders(INAPP_SECRET, { method: 'GET', path: url }, t.clock.now()) });
  expect(res.statusCode).toBe(200);
  return res.json() as { messages: { seq: number; text: string; direction: string }[]; next: number };
}

/** A writer on a connection of its own, holding its transaction open until told to commit. */
async function writer() {
  const c = new Client({ connectionString: t.db.url! });
  await c.connect();
  await c.query('BEGIN');
  return {
    /** Takes a transaction id now, before any message (as the locked ingest path does with its delivery row). */
    takeXid: () => c.query(`INSERT INTO inbound_deliveries (channel, scope, delivery_id, received_at) VALUES ('inapp', 'slow', $1, now())`, [randomUUID()]),
    message: (account: string, text: string) =>
      c.query(
        `INSERT INTO messages (id, direction, author_kind, text, channel, conversation_key, created_at) VALUES ($1, 'inbound', 'contact', $2, 'inapp', $3, $4)`,
        [randomUUID(), text, `inapp:${account}`, t.clock.now()],
      ),
    commit: async () => {
      await c.query('COMMIT');
      await c.end();
    },
  };
}

(usingPostgres ? test : test.skip)('a message committed after a later one is still read, and nothing is read twice', async () => {
  const account = 'acct-readback';
  expect((await t.inapp(inappMessage({ account: { id: account }, text: 'first' }))).status).toBe(200);
  const seen: string[] = [];
  let cursor = 0;
  /** Reads until `done` holds (other databases' transactions on a shared server can hold rows back a moment). */
  const readUntil = async (done: () => boolean) => {
    for (let i = 0; i < 100; i++) {
      await read();
      if (done()) return;
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  const read = async () => {
    // Seconds pass between polls: a reader that trusted row age alone would now take anything committed.
    t.clock.advance(5000);
    const page = await poll(account, cursor);
    // The acknowledgements of webhook messages come along too; the client's own messages are what is counted here.
    seen.push(...page.messages.filter((m) => m.direction === 'inbound').map((m) => m.text));
    cursor = page.next;
  };
  await readUntil(() => seen.includes('first'));

  // A starts first (older transaction id) but writes its message last; B writes in between; C is a normal message.
  const a = await writer();
  await a.takeXid();
  const b = await writer();
  await b.message(account, 'from B (lower seq, commits last)');
  await a.message(account, 'from A (higher seq, commits first)');
  await a.commit();
  expect((await t.inapp(inappMessage({ account: { id: account }, text: 'C through the webhook' }))).status).toBe(200);

  // B is still in flight: what is older than B is final and read; C, newer than B, waits; B is invisible.
  await readUntil(() => seen.length >= 2);
  expect(seen).toEqual(['first', 'from A (higher seq, commits first)']);
  await read();
  expect(seen).toHaveLength(2);

  await b.commit();
  await readUntil(() => seen.length >= 4);
  expect(seen.slice(2).sort()).toEqual(['C through the webhook', 'from B (lower seq, commits last)']);
  await read();
  expect(seen).toHaveLength(4);
});

test('a cursor beyond what the database can count is refused with the bound', async () => {
  const res = await t.app.inject({
    method: 'GET', url: '/api/v1/inapp/accounts/x/messages?after=1e20',
    headers: signedHeaders(INAPP_SECRET, { method: 'GET', path: '/api/v1/inapp/accounts/x/messages?after=1e20' }, t.clock.now()),
  });
  expect(res.statusCode).toBe(400);
  expect(res.json().error).toMatch(/after must be an integer from 0 to 9007199254740991/);
});
