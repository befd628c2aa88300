// The vendor's urgency keywords through the admin API (PUT /api/v1/settings/triage) and the in-app intake: a list
// big enough to stall every request is refused with a 400 naming the bound, and the largest list allowed still
// classifies new cases (the timing figures are in test/unit/triage.test.ts).
import { TRIAGE_BOUNDS } from '../../src/core/triage';
import { inappMessage, startTestService, type TestService } from '../support/service';

let t: TestService;
let managerId: string;

beforeAll(async () => {
  t = await startTestService();
  const m = await t.admin('POST', '/api/v1/managers', { name: 'Maria Petrova', email: 'maria@vendor.test', timeZone: 'Europe/Moscow' });
  expect(m.status).toBe(201);
  managerId = m.json.id;
});
afterAll(() => t.close());

/** A new client writing its first message: the case it opens, with the urgency and why. */
async function firstMessage(account: string, text: string) {
  const c = await t.admin('POST', '/api/v1/clients', { name: `Client ${account}`, tier: 'premium', managerId, inappAccountId: account });
  expect(c.status).toBe(201);
  const sent = await t.inapp(inappMessage({ account: { id: account, name: `Client ${account}` }, user: { id: `${account}-u`, name: 'Ann' }, text }));
  expect(sent.json).toMatchObject({ status: 'stored', case: { opened: true } });
  const kase = (await t.admin('GET', `/api/v1/cases/${sent.json.case.number}`)).json;
  const set = kase.timeline.find((e: { type: string }) => e.type === 'urgency_set');
  return { urgency: kase.urgency, source: set.source, reason: set.reason };
}

const filler = (i: number) => `vendor phrase ${i} `.padEnd(TRIAGE_BOUNDS.phraseLength, 'z');

test('an oversized keyword list is refused with a 400 naming the bound, and the rules in force stay', async () => {
  const huge = await t.admin('PUT', '/api/v1/settings/triage', { rules: { critical: Array.from({ length: 40_000 }, (_, i) => `kw${i}`) } });
  expect(huge.status).toBe(400);
  expect(huge.json.error).toContain(`rules: critical has 40000 phrases, at most ${TRIAGE_BOUNDS.perUrgency} per urgency are allowed`);
  expect(huge.json.error).toContain(`at most ${TRIAGE_BOUNDS.total} in total`);

  const perLevel = Array.from({ length: TRIAGE_BOUNDS.perUrgency }, (_, i) => `kw${i}`);
  const tooMany = await t.admin('PUT', '/api/v1/settings/triage', { rules: { critical: perLevel, high: perLevel, low: perLevel } });
  expect(tooMany.status).toBe(400);
  expect(tooMany.json.error).toBe(`rules: ${3 * TRIAGE_BOUNDS.perUrgency} phrases in all, at most ${TRIAGE_BOUNDS.total} in total are allowed`);

  const tooLong = await t.admin('PUT', '/api/v1/settings/triage', { rules: { high: ['broken', 'x'.repeat(TRIAGE_BOUNDS.phraseLength + 1)] } });
  expect(tooLong.status).toBe(400);
  expect(tooLong.json.error).toBe(`rules: high[1] is longer than ${TRIAGE_BOUNDS.phraseLength} characters, the most a phrase may have`);

  expect((await t.admin('GET', '/api/v1/settings/triage')).json).toMatchObject({ default: true });
  expect(await firstMessage('triage-default', 'This is not urgent at all: could you add a drop-down filter to the report?')).toEqual({
    urgency: 'feature', source: 'classifier', reason: 'keyword "could you add"',
  });
});

test('with the largest list allowed, new in-app messages are still classified by it', async () => {
  const { perUrgency, total } = TRIAGE_BOUNDS;
  const rules = {
    critical: ['checkout broken', ...Array.from({ length: perUrgency - 1 }, (_, i) => filler(i))],
    high: Array.from({ length: perUrgency }, (_, i) => filler(perUrgency + i)),
    feature: [...Array.from({ length: total - 2 * perUrgency - 1 }, (_, i) => filler(2 * perUrgency + i)), 'roadmap idea'],
  };
  const put = await t.admin('PUT', '/api/v1/settings/triage', { rules });
  expect(put.status).toBe(200);
  expect((await t.admin('GET', '/api/v1/settings/triage')).json).toMatchObject({ rules, default: false });

  expect(await firstMessage('triage-big-1', 'Our CHECKOUT broken since the deploy!')).toEqual({
    urgency: 'critical', source: 'classifier', reason: 'keyword "checkout broken"',
  });
  expect(await firstMessage('triage-big-2', 'A roadmap idea: weekly digests')).toMatchObject({ urgency: 'feature', reason: 'keyword "roadmap idea"' });
  // The vendor's list replaces the defaults: "down" is no longer a keyword.
  expect(await firstMessage('triage-big-3', 'The site is down')).toMatchObject({ urgency: 'medium', source: 'default' });
});
