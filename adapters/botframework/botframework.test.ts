// The Bot Framework channel through the whole service: documented Teams and Web Chat activities, signed by the fake
// channel's keys, POSTed to /webhooks/botframework; what goes back is read at the fake Bot Connector, which the
// activities name as their serviceUrl, with the bearer token the bot got from the fake login host. Real database,
// injected clock, outbox drained by hand.
import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { mutateJson, type Mutation } from '../../test/fuzz/hostile';
import { startFakeBotFramework, type FakeBotFramework } from '../../test/support/fake-botframework';
import { startTestService, type TestService } from '../../test/support/service';
import { loadFixture, type FixtureName } from './fixtures';
import { decodeActivity } from './harness';

const APP_ID = randomUUID();
const TENANT = randomUUID();
const PERSONAL = 'a:17I0kl9EkpE1O9PH5TWrzrLNwnWWcfrU7QZjKR0WSfOpzbfcAg2IaydGElSo10tVr4C7Fc6GtieTJX663WuJCc1uA83n4CSrHSgGBj5XNYLcVlJAs2ZX8DbYBPck201w-';
const THREAD = '19:aebd0ad4d6ab42c8b9ed19c251c2fc37@thread.skype;messageid=1481567603816';
const MEGAN_AAD = '7faf8ab2-3d56-4244-b585-20c8a42ed2b8';

let fake: FakeBotFramework;
let t: TestService;
let maria: string;
let acme: string;
let consoleError: jest.SpyInstance;

const envFor = (f: FakeBotFramework) => ({
  ...f.env(APP_ID, 'bot-secret-value-123'),
});

beforeAll(async () => {
  // botbuilder console.errors each signature failure with the public key; the refusals below are expected.
  consoleError = jest.spyOn(console, 'error').mockImplementation(() => undefined);
  fake = await startFakeBotFramework({ appId: APP_ID });
  t = await startTestService({ env: envFor(fake) });
  maria = (await t.admin('POST', '/api/v1/managers', { name: 'Maria Petrova', timeZone: 'Europe/Moscow', isDefault: true })).json.id;
  acme = (await t.admin('POST', '/api/v1/clients', { name: 'Acme Ltd', tier: 'premium', managerId: maria })).json.id;
  // Acme's whole Teams tenant is theirs.
  expect((await t.admin('POST', `/api/v1/clients/${acme}/links`, { channel: 'botframework', key: TENANT })).status).toBe(201);
});
afterAll(async () => {
  await t?.close();
  await fake?.close();
  consoleError.mockRestore();
});

const activity = (name: FixtureName, over: Record<string, unknown> = {}) => ({ ...loadFixture(name, { serviceUrl: fake.serviceUrl, appId: APP_ID, tenantId: TENANT }), ...over });

async function deliver(body: unknown, authorization: string | null = `Bearer ${fake.token()}`, raw?: string) {
  const res = await t.app.inject({
    method: 'POST', url: '/webhooks/botframework', payload: raw ?? JSON.stringify(body),
    headers: { 'content-type': 'application/json', ...(authorization ? { authorization } : {}) },
  });
  let json: any;
  try {
    json = JSON.parse(res.body);
  } catch {
    json = undefined;
  }
  return { status: res.statusCode, json };
}

const sentTo = (conversationId: string) => fake.activities.filter((a) => a.conversationId === conversationId);
const getCase = async (n: number) => (await t.admin('GET', `/api/v1/cases/${n}`)).json;
const casesOf = async (clientId: string) => (await t.admin('GET', `/api/v1/cases?clientId=${clientId}`)).json.cases as { number: number }[];

