// SPEC §8, as a property: bad input gets a 4xx that says what is wrong, never a 5xx, a crash or a hang. Every
// registered route (admin API with a valid token, webhooks with valid signatures over hostile bodies) gets generated
// and mutated requests: characters PostgreSQL can't store, numbers and dates beyond its range, repeated query
// parameters, deep nesting, huge ids, wrong types, wrong content types. Seeded: a failure prints the seed and path
// to reproduce it (FUZZ_SEED, FUZZ_RUNS).
import fc from 'fast-check';
import { randomUUID } from 'node:crypto';
import { signedHeaders } from '../../adapters/inapp';
import { FakeSlack } from '../support/fake-slack';
import { slackHeaders } from '../support/slack-signing';
import { ADMIN_TOKEN, INAPP_SECRET, SLACK_SIGNING_SECRET, inappMessage, startTestService, type TestService } from '../support/service';
import { hostileValue, hostileText, mutateJson, pathSegment, type Mutation } from './hostile';

const SEED = Number(process.env.FUZZ_SEED ?? 20261130);
const RUNS = Number(process.env.FUZZ_RUNS ?? 80);
const HANG_MS = 10_000;

let t: TestService;
let slack: FakeSlack;
const ids: Record<string, string[]> = {};

beforeAll(async () => {
  slack = await new FakeSlack().start();
  t = await startTestService({ slack: { apiUrl: slack.url, leadChannel: 'CLEAD' } });
  const manager = (await t.admin('POST', '/api/v1/managers', { name: 'Fuzz Manager', timeZone: 'Europe/Moscow', isDefault: true, slackUserId: 'UFUZZ' })).json;
  const client = (await t.admin('POST', '/api/v1/clients', { name: 'Fuzz Co', tier: 'premium', managerId: manager.id, inappAccountId: 'acct-fuzz' })).json;
  const sent = (await t.inapp(inappMessage({ account: { id: 'acct-fuzz' }, text: 'Tracking is down' }))).json;
  await t.inapp(inappMessage({ account: { id: 'acct-fuzz' }, text: '/feature bulk export' }));
  const contact = (await t.admin('POST', '/api/v1/contacts', { clientId: client.id, name: 'Fuzz Contact' })).json;
  const calendar = (await t.admin('GET', '/api/v1/calendars/default')).json;
  const cal = (await t.admin('POST', '/api/v1/calendars', { name: 'fuzz', spec: calendar.spec })).json;
  const policy = (await t.admin('POST', '/api/v1/policies', { name: 'fuzz', spec: {} })).json;
  const feature = (await t.admin('GET', '/api/v1/features')).json.features[0];
  const funnel = (await t.admin('POST', `/api/v1/clients/${client.id}/funnel-activations`, {
    title: 'Funnel', milestones: [{ title: 'M1', dueAt: '2026-12-20T10:00:00Z' }],
  })).json;
  Object.assign(ids, {
    id: [manager.id, client.id, contact.id, cal.id, policy.id, feature?.id, funnel.milestones?.[0]?.id].filter(Boolean),
    ref: [String(sent.case.number), `%23${sent.case.number}`, sent.case.id],
    accountId: ['acct-fuzz'],
  });
});
afterAll(async () => {
  await t.close();
  await slack.stop();
});

