// Outbound: the bot's own token comes from the (fake) login host through MSAL, and every activity reaches the
// (fake) Bot Connector with it as a bearer token; the connector's answers become retryable or permanent errors, and
// the SDK never retries by itself.
import { startFakeBotFramework, type FakeBotFramework } from '../../test/support/fake-botframework';
import { loadBotFrameworkConfig } from './config';
import { ConnectorError, createBotConnector, parseRetryAfter, toDeliveryError, type BotConnector, type StoredConversationReference } from './connector';
import { loadFixture } from './fixtures';
import { createBotFrameworkSdk } from './sdk';

let fake: FakeBotFramework;
let appSeq = 0;

beforeAll(async () => {
  fake = await startFakeBotFramework();
});

afterAll(async () => {
  await fake.close();
});

beforeEach(() => fake.reset());

// botbuilder caches bot tokens process-wide per app id and scope: a fresh app id per connector keeps tests apart.
function connector(env: Record<string, string> = {}): { connector: BotConnector; appId: string } {
  const appId = `0000000${++appSeq}-outbound-test`;
  const config = loadBotFrameworkConfig({
    ...fake.env(appId, 'bot-secret'),
    ...env,
  });
  return { connector: createBotConnector(createBotFrameworkSdk(config)), appId };
}

// What the adapter stores from an authenticated inbound activity.
function referenceFrom(name: Parameters<typeof loadFixture>[0], appId: string): StoredConversationReference {
  const a = loadFixture(name, { serviceUrl: fake.serviceUrl, appId });
  return { serviceUrl: a.serviceUrl, channelId: a.channelId, conversation: a.conversation, bot: a.recipient, user: a.from } as StoredConversationReference;
}

async function failure(p: Promise<unknown>): Promise<ConnectorError> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ConnectorError);
  return err as ConnectorError;
}

const posts = () => fake.requests.filter((r) => r.startsWith('POST /v3/'));

test('a proactive send gets the bot token from the login host and carries it as a bearer token', async () => {
  const { connector: c, appId } = connector();
  const ref = referenceFrom('teams-personal-message', appId);

  const sent = await c.sendActivity(ref, { type: 'message', text: 'Case #1001 is open; Maria will answer within 15 minutes.' });

  expect(sent.id).toMatch(/^activity-\d+$/);
  // MSAL read the login URL's OpenID configuration (never Microsoft's instance discovery) and posted client credentials.
  expect(fake.requests.filter((r) => !r.startsWith('POST /v3/')).map((r) => r.replace(/\?.*$/, ''))).toEqual([
    'GET /botframework.com/v2.0/.well-known/openid-configuration',
    'POST /botframework.com/oauth2/v2.0/token',
  ]);
  expect(fake.tokenRequests).toHaveLength(1);
  expect(fake.tokenRequests[0].form).toMatchObject({
    grant_type: 'client_credentials',
    client_id: appId,
    client_secret: 'bot-secret',
    scope: 'https://api.botframework.com/.default',
  });

  expect(fake.activities).toHaveLength(1);
  const [got] = fake.activities;
  expect(got.authorization).toBe('Bearer fake-bot-token-1');
  expect(got).toMatchObject({ method: 'POST', conversationId: ref.conversation.id, replyToId: null });
  expect(got.body).toMatchObject({
    type: 'message',
    text: 'Case #1001 is open; Maria will answer within 15 minutes.',
    channelId: 'msteams',
    serviceUrl: fake.serviceUrl,
    conversation: { id: ref.conversation.id, conversationType: 'personal', tenantId: ref.conversation.tenantId },
    from: { id: `28:${appId}` },
    recipient: { id: ref.user!.id },
  });
});

test('the token is reused for the next send', async () => {
  const { connector: c, appId } = connector();
  const ref = referenceFrom('teams-personal-message', appId);
  await c.sendActivity(ref, { text: 'one' });
  await c.sendActivity(ref, { text: 'two' });
  expect(fake.tokenRequests).toHaveLength(1);
  expect(fake.activities.map((a) => a.authorization)).toEqual([fake.activities[0].authorization, fake.activities[0].authorization]);
});

test('a reply in a Teams channel thread goes to /activities/{replyToId} with the thread conversation id intact', async () => {
  const { connector: c, appId } = connector();
  const ref = referenceFrom('teams-channel-mention', appId);
  await c.sendActivity(ref, { text: 'On it.' }, { replyToId: '1481567603816' });
  expect(fake.activities[0]).toMatchObject({
    conversationId: '19:aebd0ad4d6ab42c8b9ed19c251c2fc37@thread.skype;messageid=1481567603816',
    replyToId: '1481567603816',
  });
  expect(fake.activities[0].body).toMatchObject({ replyToId: '1481567603816' });
});

