// Issue 12, security: the in-app read-back returns only the signed account's messages. inapp-flow.test.ts shows a
// client reading its own conversation and a signature made for another account's URL failing; here an attacker who
// holds a valid signature for (or can sign) some account's URL tries to reach another account's conversation: ids
// that differ by a prefix, a LIKE wildcard, case, encoded path separators, and a person known in two accounts.
import { signedHeaders } from '../../adapters/inapp';
import { INAPP_SECRET, inappMessage, startTestService, type TestService } from '../support/service';

let t: TestService;
let managerId: string;
/** account → the texts written in its conversation (by the client and by the manager). */
const written = new Map<string, string[]>();
const ACCOUNTS = ['iso-a', 'iso-a-2', 'iso-b', 'iso_b', '%', 'ISO-A'];

/** `account` as it goes in the URL: an id of ours is percent-encoded, a probe is sent as written. */
async function read(account: string, raw = false): Promise<{ status: number; texts: string[]; userIds: unknown[]; ids: string[] }> {
  const path = `/api/v1/inapp/accounts/${raw ? account : encodeURIComponent(account)}/messages?after=0`;
  const res = await t.app.inject({ method: 'GET', url: path, headers: signedHeaders(INAPP_SECRET, { method: 'GET', path }, t.clock.now()) });
  const messages = (res.json().messages ?? []) as { id: string; text: string; author: { userId?: unknown } }[];
  return { status: res.statusCode, texts: messages.map((m) => m.text), userIds: messages.map((m) => m.author.userId).filter((u) => u !== undefined), ids: messages.map((m) => m.id) };
}

/** Polls (bounded) until the account's read-back shows `n` messages: a message is readable once older transactions end. */
async function readAll(account: string, n: number) {
  let r = await read(account);
  for (let i = 0; i < 100 && r.texts.length < n; i++) {
    await new Promise((res) => setTimeout(res, 20));
    r = await read(account);
  }
  return r;
}

beforeAll(async () => {
  t = await startTestService();
  managerId = (await t.admin('POST', '/api/v1/managers', { name: 'Maria Petrova', timeZone: 'Europe/Moscow', isDefault: true })).json.id;
  for (const account of ACCOUNTS) {
    const client = await t.admin('POST', '/api/v1/clients', { name: `Client ${account}`, tier: 'premium', managerId, inappAccountId: account });
    expect(client.status).toBe(201);
    const said = `Private question of ${account}: our tracking is off`;
    const sent = await t.inapp(inappMessage({ account: { id: account, name: `Client ${account}` }, user: { id: `${account}-user`, name: 'Pat' }, text: said }));
    expect(sent.json.status).toBe('stored');
    const reply = `Private answer for ${account}: fixed on our side`;
    expect((await t.admin('POST', `/api/v1/cases/${sent.json.case.number}/reply`, { text: reply, managerId })).status).toBe(200);
    written.set(account, [said, reply]);
  }
  await t.drain();
});
afterAll(() => t.close());

test("each account reads its own conversation — its client's message, the acknowledgement, the reply — and nothing of another's", async () => {
  for (const account of ACCOUNTS) {
    const r = await readAll(account, 3);
    expect({ account, status: r.status }).toEqual({ account, status: 200 });
    const mine = written.get(account)!;
    expect({ account, texts: r.texts.filter((x) => !/^We received your request/.test(x)) }).toEqual({ account, texts: mine });
    const theirs = [...written].filter(([a]) => a !== account).flatMap(([, texts]) => texts);
    expect({ account, leaked: r.texts.filter((x) => theirs.includes(x)) }).toEqual({ account, leaked: [] });
    expect({ account, userIds: r.userIds }).toEqual({ account, userIds: [`${account}-user`] });
  }
});

test('ids that are not an account of ours read nothing: encoded separators, a prefix, a wildcard, another case', async () => {
  for (const probe of ['iso-a%2F..%2Fiso-b', '..%2Fiso-b', 'iso-%25', 'iso', 'iso-a%20', 'Iso-a', '%2A', 'iso-a%2Fmessages']) {
    const r = await read(probe, true);
    expect({ probe, status: r.status < 500, texts: r.texts }).toEqual({ probe, status: true, texts: [] });
  }
});

test('a person known in two accounts (two in-app identities on one contact) sees each message once, under the account it was written in', async () => {
  const client = (await t.admin('GET', '/api/v1/clients')).json.clients.find((c: { inappAccountId: string }) => c.inappAccountId === 'iso-a');
  const contact = await t.admin('POST', '/api/v1/contacts', {
    clientId: client.id, name: 'Dual Person',
    identities: [{ channel: 'inapp', externalId: 'dual-a', account: 'iso-a' }, { channel: 'inapp', externalId: 'dual-b', account: 'iso-b' }],
  });
  expect(contact.status).toBe(201);
  const said = 'Dual person writes in iso-a';
  expect((await t.inapp(inappMessage({ account: { id: 'iso-a' }, user: { id: 'dual-a', name: 'Dual Person' }, text: said }))).json.status).toBe('stored');
  const a = await readAll('iso-a', 4);
  expect(a.texts.filter((x) => x === said)).toHaveLength(1);
  expect(new Set(a.ids).size).toBe(a.ids.length);
  // The author is named by the identity that wrote it here, never by the one in the other account.
  expect(a.userIds).not.toContain('dual-b');
  const b = await read('iso-b');
  expect(b.texts).not.toContain(said);
});
