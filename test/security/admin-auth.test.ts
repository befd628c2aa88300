// Issue 12, security: the admin API requires its token on every route. Rather than a list of routes someone has to keep
// up to date, the test walks what the app registered (app.routeList, src/http/app.ts) with every channel enabled, so
// a route added later is covered the day it is added:
//  - every route under /api/v1 (but the in-app read-back, which the vendor's app signs instead) answers 401 without
//    the token, with a wrong one, with the right one under another scheme or in the query string — and without the
//    401 the same request with the token gets through (so the refusal is the token check, not a missing route);
//  - every other route must be declared below with how it is protected, and is probed for it: a new public route
//    fails this test until someone states why it may be reached without the token.
import { EMAIL_ENV_NOWHERE } from '../../adapters/email/test-support';
import botframeworkHarness from '../../adapters/botframework/harness';
import slackHarness from '../../adapters/slack/harness';
import telegramHarness from '../../adapters/telegram/harness';
import { ADMIN_TOKEN, startTestService, type TestService } from '../support/service';

const tg = telegramHarness();
const bf = botframeworkHarness();
const sl = slackHarness();
let t: TestService;

const READBACK = '/api/v1/inapp/accounts/:accountId/messages';
/** Routes outside the admin API, each with the request that must be refused without credentials (and what it gets). */
const DECLARED: Record<string, { why: string; refused?: { status: number } }> = {
  'GET /healthz': { why: 'liveness probe: says the process runs, nothing else' },
  'GET /readyz': { why: 'readiness probe: says whether the database answers' },
  'GET /metrics': { why: 'Prometheus scrape: counters and histograms, no client data, ids or texts (docs/operations.md); keep it off the public network' },
  [`GET ${READBACK}`]: { why: 'in-app read-back: signed by the vendor\'s app (INAPP_SECRET), bound to the account in the path', refused: { status: 401 } },
  'POST /webhooks/inapp': { why: 'in-app webhook: HMAC signature', refused: { status: 401 } },
  'POST /webhooks/telegram': { why: 'Telegram webhook: secret token header', refused: { status: 401 } },
  'POST /webhooks/botframework': { why: 'Bot Framework webhook: channel JWT', refused: { status: 401 } },
  'POST /webhooks/slack/events': { why: 'Slack: v0 signature', refused: { status: 401 } },
  'POST /webhooks/slack/commands': { why: 'Slack: v0 signature', refused: { status: 401 } },
  'POST /webhooks/slack/interactions': { why: 'Slack: v0 signature', refused: { status: 401 } },
  'GET /files/telegram/:fileId': { why: 'a client\'s Telegram file: only links we signed open it', refused: { status: 403 } },
  'GET /files/email': { why: 'a mail\'s attachment or full text: only links we signed open it', refused: { status: 403 } },
  // The web chat widget (adapters/inapp/widget): its script and CORS preflights are public; its calls carry a widget
  // token the vendor's backend signs.
  'GET /widget.js': { why: 'the chat widget\'s script: static, no data' },
  'OPTIONS /widget/v1/messages': { why: 'CORS preflight: no data' },
  'OPTIONS /widget/v1/stream': { why: 'CORS preflight: no data' },
  'POST /widget/v1/messages': { why: 'a widget message: the widget token (signed with INAPP_SECRET) names the account and user', refused: { status: 401 } },
  'GET /widget/v1/stream': { why: 'a widget conversation: the widget token names the account and user', refused: { status: 401 } },
  // The API reference: public by design (the shape of the API, no data; the open-source repository publishes it).
  'GET /api/docs': { why: 'the API reference (Swagger UI)' },
  'GET /api/docs/openapi.json': { why: 'the OpenAPI document' },
  'GET /api/docs/static/swagger-ui.css': { why: 'the reference\'s stylesheet' },
  'GET /api/docs/static/swagger-ui-bundle.js': { why: 'the reference\'s script' },
  'GET /api/docs/static/reader.js': { why: 'the reference\'s script' },
  // The SLA board: a board session (made by signing in with the admin token) on everything but the sign-in itself.
  'GET /board/login': { why: 'the board\'s sign-in page' },
  'POST /board/login': { why: 'signing in: takes the admin token', refused: { status: 401 } },
  'POST /board/logout': { why: 'a board session', refused: { status: 401 } },
  'GET /board': { why: 'a board session', refused: { status: 401 } },
  'GET /board/api/state': { why: 'a board session', refused: { status: 401 } },
  'GET /board/api/charts': { why: 'a board session', refused: { status: 401 } },
  'GET /board/events': { why: 'a board session', refused: { status: 401 } },
  'GET /board/assets/board.js': { why: 'a board session', refused: { status: 401 } },
  'GET /board/assets/board.css': { why: 'a board session', refused: { status: 401 } },
  'GET /board/assets/chart.umd.min.js': { why: 'a board session', refused: { status: 401 } },
};

