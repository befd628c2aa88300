// Inbound JWT validation, offline: a local OpenID metadata + JWKS with keys made by the test, channel tokens signed
// by it, the SDK's own checks around them. Every failure must be an AuthError (a 401), never a plain error that
// CloudAdapter.process would turn into a 500.
import { startFakeBotFramework, type FakeBotFramework } from '../../test/support/fake-botframework';
import { AuthError, createRequestVerifier, type AuthFailure, type RequestVerifier } from './auth';
import { loadBotFrameworkConfig, type BotFrameworkConfig } from './config';
import { FIXTURES, loadFixture } from './fixtures';
import { createBotFrameworkSdk, type BotFrameworkSdk } from './sdk';

const APP_ID = 'a1b2c3d4-inbound-0000-0000-000000000001';
const EMULATOR_ISSUER = 'https://sts.windows.net/d6d49420-f39b-4df7-a1dc-d59a935871db/';

let fake: FakeBotFramework;
let config: BotFrameworkConfig;
let sdk: BotFrameworkSdk;
let verify: RequestVerifier;
let consoleError: jest.SpyInstance;

beforeAll(async () => {
  // botbuilder console.errors every signature or endorsement failure (with the public key); keep the run readable.
  consoleError = jest.spyOn(console, 'error').mockImplementation(() => undefined);
  fake = await startFakeBotFramework({ appId: APP_ID });
  config = loadBotFrameworkConfig({
    ...fake.env(APP_ID, 'secret'),
  });
  sdk = createBotFrameworkSdk(config);
  verify = createRequestVerifier(sdk, { timeoutMs: 5000 });
});

afterAll(async () => {
  await fake.close();
  consoleError.mockRestore();
});

const activity = (name: Parameters<typeof loadFixture>[0] = 'teams-personal-message') =>
  loadFixture(name, { serviceUrl: fake.serviceUrl, appId: APP_ID });
const bearer = (token: string) => `Bearer ${token}`;
const now = () => Math.floor(Date.now() / 1000);

async function rejection(header: string | undefined, body: unknown, v: RequestVerifier = verify): Promise<AuthError> {
  const outcome = await v(header, body).then(
    () => null,
    (e: unknown) => e,
  );
  expect(outcome).toBeInstanceOf(AuthError);
  const err = outcome as AuthError;
  expect(err.statusCode).toBe(401);
  return err;
}

async function expectRejected(reason: AuthFailure, header: string | undefined, body: unknown = activity(), v?: RequestVerifier) {
  expect((await rejection(header, body, v)).reason).toBe(reason);
}

test('a valid channel token is accepted, with its claims', async () => {
  const result = await verify(bearer(fake.token()), activity());
  expect(result).toMatchObject({ authenticated: true, channelId: 'msteams', serviceUrl: fake.serviceUrl });
  expect(result.claims).toMatchObject({ aud: APP_ID, iss: fake.issuer, serviceurl: fake.serviceUrl });
  // The keys came from the configured metadata's jwks_uri, fetched once and cached: a second request fetches nothing.
  await verify(bearer(fake.token()), activity());
  expect(fake.requests.filter((r) => r.startsWith('GET /v1/'))).toEqual(['GET /v1/.well-known/openidconfiguration', 'GET /v1/.well-known/keys']);
});

test.each(FIXTURES)('the documented activity %s verifies against its own serviceUrl and channel', async (name) => {
  const body = activity(name);
  await expect(verify(bearer(fake.token()), body)).resolves.toMatchObject({ channelId: body.channelId });
});

test('a key endorsing only msteams accepts a Teams activity', async () => {
  await expect(verify(bearer(fake.token({ endorsedChannels: ['msteams'] })), activity())).resolves.toMatchObject({ authenticated: true });
});

describe('the seven bad cases are each a 401', () => {
  test('missing token', async () => {
    await expectRejected('missing_token', undefined);
    await expectRejected('missing_token', '');
  });

  test('wrong audience', async () => {
    await expectRejected('audience', bearer(fake.token({ aud: 'another-app' })));
  });

  test('wrong issuer', async () => {
    await expectRejected('issuer', bearer(fake.token({ iss: 'https://api.botframework.com.evil' })));
  });

  test('expired token (beyond the 5 minutes of skew)', async () => {
    await expectRejected('expired', bearer(fake.token({ exp: now() - 6 * 60 })));
  });

  test('unknown signing key', async () => {
    await expectRejected('unknown_key', bearer(fake.token({ kid: 'not-published', signWith: 'unpublished' })));
  });

  test('a channel the key does not endorse', async () => {
    await expectRejected('endorsement', bearer(fake.token({ endorsedChannels: ['msteams'] })), activity('webchat-message'));
  });

  test('a serviceurl claim that differs from the activity', async () => {
    await expectRejected('service_url', bearer(fake.token({ serviceurl: 'https://smba.trafficmanager.net/amer/' })));
    await expectRejected('service_url', bearer(fake.token({ serviceurl: null })));
  });
});

