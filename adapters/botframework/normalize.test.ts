// Documented activities → what core hears. Each case is something a client or a manager would notice: a reply that
// can't find its way back, a channel post whose thread is lost, the bot's own name in a case subject, a colleague
// onboarded as another company, an edit opening a new case.
import { loadFixture, type FixtureName } from './fixtures';
import { InvalidActivity, normalizeActivity, type Normalized } from './normalize';

const SERVICE_URL = 'https://smba.trafficmanager.net/emea/';
const APP_ID = '8f2b6d1e-5a4c-4e0b-9d3f-1c2a3b4c5d6e';
const TENANT = '72f988bf-86f1-41af-91ab-2d7cd011db47';
const PERSONAL = 'a:17I0kl9EkpE1O9PH5TWrzrLNwnWWcfrU7QZjKR0WSfOpzbfcAg2IaydGElSo10tVr4C7Fc6GtieTJX663WuJCc1uA83n4CSrHSgGBj5XNYLcVlJAs2ZX8DbYBPck201w-';
const now = new Date('2026-11-23T08:00:00Z');

const fixture = (name: FixtureName, over: Record<string, unknown> = {}) => ({ ...loadFixture(name, { serviceUrl: SERVICE_URL, appId: APP_ID }), ...over });
const run = (body: Record<string, unknown>): Normalized =>
  normalizeActivity(body, { channelId: String(body.channelId), serviceUrl: String(body.serviceUrl) }, now);
const env = (body: Record<string, unknown>) => {
  const n = run(body);
  if (n.kind !== 'envelope') throw new Error(`expected an envelope, got ${n.kind}: ${'reason' in n ? n.reason : ''}`);
  return n.envelope;
};

test('a Teams personal message: the conversation reference is stored whole, the AAD object id is the person, the tenant the account', () => {
  expect(env(fixture('teams-personal-message'))).toEqual({
    channel: 'botframework',
    account: TENANT,
    deliveryId: '1485983408511',
    deliveryScope: `msteams:${PERSONAL}`,
    conversationKey: `botframework:msteams:${PERSONAL}`,
    address: {
      serviceUrl: SERVICE_URL,
      channelId: 'msteams',
      conversation: { id: PERSONAL, conversationType: 'personal', tenantId: TENANT },
      bot: { id: `28:${APP_ID}`, name: 'Switchboard' },
      user: {
        id: '29:1XJKJMvc5GBtc2JwZq0oj8tHZmzrQgFmB39ATiQWA85gQtHieVkKilBZ9XHoq9j7Zaqt7CZ-NJWi7me2kHTL3Bw',
        name: 'Megan Bowen',
        aadObjectId: '7faf8ab2-3d56-4244-b585-20c8a42ed2b8',
      },
      locale: 'en-US',
    },
    sender: { externalId: '7faf8ab2-3d56-4244-b585-20c8a42ed2b8', name: 'Megan Bowen', timeZone: 'America/Los_Angeles', isSelf: false, isAutomated: false },
    accountName: 'Megan Bowen (Microsoft Teams)',
    linkKeys: [PERSONAL, TENANT],
    platformMessageIds: [{ scope: `msteams:${PERSONAL}`, externalId: '1485983408511' }],
    // Teams' HTML rendering of the same text is not a file.
    text: 'Tracking is down, all conversions lost!',
    attachments: [],
    receivedAt: now,
  });
});

test('the serviceUrl stored is the verified one, whatever else the body says', () => {
  const e = env(fixture('teams-personal-message'));
  const n = normalizeActivity(fixture('teams-personal-message'), { channelId: 'msteams', serviceUrl: 'https://smba.trafficmanager.net/amer/' }, now);
  expect(n.kind === 'envelope' && (n.envelope.address as { serviceUrl: string }).serviceUrl).toBe('https://smba.trafficmanager.net/amer/');
  expect((e.address as { serviceUrl: string }).serviceUrl).toBe(SERVICE_URL);
});