/** A valid body for each route that takes one: mutations start from here, so they reach past the first check. */
function sampleBody(method: string, url: string): unknown {
  const key = `${method} ${url}`;
  const samples: Record<string, unknown> = {
    'POST /webhooks/inapp': inappMessage({ account: { id: 'acct-fuzz' } }),
    'POST /api/v1/managers': { name: 'M', email: 'm@x.test', timeZone: 'Europe/Moscow', slackUserId: 'U1' },
    'PATCH /api/v1/managers/:id': { name: 'M2', status: 'away', timeZone: 'Asia/Kolkata' },
    'POST /api/v1/clients': { name: 'C', tier: 'standard', inappAccountId: `a-${randomUUID()}`, calendar: { zone: 'Europe/Moscow', week: { mon: [['10:00', '19:00']] }, holidays: [] }, policy: { targets: { high: { minutes: 30, hours: 'business' } } } },
    'PATCH /api/v1/clients/:id': { name: 'C2', policy: { targets: { medium: { minutes: 60, hours: 'business' } }, warnAt: [0.5] } },
    'POST /api/v1/contacts': { clientId: ids.id?.[1], name: 'P', email: 'p@x.test', identities: [{ channel: 'inapp', externalId: 'u', account: 'acct-fuzz' }] },
    'PATCH /api/v1/contacts/:id': { name: 'P2', timeZone: 'Europe/Kyiv' },
    'POST /api/v1/contacts/:id/identities': { channel: 'telegram', externalId: '123', account: 'bot' },
    'DELETE /api/v1/contacts/:id/identities': { channel: 'telegram', externalId: '123', account: 'bot' },
    'POST /api/v1/calendars': { name: 'K', spec: { zone: 'Europe/Berlin', week: { mon: [['09:00', '17:00']], tue: [['22:00', '06:00']] }, holidays: ['2026-12-25'], exceptions: { '2026-12-26': [] } } },
    'PATCH /api/v1/calendars/:id': { spec: { zone: 'UTC', week: { fri: [['00:00', '24:00']] } } },
    'POST /api/v1/policies': { name: 'P', spec: { targets: { critical: { minutes: 15, hours: '24x7' } }, warnAt: [0.5, 0.8], reopenDays: 7, plainReplyCounts: false } },
    'PATCH /api/v1/policies/:id': { spec: { reopenDays: 3 } },
    'PUT /api/v1/settings/triage': { rules: { critical: ['down'], feature: ['please add'] } },
    'POST /api/v1/cases/:ref/reply': { text: 'hello', attachments: [{ name: 'a.pdf', url: 'https://x.test/a.pdf', size: 10 }] },
    'POST /api/v1/cases/:ref/note': { text: 'internal' },
    'POST /api/v1/cases/:ref/urgency': { urgency: 'high', reason: 'r' },
    'POST /api/v1/cases/:ref/eta': { when: '2h', note: 'n' },
    'POST /api/v1/cases/:ref/needinfo': { question: 'q?' },
    'POST /api/v1/cases/:ref/resolve': { summary: 's' },
    'POST /api/v1/cases/:ref/escalate': { reason: 'r' },
    'PATCH /api/v1/features/:id': { status: 'planned', note: 'n' },
    'POST /api/v1/clients/:id/funnel-activations': { title: 'F', milestones: [{ title: 'M', dueAt: '2026-12-24T10:00:00Z' }] },
    'POST /webhooks/slack/events': { type: 'event_callback', team_id: 'T1', event_id: `Ev${randomUUID()}`, event: { type: 'message', user: 'UFUZZ', text: 'hi', ts: '1790000000.000100', thread_ts: '1790000000.000001', channel: 'C1' } },
  };
  return samples[key];
}

const QUERY_KEYS = ['status', 'clientId', 'managerId', 'urgency', 'kind', 'sla', 'limit', 'after', 'from', 'to', 'format'];

interface FuzzRequest {
  url: string;
  payload?: string;
  contentType: string;
}