describe('what botbuilder 4.23 gets wrong (PLATFORMS.md) is a 401 here', () => {
  test('a known kid with a bad signature', async () => {
    await expectRejected('signature', bearer(fake.token({ signWith: 'unpublished' })));
  });

  test('the SDK alone throws a plain error for it, which CloudAdapter.process answers with a 500', async () => {
    const raw = await sdk.auth.authenticateRequest(activity() as never, bearer(fake.token({ signWith: 'unpublished' }))).then(
      () => null,
      (e: Error) => e,
    );
    expect(raw?.name).toBe('JsonWebTokenError');
  });

  test('an nbf in the future', async () => {
    await expectRejected('not_yet_valid', bearer(fake.token({ nbf: now() + 3600 })));
  });

  test('an nbf or exp the SDK catches itself is mapped too (our clock ahead, so the pre-check lets them through)', async () => {
    const ahead = createRequestVerifier(sdk, { now: () => Date.now() + 2 * 3600_000 });
    await expectRejected('not_yet_valid', bearer(fake.token({ nbf: now() + 3600, exp: now() + 4 * 3600 })), activity(), ahead);
    const behind = createRequestVerifier(sdk, { now: () => Date.now() - 2 * 3600_000 });
    await expectRejected('expired', bearer(fake.token({ nbf: now() - 4 * 3600, exp: now() - 3600 })), activity(), behind);
  });

  test("a token with the emulator's issuer, even validly signed", async () => {
    const token = fake.token({ iss: EMULATOR_ISSUER, serviceurl: 'https://attacker.example/', extra: { ver: '1.0', appid: APP_ID } });
    await expectRejected('issuer', bearer(token));
    // Without the pre-check the SDK takes it down the emulator path and never compares serviceurl.
    await expect(sdk.auth.authenticateRequest(activity() as never, bearer(token))).resolves.toBeTruthy();
  });

  test('a skill token', async () => {
    const token = fake.token({ extra: { ver: '2.0', azp: 'some-other-bot', appid: 'some-other-bot' } });
    await expectRejected('skill_token', bearer(token));
  });

  test('an activity without a serviceUrl (the SDK would skip the serviceurl check)', async () => {
    const { serviceUrl: _drop, ...body } = activity();
    await expectRejected('activity', bearer(fake.token()), body);
  });
});

describe('malformed input', () => {
  test.each([
    ['Basic dXNlcjpwYXNz'],
    ['Bearer not-a-jwt'],
    ['bearer a.b.c'],
    ['Bearer e30.e30.sig extra'],
    [`Bearer ${Buffer.from('[1]').toString('base64url')}.${Buffer.from('{}').toString('base64url')}.c2ln`],
  ])('%s', async (header) => {
    await expectRejected('malformed_token', header);
  });

  test('an algorithm outside RS256/384/512', async () => {
    const [, payload, sig] = fake.token().split('.');
    const none = Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT', kid: 'fake-key-1' })).toString('base64url');
    const hs = Buffer.from(JSON.stringify({ alg: 'HS256', typ: 'JWT', kid: 'fake-key-1' })).toString('base64url');
    await expectRejected('algorithm', `Bearer ${none}.${payload}.${sig}`);
    await expectRejected('algorithm', `Bearer ${hs}.${payload}.${sig}`);
  });

  test('RS384 and RS512 are accepted', async () => {
    await expect(verify(bearer(fake.token({ alg: 'RS384' })), activity())).resolves.toBeTruthy();
    await expect(verify(bearer(fake.token({ alg: 'RS512' })), activity())).resolves.toBeTruthy();
  });

  test('a body that is not an activity', async () => {
    await expectRejected('activity', bearer(fake.token()), null);
    await expectRejected('activity', bearer(fake.token()), { serviceUrl: fake.serviceUrl });
    await expectRejected('activity', bearer(fake.token()), { ...activity(), channelId: 'AseChannel' });
  });
});

test('signing keys that cannot be loaded are a 401', async () => {
  const unreachable = loadBotFrameworkConfig({
    MICROSOFT_APP_ID: APP_ID,
    MICROSOFT_APP_PASSWORD: 'secret',
    // A closed loopback port: refused at once, no real network.
    BOTFRAMEWORK_OPENID_METADATA_URL: 'http://127.0.0.1:9/v1/.well-known/openidconfiguration',
    BOTFRAMEWORK_TOKEN_ISSUER: fake.issuer,
    BOTFRAMEWORK_LOGIN_URL: fake.loginUrl,
  });
  const v = createRequestVerifier(createBotFrameworkSdk(unreachable), { timeoutMs: 2000 });
  await expectRejected('keys_unavailable', bearer(fake.token()), activity(), v);
});

test('with BOTFRAMEWORK_ALLOW_UNAUTHENTICATED=true and no app id, requests pass without a token', async () => {
  const open = loadBotFrameworkConfig({ BOTFRAMEWORK_ALLOW_UNAUTHENTICATED: 'true' });
  const v = createRequestVerifier(createBotFrameworkSdk(open));
  await expect(v(undefined, activity())).resolves.toEqual({
    authenticated: false,
    channelId: 'msteams',
    serviceUrl: fake.serviceUrl,
    claims: {},
  });
});