describe('a Teams client in a personal chat', () => {
  let number: number;

  test('a signed Teams message becomes a case with one acknowledgement, carrying the urgency card, sent with the bot token', async () => {
    const res = await deliver(activity('teams-personal-message'));
    expect(res).toMatchObject({ status: 200, json: { status: 'stored', case: { opened: true } } });
    number = res.json.case.number;
    const kase = await getCase(number);
    expect(kase).toMatchObject({ clientId: acme, channel: 'botframework', urgency: 'critical', managerId: maria, sla: { state: 'running' } });
    // The person is their AAD object id within their tenant.
    const contact = (await t.admin('GET', `/api/v1/contacts/${kase.messages[0].contactId}`)).json;
    expect(contact.identities).toEqual([expect.objectContaining({ channel: 'botframework', externalId: MEGAN_AAD, account: TENANT })]);

    await t.drain();
    const sent = sentTo(PERSONAL);
    expect(sent).toHaveLength(1);
    expect(sent[0].authorization).toMatch(/^Bearer fake-bot-token-\d+$/);
    expect(sent[0].body).toMatchObject({ from: { id: `28:${APP_ID}` }, recipient: { aadObjectId: MEGAN_AAD }, conversation: { tenantId: TENANT } });
    const ack = decodeActivity(sent[0].body);
    expect(ack.author).toBeNull();
    expect(ack.text).toMatch(new RegExp(`^We received your request: case #${number}\\. Urgency: critical\\.\\nYour manager: Maria Petrova\\.`));
    // The client's own time zone (from Teams' clientInfo) is shown next to the vendor's.
    expect(ack.text).toContain('(America/Los_Angeles)');
    expect(ack.choices).toEqual(['/urgency high', '/urgency medium', '/urgency low', '/urgency informational', '/urgency feature']);
    expect(fake.tokenRequests.at(-1)?.form).toMatchObject({ grant_type: 'client_credentials', client_id: APP_ID, scope: 'https://api.botframework.com/.default' });
  });

  test('the same activity delivered again is stored once and answered once', async () => {
    expect((await deliver(activity('teams-personal-message'))).json).toEqual({ status: 'duplicate' });
    await t.drain();
    expect(sentTo(PERSONAL)).toHaveLength(1);
    expect((await getCase(number)).messages.filter((m: { direction: string }) => m.direction === 'inbound')).toHaveLength(1);
  });

  test('pressing a button on the card sets the urgency', async () => {
    const res = await deliver(activity('teams-card-submit', { replyToId: sentTo(PERSONAL)[0].id }));
    expect(res.json).toEqual({ status: 'command' });
    expect(await getCase(number)).toMatchObject({ urgency: 'high', urgencySource: 'client' });
    await t.drain();
    expect(decodeActivity(sentTo(PERSONAL).at(-1)!.body).text).toMatch(new RegExp(`^Case #${number} is now high\\. You will get a response by `));
  });

  test('an edit and a deletion are recorded on the case and told to the manager, each once', async () => {
    expect((await deliver(activity('teams-message-edit'))).json).toEqual({ status: 'changed' });
    expect((await deliver(activity('teams-message-edit'))).json).toEqual({ status: 'duplicate' });
    let kase = await getCase(number);
    const first = kase.messages.find((m: { direction: string }) => m.direction === 'inbound');
    expect(first.text).toBe('Tracking is down since 9:00, all conversions lost!');
    expect(kase.timeline).toContainEqual(expect.objectContaining({ type: 'message_edited', previousText: 'Tracking is down, all conversions lost!' }));

    expect((await deliver(activity('teams-message-delete'))).json).toEqual({ status: 'changed' });
    kase = await getCase(number);
    expect(kase.timeline).toContainEqual(expect.objectContaining({ type: 'message_deleted', messageId: first.id }));
    await t.drain();
    const told = t.notices.filter((n) => n.caseNumber === number).map((n) => n.type);
    expect(told.filter((x) => x === 'message_edited')).toHaveLength(1);
    expect(told.filter((x) => x === 'message_deleted')).toHaveLength(1);
  });

  test('typing is ignored: nothing stored, nothing sent', async () => {
    const before = (await getCase(number)).messages.length;
    const sent = fake.activities.length;
    const { text: _t, ...typing } = activity('teams-personal-message', { type: 'typing', id: '1485983499999' });
    expect((await deliver(typing)).json).toEqual({ status: 'ignored', reason: 'typing activity' });
    await t.drain();
    expect((await getCase(number)).messages).toHaveLength(before);
    expect(fake.activities).toHaveLength(sent);
  });

  test("a manager's reply: their name in bold, what they typed not read as markup, files as links", async () => {
    const text = 'Use *exactly* this:\n1. open <Settings> & pick "UTC"\n# done';
    const res = await t.admin('POST', `/api/v1/cases/${number}/reply`, {
      text, managerId: maria, attachments: [{ name: 'fix_steps.pdf', url: 'https://files.vendor.test/fix_steps.pdf' }],
    });
    expect(res.status).toBe(200);
    await t.drain();
    const got = sentTo(PERSONAL).at(-1)!;
    expect(got.body.text).toMatch(/^\*\*Maria Petrova\*\*\n\n/);
    expect(got.body.text).toContain('[https://files.vendor.test/fix\\_steps.pdf](https://files.vendor.test/fix_steps.pdf)');
    expect(decodeActivity(got.body)).toEqual({ author: 'Maria Petrova', text: `${text}\nfix_steps.pdf: https://files.vendor.test/fix_steps.pdf`, choices: [] });
  });

  test('a reply longer than Teams takes arrives in parts, in order', async () => {
    const words = Array.from({ length: 2500 }, (_, i) => `w${i}`).join(' ');
    expect((await t.admin('POST', `/api/v1/cases/${number}/reply`, { text: words, managerId: maria })).status).toBe(200);
    const before = sentTo(PERSONAL).length;
    await t.drain();
    const parts = sentTo(PERSONAL).slice(before).map((a) => decodeActivity(a.body));
    expect(parts.length).toBeGreaterThan(1);
    expect(parts.every((p) => p.author === 'Maria Petrova')).toBe(true);
    expect(parts.map((p) => p.text).join(' ')).toBe(words);
  });
});

