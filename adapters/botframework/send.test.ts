// Outbound through the real SDK client to the fake Bot Connector: what each channel's client gets (buttons as a card
// or as suggested actions, the thread of a channel post, the tenant Teams wants), and how the connector's refusals
// reach the outbox (retry after Retry-After, or a permanent failure the manager is told about).
import { randomUUID } from 'node:crypto';
import { DeliveryError, type OutboundMessage } from '../../src/core/ports';
import { startFakeBotFramework, type FakeBotFramework } from '../../test/support/fake-botframework';
import { loadBotFrameworkConfig } from './config';
import { createBotConnector } from './connector';
import { loadFixture, type FixtureName } from './fixtures';
import { decodeActivity } from './harness';
import { MAX_RENDERED } from './format';
import { normalizeActivity } from './normalize';
import { createBotFrameworkSdk } from './sdk';
import { createSend } from './send';

let fake: FakeBotFramework;
let send: ReturnType<typeof createSend>;
const APP_ID = randomUUID();
const opts = () => ({ idempotencyKey: 'outbox-1', signal: new AbortController().signal });
const CHOICES = [{ label: 'Set urgency: high', value: '/urgency high' }, { label: 'Set urgency: low', value: '/urgency low' }];

beforeAll(async () => {
  fake = await startFakeBotFramework({ appId: APP_ID });
  const config = loadBotFrameworkConfig({
    ...fake.env(APP_ID, 'bot-secret'),
  });
  send = createSend(createBotConnector(createBotFrameworkSdk(config)));
});
afterAll(() => fake.close());
beforeEach(() => fake.reset());

/** The address and scope inbound normalization stored for a documented activity. */
function from(name: FixtureName) {
  const n = normalizeActivity(loadFixture(name, { serviceUrl: fake.serviceUrl, appId: APP_ID }), { channelId: name.startsWith('webchat') ? 'webchat' : 'msteams', serviceUrl: fake.serviceUrl }, new Date());
  if (n.kind !== 'envelope') throw new Error('no envelope');
  return { address: n.envelope.address, scope: n.envelope.deliveryScope, messageId: n.envelope.platformMessageIds[0].externalId };
}
const ack = (over: Partial<OutboundMessage> = {}): OutboundMessage => ({ kind: 'ack', text: 'We received your request: case #1001.\nUrgency: medium.', caseNumber: 1001, ...over });

test('Teams: the choices are an Adaptive Card of Action.Submit buttons, the tenant goes along, the id comes back in our scope', async () => {
  const { address, scope } = from('teams-personal-message');
  const res = await send(address, ack({ choices: CHOICES }), opts());
  expect(res).toEqual({ externalIds: [fake.activities[0].id], scope });
  const [got] = fake.activities;
  expect(got.authorization).toMatch(/^Bearer fake-bot-token-\d+$/);
  expect(got.replyToId).toBeNull();
  expect(got.body).toMatchObject({ type: 'message', textFormat: 'markdown', channelData: { tenant: { id: '72f988bf-86f1-41af-91ab-2d7cd011db47' } } });
  expect(got.body.attachments).toEqual([
    {
      contentType: 'application/vnd.microsoft.card.adaptive',
      content: expect.objectContaining({
        type: 'AdaptiveCard',
        version: '1.4',
        actions: [
          { type: 'Action.Submit', title: 'Set urgency: high', data: { switchboardChoice: '/urgency high' } },
          { type: 'Action.Submit', title: 'Set urgency: low', data: { switchboardChoice: '/urgency low' } },
        ],
      }),
    },
  ]);
  expect(decodeActivity(got.body)).toEqual({ author: null, text: 'We received your request: case #1001.\nUrgency: medium.', choices: ['/urgency high', '/urgency low'] });
});

test('Web Chat: suggested actions for the client who wrote, the reply tied to their message, hard line breaks', async () => {
  const { address, scope, messageId } = from('webchat-message');
  await send(address, ack({ choices: CHOICES, replyTo: { scope, externalId: messageId } }), opts());
  const [got] = fake.activities;
  expect(got).toMatchObject({ conversationId: 'Dxd3zSBwOqb8Fy5wNRyjJ7-f', replyToId: messageId });
  expect(got.body.attachments).toBeUndefined();
  expect(got.body.suggestedActions).toEqual({
    to: ['dl_7c5a0a5e-8f0e-4b8d-9d2a-0d6c1b2d3e4f'],
    actions: [{ type: 'imBack', title: 'Set urgency: high', value: '/urgency high' }, { type: 'imBack', title: 'Set urgency: low', value: '/urgency low' }],
  });
  expect(got.body.text).toBe('We received your request: case #1001.  \nUrgency: medium.');
  // A message from another conversation is not something to reply to here.
  await send(address, ack({ replyTo: { scope: 'webchat:other', externalId: messageId } }), opts());
  expect(fake.activities[1].replyToId).toBeNull();
});

test("Teams channel post: every message goes into the thread of the client's post, even proactively", async () => {
  const { address } = from('teams-channel-mention');
  await send(address, { kind: 'reply', text: 'We are on it.', author: { name: 'Maria Petrova' }, caseNumber: 1002 }, opts());
  expect(fake.activities[0]).toMatchObject({
    conversationId: '19:aebd0ad4d6ab42c8b9ed19c251c2fc37@thread.skype;messageid=1481567603816',
    replyToId: '1481567603816',
  });
  expect(decodeActivity(fake.activities[0].body)).toEqual({ author: 'Maria Petrova', text: 'We are on it.', choices: [] });
});

test('Teams personal chat: no replyToId (no threads there, and a card press id names no message)', async () => {
  const { address } = from('teams-card-submit');
  await send(address, ack({ replyTo: { scope: 'msteams:x', externalId: 'f:5261769396935243054' } }), opts());
  expect(fake.activities[0].replyToId).toBeNull();
});

test('text that escaping more than doubles goes out in parts that each fit', async () => {
  const { address, scope } = from('teams-personal-message');
  const text = '*_'.repeat(4000); // 8,000 characters, 16,000 once escaped
  const res = await send(address, { kind: 'reply', text, author: { name: 'Maria Petrova' } }, opts());
  expect(fake.activities.length).toBeGreaterThan(1);
  expect(res).toEqual({ externalIds: fake.activities.map((a) => a.id), scope });
  for (const a of fake.activities) expect(String(a.body.text).length).toBeLessThanOrEqual(MAX_RENDERED);
  expect(fake.activities.map((a) => decodeActivity(a.body).text).join('')).toBe(text);
});

test.each([
  [429, { retryable: true, retryAfterMs: 30_000 }],
  [403, { retryable: false }],
  [404, { retryable: false }],
] as const)('the connector answering %i is a DeliveryError the outbox understands', async (status, expected) => {
  const { address } = from('teams-personal-message');
  fake.failConnector({ status, ...(status === 429 ? { retryAfter: '30' } : {}) });
  const err = await send(address, ack(), opts()).then(() => null, (e: unknown) => e);
  expect(err).toBeInstanceOf(DeliveryError);
  expect(err).toMatchObject(expected);
  expect((err as Error).message).toContain(String(status));
});

test('a stored address that lost its serviceUrl is a permanent failure, and nothing is sent', async () => {
  const { address } = from('teams-personal-message');
  const { serviceUrl: _gone, ...broken } = address as Record<string, unknown>;
  await expect(send(broken, ack(), opts())).rejects.toMatchObject({ name: 'DeliveryError', retryable: false });
  expect(fake.activities).toEqual([]);
});