const SOME_ID = '00000000-0000-4000-8000-000000000001';
const fill = (url: string) => url.replace(/:accountId/g, 'acct-auth').replace(/:ref/g, '1001').replace(/:fileId/g, 'AgADBAAD').replace(/:\w+/g, SOME_ID);

beforeAll(async () => {
  // The email channel's routes only need it configured; nothing here reads a mailbox or sends a mail.
  const env = Object.assign({}, await tg.prepare(), await bf.prepare(), await sl.prepare(), EMAIL_ENV_NOWHERE);
  t = await startTestService({ env });
});
afterAll(async () => {
  await t?.close();
  for (const h of [tg, bf, sl]) await h.stop();
});

const request = (method: string, url: string, headers: Record<string, string> = {}) =>
  t.app.inject({
    method: method as 'GET', url,
    ...(['POST', 'PATCH', 'PUT', 'DELETE'].includes(method) ? { payload: '{}', headers: { 'content-type': 'application/json', ...headers } } : { headers }),
  });

test('every channel is enabled, so every route the service can register is walked', () => {
  expect(t.channelInstances.map((c) => c.name).sort()).toEqual(['botframework', 'email', 'inapp', 'slack', 'telegram']);
  expect(t.app.routeList.length).toBeGreaterThan(50);
});

test('every /api/v1 admin route answers 401 without the token, with a wrong one, and with it anywhere but a Bearer header', async () => {
  const admin = t.app.routeList.filter((r) => r.url.startsWith('/api/v1/') && r.url !== READBACK);
  expect(admin.length).toBeGreaterThan(40);
  const wrong: string[] = [];
  for (const r of admin) {
    const url = fill(r.url);
    const attempts: [string, Record<string, string>, string?][] = [
      ['no token', {}],
      ['a wrong token', { authorization: 'Bearer not-the-admin-token-0123456789' }],
      ['the token with a character more', { authorization: `Bearer ${ADMIN_TOKEN}x` }],
      ['the token with one less', { authorization: `Bearer ${ADMIN_TOKEN.slice(0, -1)}` }],
      ['the token as Basic credentials', { authorization: `Basic ${Buffer.from(`admin:${ADMIN_TOKEN}`).toString('base64')}` }],
      ['the token without a scheme', { authorization: ADMIN_TOKEN }],
      ['the token in the query string', {}, `${url.includes('?') ? '&' : '?'}token=${ADMIN_TOKEN}&access_token=${ADMIN_TOKEN}`],
      ['the token in another header', { 'x-admin-token': ADMIN_TOKEN, cookie: `token=${ADMIN_TOKEN}` }],
    ];
    for (const [what, headers, query] of attempts) {
      const res = await request(r.method, url + (query ?? ''), headers);
      if (res.statusCode !== 401 || !/"error":"missing or invalid bearer token"/.test(res.body)) wrong.push(`${r.method} ${r.url} with ${what}: ${res.statusCode} ${res.body.slice(0, 120)}`);
    }
    // With the token the same request is not refused for want of it: the 401s above came from the token check.
    const authorized = await request(r.method, url, { authorization: `Bearer ${ADMIN_TOKEN}` });
    if (authorized.statusCode === 401) wrong.push(`${r.method} ${r.url} with the token: 401 ${authorized.body.slice(0, 120)}`);
  }
  expect(wrong).toEqual([]);
});

test('every route outside the admin API is declared with its protection, and refuses a request without its credentials', async () => {
  const others = t.app.routeList.filter((r) => !r.url.startsWith('/api/v1/') || r.url === READBACK).map((r) => `${r.method} ${r.url}`);
  // A route that is neither under the admin token nor declared here is a route anyone can call: say why it may be.
  expect(others.filter((r) => !DECLARED[r])).toEqual([]);
  const wrong: string[] = [];
  for (const key of others) {
    const refused = DECLARED[key].refused;
    if (!refused) continue;
    const [method, url] = key.split(' ');
    // Even the admin token opens none of them: each has credentials of its own.
    for (const headers of [{}, { authorization: `Bearer ${ADMIN_TOKEN}` }] as Record<string, string>[]) {
      const res = await request(method, fill(url), headers);
      if (res.statusCode !== refused.status) wrong.push(`${key}${'authorization' in headers ? ' with the admin token' : ''}: ${res.statusCode} ${res.body.slice(0, 120)}`);
    }
  }
  expect(wrong).toEqual([]);
});