test('Web Chat conversations work the same way', async () => {
  const { connector: c, appId } = connector();
  const ref = referenceFrom('webchat-message', appId);
  await expect(c.sendActivity(ref, { text: 'Hello Ann' })).resolves.toEqual({ id: expect.any(String) });
  expect(fake.activities[0]).toMatchObject({ conversationId: 'Dxd3zSBwOqb8Fy5wNRyjJ7-f', authorization: expect.stringMatching(/^Bearer /) });
});

describe('connector answers', () => {
  let c: BotConnector;
  let ref: StoredConversationReference;
  beforeAll(() => {
    const made = connector();
    c = made.connector;
    ref = referenceFrom('teams-personal-message', made.appId);
  });

  test('429 with Retry-After in seconds is retryable after that long, and tried once', async () => {
    fake.failConnector({ status: 429, retryAfter: '7' });
    const err = await failure(c.sendActivity(ref, { text: 'x' }));
    expect(err).toMatchObject({ reason: 'rate_limited', retryable: true, status: 429, retryAfterMs: 7000 });
    expect(posts()).toHaveLength(1);
    expect(toDeliveryError(err)).toMatchObject({ name: 'DeliveryError', retryable: true, retryAfterMs: 7000 });
  });

  test('429 with Retry-After as an HTTP date', async () => {
    fake.failConnector({ status: 429, retryAfter: new Date(Date.now() + 30_000).toUTCString() });
    const err = await failure(c.sendActivity(ref, { text: 'x' }));
    expect(err.retryable).toBe(true);
    expect(err.retryAfterMs).toBeGreaterThan(25_000);
    expect(err.retryAfterMs).toBeLessThanOrEqual(30_000);
  });

  test('500 is retryable, and the SDK does not post it again by itself', async () => {
    fake.failConnector({ status: 500 }, { status: 500 }, { status: 500 }, { status: 500 });
    const err = await failure(c.sendActivity(ref, { text: 'x' }));
    expect(err).toMatchObject({ reason: 'server_error', retryable: true, status: 500 });
    expect(posts()).toHaveLength(1);
  });

  test.each([
    [403, 'forbidden'],
    [404, 'not_found'],
    [401, 'unauthorized'],
    [400, 'rejected'],
  ] as const)('%i is permanent (%s)', async (status, reason) => {
    fake.failConnector({ status });
    const err = await failure(c.sendActivity(ref, { text: 'x' }));
    expect(err).toMatchObject({ reason, retryable: false, status });
    expect(posts()).toHaveLength(1);
    expect(toDeliveryError(err).retryable).toBe(false);
  });

  test('a dropped connection is a retryable network failure', async () => {
    fake.failConnector({ status: 0, drop: true });
    const err = await failure(c.sendActivity(ref, { text: 'x' }));
    expect(err).toMatchObject({ reason: 'network', retryable: true });
  });

  test('an aborted send is retryable and sends nothing', async () => {
    const ctl = new AbortController();
    ctl.abort();
    const err = await failure(c.sendActivity(ref, { text: 'x' }, { signal: ctl.signal }));
    expect(err).toMatchObject({ reason: 'timeout', retryable: true });
    expect(posts()).toHaveLength(0);
  });
});

test('a login host that refuses the credentials is retryable, and nothing reaches the connector', async () => {
  const { connector: c, appId } = connector();
  fake.failLogin({ status: 401, body: { error: 'invalid_client', error_description: 'AADSTS7000215: Invalid client secret provided.' } });
  const err = await failure(c.sendActivity(referenceFrom('teams-personal-message', appId), { text: 'x' }));
  expect(err).toMatchObject({ reason: 'token_unavailable', retryable: true });
  expect(fake.activities).toHaveLength(0);
});

test('with authentication disabled, replies go out without a token', async () => {
  const config = loadBotFrameworkConfig({ BOTFRAMEWORK_ALLOW_UNAUTHENTICATED: 'true' });
  const c = createBotConnector(createBotFrameworkSdk(config));
  await c.sendActivity(referenceFrom('teams-personal-message', 'no-app'), { text: 'x' });
  expect(fake.tokenRequests).toHaveLength(0);
  expect(fake.activities[0].authorization).toBeNull();
});

test('Retry-After parsing', () => {
  const t = Date.parse('2026-11-30T12:00:00Z');
  expect(parseRetryAfter('12', t)).toBe(12_000);
  expect(parseRetryAfter('Mon, 30 Nov 2026 12:00:05 GMT', t)).toBe(5000);
  expect(parseRetryAfter('Mon, 30 Nov 2026 11:00:00 GMT', t)).toBe(0);
  expect(parseRetryAfter('soon', t)).toBeUndefined();
  expect(parseRetryAfter(undefined, t)).toBeUndefined();
});