test('a channel post that @mentions the bot: its thread is the conversation, the mention is not part of what the client said', () => {
  const e = env(fixture('teams-channel-mention'));
  const thread = '19:aebd0ad4d6ab42c8b9ed19c251c2fc37@thread.skype;messageid=1481567603816';
  expect(e).toMatchObject({
    conversationKey: `botframework:msteams:${thread}`,
    deliveryScope: `msteams:${thread}`,
    text: 'the export job failed again overnight',
    sender: { externalId: 'c33aafc4-646d-4543-9d4c-abd28e4d2110', name: 'Jane Smith' },
    // The thread, then the whole channel, then the tenant: a client linked by its channel gets every thread in it.
    linkKeys: [thread, '19:aebd0ad4d6ab42c8b9ed19c251c2fc37@thread.skype', TENANT],
    address: { conversation: { id: thread, conversationType: 'channel', isGroup: true, tenantId: TENANT } },
  });
});

test("someone else's mention stays as their name; only the bot's own is removed", () => {
  const body = fixture('teams-channel-mention', {
    text: '<at>Switchboard</at> please ask <at>Lee Gu</at> about the export',
    entities: [
      { type: 'mention', mentioned: { id: `28:${APP_ID}`, name: 'Switchboard' }, text: '<at>Switchboard</at>' },
      { type: 'mention', mentioned: { id: '29:lee', name: 'Lee Gu' }, text: '<at>Lee Gu</at>' },
    ],
  });
  expect(env(body).text).toBe('please ask Lee Gu about the export');
});

test('an Adaptive Card press is the client choosing: the button value becomes their command', () => {
  const e = env(fixture('teams-card-submit'));
  expect(e).toMatchObject({ text: '/urgency high', deliveryId: 'f:5261769396935243054', conversationKey: `botframework:msteams:${PERSONAL}` });
  expect(e.urgency).toBeUndefined();
  // A press on somebody else's card is not a message.
  expect(run(fixture('teams-card-submit', { value: { action: 'approve' } }))).toEqual({ kind: 'ignored', reason: 'a card action that is not ours' });
});

test('a Web Chat message: its conversation, no tenant, the user id as the person, and no shared account', () => {
  const e = env(fixture('webchat-message'));
  expect(e).toMatchObject({
    account: '',
    deliveryId: 'Dxd3zSBwOqb8Fy5wNRyjJ7-f|0000001',
    deliveryScope: 'webchat:Dxd3zSBwOqb8Fy5wNRyjJ7-f',
    conversationKey: 'botframework:webchat:Dxd3zSBwOqb8Fy5wNRyjJ7-f',
    sender: { externalId: 'dl_7c5a0a5e-8f0e-4b8d-9d2a-0d6c1b2d3e4f', name: 'Ann', timeZone: 'Europe/Moscow' },
    accountName: 'Ann (Web Chat)',
    linkKeys: ['Dxd3zSBwOqb8Fy5wNRyjJ7-f'],
    address: { serviceUrl: SERVICE_URL, channelId: 'webchat', conversation: { id: 'Dxd3zSBwOqb8Fy5wNRyjJ7-f' }, bot: { id: 'switchboard-bot@Dxd3zSBwOqb' } },
  });
});

test('the bot added to a team: a welcome, asked of core as /start, once per activity', () => {
  const n = run(fixture('teams-bot-added'));
  expect(n.kind).toBe('envelope');
  if (n.kind !== 'envelope') return;
  expect(n.welcome).toBe(true);
  expect(n.envelope).toMatchObject({
    text: '/start',
    deliveryId: 'f:0b9079f4-d4d3-3d8e-b883-798298053c7e',
    conversationKey: 'botframework:msteams:19:0b7f32667e064dd9b25d7969801541f4@thread.tacv2',
    accountName: 'Acme Ltd',
    sender: { externalId: 'eddfa9d4-346e-4cce-a18f-fa6261ad776b' },
  });
  // Someone else joining is not the bot joining.
  expect(run(fixture('teams-bot-added', { membersAdded: [{ id: '29:someone-else' }] })).kind).toBe('ignored');
});