function requestArb(method: string, url: string): fc.Arbitrary<FuzzRequest> {
  const params = [...url.matchAll(/:(\w+)/g)].map((m) => m[1]);
  const pathArb = fc
    .tuple(...params.map((p) => fc.oneof({ weight: 2, arbitrary: fc.constantFrom(...(ids[p] ?? ids.id)) }, { weight: 3, arbitrary: hostileText })))
    .map((vals) => params.reduce((u, p, i) => u.replace(`:${p}`, pathSegment(String(vals[i]))), url));
  const queryArb = fc
    .array(fc.tuple(fc.constantFrom(...QUERY_KEYS), hostileText), { maxLength: 4 })
    .map((pairs) => (pairs.length ? `?${pairs.map(([k, v]) => `${k}=${pathSegment(v)}`).join('&')}` : ''));
  const hasBody = method !== 'GET' && method !== 'DELETE' ? true : method === 'DELETE';
  const sample = sampleBody(method, url);
  const slackForm = url.startsWith('/webhooks/slack/') && !url.endsWith('/events');
  const bodyArb: fc.Arbitrary<{ text?: string; type: string }> = !hasBody
    ? fc.constant({ type: 'application/json' })
    : fc.oneof(
        { weight: 6, arbitrary: mutateJson(sample ?? {}).map((m: Mutation) => ({ text: m.text, type: 'application/json' })) },
        { weight: 2, arbitrary: hostileValue.map((v) => ({ text: JSON.stringify(v) ?? 'null', type: 'application/json' })) },
        { weight: 1, arbitrary: fc.constantFrom('{', 'null', '[]', '"x"', '{"a":1e309}', '\u0000', '').map((text) => ({ text, type: 'application/json' })) },
        { weight: slackForm ? 4 : 1, arbitrary: fc.tuple(fc.constantFrom('payload', 'command', 'text', 'user_id', 'channel_id'), hostileText, hostileText).map(([k, v, w]) => ({ text: `${k}=${pathSegment(v)}&payload=${pathSegment(w)}`, type: 'application/x-www-form-urlencoded' })) },
        { weight: 1, arbitrary: hostileText.map((text) => ({ text, type: 'text/plain' })) },
      );
  return fc.tuple(pathArb, queryArb, bodyArb).map(([path, query, body]) => ({ url: path + query, payload: body.text, contentType: body.type }));
}

function headersFor(route: string, req: FuzzRequest, method: string): Record<string, string> {
  const now = t.clock.now();
  const h: Record<string, string> = { 'content-type': req.contentType };
  if (route.startsWith('/api/v1/inapp/') || route === '/webhooks/inapp')
    Object.assign(h, signedHeaders(INAPP_SECRET, { method, path: req.url, body: method === 'GET' ? undefined : (req.payload ?? '') }, now));
  else if (route.startsWith('/webhooks/slack/')) Object.assign(h, slackHeaders(SLACK_SIGNING_SECRET, req.payload ?? '', now));
  else h.authorization = `Bearer ${ADMIN_TOKEN}`;
  return h;
}

test('no route answers generated and mutated bad input with a 5xx, a crash or a hang', async () => {
  const routes = t.app.routeList.filter((r) => !['/healthz', '/readyz', '/metrics'].includes(r.url));
  expect(routes.length).toBeGreaterThan(40);
  const failures: string[] = [];
  let requests = 0;
  const counts: Record<number, number> = {};
  for (const { method, url } of routes) {
    const result = await fc.check(
      fc.asyncProperty(requestArb(method, url), async (req) => {
        requests++;
        let timer: NodeJS.Timeout | undefined;
        const res = await Promise.race([
          t.app.inject({ method: method as 'GET', url: req.url, payload: req.payload, headers: headersFor(url, req, method) }),
          new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`no answer within ${HANG_MS} ms`)), HANG_MS))),
        ]).finally(() => clearTimeout(timer));
        counts[res.statusCode] = (counts[res.statusCode] ?? 0) + 1;
        if (res.statusCode >= 500) throw new Error(`${res.statusCode} ${res.body.slice(0, 200)}`);
        // A 4xx says what is wrong.
        if (res.statusCode >= 400 && res.statusCode !== 404 && !/"error":"[^"]+/.test(res.body)) throw new Error(`${res.statusCode} without a reason: ${res.body.slice(0, 200)}`);
      }),
      { seed: SEED, numRuns: RUNS, endOnFailure: true },
    );
    if (result.failed) failures.push(`${method} ${url}: ${String(result.errorInstance).slice(0, 300)}\n  counterexample: ${JSON.stringify(result.counterexample).slice(0, 400)}\n  reproduce: FUZZ_SEED=${SEED} (path ${result.counterexamplePath})`);
  }
  process.stdout.write(`\nfuzz: ${requests} requests over ${routes.length} routes (seed ${SEED}); statuses ${JSON.stringify(counts)}\n`);
  expect(failures).toEqual([]);
}, 240_000);