describe('a conversation whose service URL changes', () => {
  let moved: FakeBotFramework;
  beforeAll(async () => {
    // Another region's connector; tokens still come from the same channel.
    moved = await startFakeBotFramework({ appId: APP_ID });
  });
  afterAll(() => moved?.close());

  test("later replies go to the service URL of the client's latest authenticated activity", async () => {
    const CONV = 'a:1moving-personal-chat';
    const conversation = { conversationType: 'personal', tenantId: TENANT, id: CONV };
    const first = await deliver(activity('teams-personal-message', { id: '1710000000001', conversation, text: 'Exports are slow' }));
    await t.drain();
    expect(sentTo(CONV)).toHaveLength(1);
    const second = activity('teams-personal-message', { id: '1710000000002', conversation, text: 'Still slow today', serviceUrl: moved.serviceUrl });
    expect((await deliver(second, `Bearer ${fake.token({ serviceurl: moved.serviceUrl })}`)).json).toMatchObject({ status: 'stored' });
    expect((await t.admin('POST', `/api/v1/cases/${first.json.case.number}/reply`, { text: 'Fixed in the new region.', managerId: maria })).status).toBe(200);
    await t.drain();
    expect(sentTo(CONV)).toHaveLength(1);
    expect(moved.activities.filter((a) => a.conversationId === CONV).map((a) => decodeActivity(a.body).text)).toEqual(['Fixed in the new region.']);
  });
});

describe('what the connector refuses', () => {
  let number: number;
  const CONV = 'a:1refusals-personal-chat';
  beforeAll(async () => {
    const res = await deliver(activity('teams-personal-message', { id: '1700000000001', conversation: { conversationType: 'personal', tenantId: TENANT, id: CONV }, text: 'Where is my report?' }));
    number = res.json.case.number;
    await t.drain();
  });
  const reply = async (text: string) => expect((await t.admin('POST', `/api/v1/cases/${number}/reply`, { text, managerId: maria })).status).toBe(200);

  test('429 with Retry-After: the reply waits in the outbox that long, then goes out', async () => {
    t.clock.set('2026-11-23T09:00:00Z');
    fake.failConnector({ status: 429, retryAfter: '120' });
    await reply('Checking now.');
    const got = () => sentTo(CONV).filter((a) => decodeActivity(a.body).text === 'Checking now.').length;
    expect(await t.drain()).toMatchObject({ retried: 1 });
    expect(got()).toBe(0);
    t.clock.set('2026-11-23T09:01:50Z');
    await t.drain();
    expect(got()).toBe(0);
    t.clock.set('2026-11-23T09:02:01Z');
    await t.drain();
    expect(got()).toBe(1);
  });

  test.each([
    [403, 'the bot was removed'],
    [404, 'the conversation is gone'],
  ])('%i (%s) is a permanent failure, reported to the manager on the case', async (status) => {
    fake.failConnector({ status });
    const sent = sentTo(CONV).length;
    await reply(`Attempt ${status}`);
    expect(await t.drain()).toMatchObject({ failed: 1 });
    expect(sentTo(CONV)).toHaveLength(sent);
    const told = t.notices.filter((n) => n.type === 'delivery_failed' && n.caseNumber === number).at(-1);
    expect(told?.text).toContain(`(${status})`);
    expect(told?.managerIds).toEqual([maria]);
    expect((await getCase(number)).timeline).toContainEqual(expect.objectContaining({ type: 'delivery_failed', reason: expect.stringContaining(`(${status})`) }));
  });
});