test('an edit replaces the stored text, found by the message id in the same scope; each version is a delivery of its own', () => {
  const e = env(fixture('teams-message-edit'));
  expect(e).toMatchObject({
    text: 'Tracking is down since 9:00, all conversions lost!',
    change: { kind: 'edit', target: { scope: `msteams:${PERSONAL}`, externalId: '1485983408511' } },
    platformMessageIds: [],
  });
  expect(e.deliveryId).not.toBe('1485983408511');
  expect(env(fixture('teams-message-edit')).deliveryId).toBe(e.deliveryId);
  expect(env(fixture('teams-message-edit', { text: 'Fixed itself' })).deliveryId).not.toBe(e.deliveryId);
});

test('a deletion is recorded against the message it deletes', () => {
  expect(env(fixture('teams-message-delete'))).toMatchObject({
    text: '',
    deliveryId: 'delete:1485983408511',
    change: { kind: 'delete', target: { scope: `msteams:${PERSONAL}`, externalId: '1485983408511' } },
  });
});

test('a file from the client is a reference: its name, its type, its content URL', () => {
  expect(env(fixture('teams-file-message')).attachments).toEqual([
    {
      name: 'conversions-export.csv',
      url: 'https://contoso.sharepoint.com/personal/megan_contoso_com/Documents/Microsoft%20Teams%20Chat%20Files/conversions-export.csv',
      mimeType: 'text/csv',
    },
  ]);
  const e = env(fixture('webchat-message', { attachments: [
    { contentType: 'image/png', contentUrl: 'https://directline.botframework.com/attachments/Dxd/0/screenshot.png', name: 'screenshot.png' },
    { contentType: 'image/png', contentUrl: 'data:image/png;base64,iVBORw0KGgo=', name: 'inline.png' },
    { contentType: 'application/vnd.microsoft.card.hero', content: { title: 'x' } },
  ] }));
  expect(e.attachments).toEqual([{ name: 'screenshot.png', url: 'https://directline.botframework.com/attachments/Dxd/0/screenshot.png', mimeType: 'image/png' }]);
});

test('#low in a message is the explicit urgency; in the middle of a word, or on a command, it is not', () => {
  expect(env(fixture('teams-personal-message', { text: 'Small thing to check #low' })).urgency).toBe('low');
  expect(env(fixture('teams-personal-message', { text: 'see ticket#low-prio' })).urgency).toBeUndefined();
  expect(env(fixture('teams-personal-message', { text: '/feature tags like #high on exports' })).urgency).toBeUndefined();
});

test('typing, reactions and other activity types are ignored; a message that was only the mention is too', () => {
  expect(run(fixture('teams-personal-message', { type: 'typing', text: undefined }))).toEqual({ kind: 'ignored', reason: 'typing activity' });
  expect(run(fixture('teams-personal-message', { type: 'messageReaction' })).kind).toBe('ignored');
  expect(run(fixture('teams-channel-mention', { text: '<at>Switchboard</at>' }))).toEqual({ kind: 'ignored', reason: 'empty message' });
});

test('the bot hearing itself is marked as our own, another bot as automated', () => {
  const self = env(fixture('teams-personal-message', { from: { id: `28:${APP_ID}`, name: 'Switchboard' } }));
  expect(self.sender).toMatchObject({ isSelf: true, isAutomated: false });
  const bot = env(fixture('webchat-message', { from: { id: 'other-bot', name: 'Other', role: 'bot' } }));
  expect(bot.sender).toMatchObject({ isSelf: false, isAutomated: true });
});

test('what an activity lacks is named', () => {
  expect(() => run(fixture('teams-personal-message', { id: undefined }))).toThrow(new InvalidActivity('id: a message needs an id'));
  expect(() => run(fixture('teams-personal-message', { conversation: { id: 42 } }))).toThrow(/conversation\.id/);
  expect(() => run(fixture('teams-personal-message', { text: 'x'.repeat(100_001) }))).toThrow(/text/);
});