describe('requests that are not from the channel', () => {
  const body = () => activity('teams-personal-message', { id: `1800${Math.floor(Math.random() * 1e9)}`, conversation: { conversationType: 'personal', tenantId: TENANT, id: 'a:1forged' } });
  const EMULATOR_ISSUER = 'https://sts.windows.net/d6d49420-f39b-4df7-a1dc-d59a935871db/';

  test.each([
    ['no token', () => null, /channel token/],
    ['a token signed by a key the channel never published', () => `Bearer ${fake.token({ signWith: 'unpublished' })}`, /signature/],
    ['an expired token', () => `Bearer ${fake.token({ exp: Math.floor(Date.now() / 1000) - 600 })}`, /expired/],
    ['a token for another bot', () => `Bearer ${fake.token({ aud: randomUUID() })}`, /another app/],
    ["the emulator's issuer", () => `Bearer ${fake.token({ iss: EMULATOR_ISSUER })}`, /issuer/],
    ['a token for another serviceUrl', () => `Bearer ${fake.token({ serviceurl: 'https://attacker.example/' })}`, /serviceurl/],
    ['not a bearer token', () => 'Basic dXNlcjpwYXNz', /channel token/],
  ])('%s: 401, nothing stored, nothing sent', async (_name, auth, reason) => {
    const cases = (await casesOf(acme)).length;
    const sent = fake.activities.length;
    const res = await deliver(body(), auth());
    expect(res.status).toBe(401);
    expect(res.json.error).toMatch(reason);
    await t.drain();
    expect((await casesOf(acme)).length).toBe(cases);
    expect(fake.activities).toHaveLength(sent);
  });

  test('a body that is not JSON: 401 without a token (the body is never read), 400 with one', async () => {
    expect((await deliver(null, null, '{"type":')).status).toBe(401);
    const res = await deliver(null, `Bearer ${fake.token()}`, '{"type":');
    expect(res.status).toBe(400);
    expect(res.json.error).toMatch(/malformed JSON/);
  });

  test('an authenticated activity missing what a message needs: 400 naming it', async () => {
    const { id: _id, ...noId } = body();
    const res = await deliver(noId);
    expect(res).toMatchObject({ status: 400, json: { error: expect.stringMatching(/id: a message needs an id/) } });
  });

  test('hostile variations of a signed activity get a 4xx that says why, never a 5xx', async () => {
    const sample = activity('teams-personal-message', { conversation: { conversationType: 'personal', tenantId: TENANT, id: 'a:1fuzz' } });
    const token = fake.token();
    const statuses: Record<number, number> = {};
    await fc.assert(
      fc.asyncProperty(mutateJson(sample), async (m: Mutation) => {
        const res = await t.app.inject({ method: 'POST', url: '/webhooks/botframework', payload: m.text, headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` } });
        statuses[res.statusCode] = (statuses[res.statusCode] ?? 0) + 1;
        expect(res.statusCode).toBeLessThan(500);
        if (res.statusCode >= 400) expect(JSON.parse(res.body).error).toEqual(expect.any(String));
      }),
      { numRuns: 150, seed: 20261130 },
    );
    // The mutations reached past the token check, into normalization and storage.
    expect(Object.keys(statuses).sort()).toEqual(expect.arrayContaining(['200', '400', '401']));
  });

  test('neither tokens nor secrets reach the log', () => {
    const log = t.log.text();
    expect(log).not.toContain('fake-bot-token-');
    expect(log).not.toContain('bot-secret-value-123');
    expect(log).not.toMatch(/eyJ[A-Za-z0-9_-]{20,}/);
  });
});

describe('other conversations', () => {
  test('a channel post that @mentions the bot: a case without the mention, answered in the thread of the post', async () => {
    const res = await deliver(activity('teams-channel-mention'));
    expect(res.json).toMatchObject({ status: 'stored', case: { opened: true } });
    const kase = await getCase(res.json.case.number);
    expect(kase).toMatchObject({ clientId: acme });
    expect(kase.messages[0].text).toBe('the export job failed again overnight');
    await t.drain();
    expect(sentTo(THREAD)).toEqual([expect.objectContaining({ replyToId: '1481567603816', authorization: expect.stringMatching(/^Bearer /) })]);
  });

  test('the bot added to a team: one welcome that explains the commands', async () => {
    const added = activity('teams-bot-added');
    expect((await deliver(added)).status).toBe(200);
    expect((await deliver(added)).json).toEqual({ status: 'duplicate' });
    await t.drain();
    const welcome = sentTo('19:0b7f32667e064dd9b25d7969801541f4@thread.tacv2');
    expect(welcome).toHaveLength(1);
    const { text } = decodeActivity(welcome[0].body);
    for (const command of ['/status', '/urgency', '/call', '/feature']) expect(text).toContain(command);
  });

  test('Web Chat from an unknown visitor: onboarded by the unknown-account rule, answered with suggested actions', async () => {
    const res = await deliver(activity('webchat-message'));
    expect(res.json).toMatchObject({ status: 'stored', case: { opened: true } });
    const kase = await getCase(res.json.case.number);
    const client = (await t.admin('GET', `/api/v1/clients/${kase.clientId}`)).json;
    expect(client).toMatchObject({ name: 'Ann (Web Chat)', tier: 'standard', managerId: maria });
    await t.drain();
    expect(t.notices).toContainEqual(expect.objectContaining({ type: 'new_client', text: expect.stringContaining('Ann (Web Chat)') }));
    const [ack] = sentTo('Dxd3zSBwOqb8Fy5wNRyjJ7-f');
    expect(ack.replyToId).toBe('Dxd3zSBwOqb8Fy5wNRyjJ7-f|0000001');
    expect(ack.body.suggestedActions).toMatchObject({ to: ['dl_7c5a0a5e-8f0e-4b8d-9d2a-0d6c1b2d3e4f'] });
    expect(decodeActivity(ack.body).choices).toContain('/urgency critical');
    // A press is imBack: the value comes back as the visitor's own message.
    const picked = await deliver(activity('webchat-message', { id: 'Dxd3zSBwOqb8Fy5wNRyjJ7-f|0000002', text: '/urgency critical' }));
    expect(picked.json).toEqual({ status: 'command' });
    expect(await getCase(res.json.case.number)).toMatchObject({ urgency: 'critical' });
  });
});

describe('with BOTFRAMEWORK_ALLOW_UNAUTHENTICATED=true (local testing only)', () => {
  let open: TestService;
  beforeAll(async () => {
    open = await startTestService({ db: Object.assign(await t.db.second(), { second: t.db.second, url: t.db.url }), env: { BOTFRAMEWORK_ALLOW_UNAUTHENTICATED: 'true' } });
  });
  afterAll(() => open?.close());

  test('the start-up banner says so, requests need no token, and replies carry none', async () => {
    const line = open.channelInstances.find((c) => c.name === 'botframework')!.instance.describe!();
    expect(line).toMatch(/AUTHENTICATION DISABLED/);
    const body = activity('teams-personal-message', { id: '1900000000001', conversation: { conversationType: 'personal', tenantId: TENANT, id: 'a:1unauthenticated' }, text: 'Local test' });
    const res = await open.app.inject({ method: 'POST', url: '/webhooks/botframework', payload: JSON.stringify(body), headers: { 'content-type': 'application/json' } });
    expect(JSON.parse(res.body)).toMatchObject({ status: 'stored' });
    await open.drain();
    expect(sentTo('a:1unauthenticated')).toEqual([expect.objectContaining({ authorization: null })]);
  });
});
